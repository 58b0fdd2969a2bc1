using System.Security.Cryptography;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Hardware;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;

namespace NovaMm.Driver.Tests.VirtualMemory;

/// <summary>A booted simulated GPU with helpers to snapshot everything a failed call must leave unchanged.</summary>
internal sealed class VmmTestKit
{
    public VmmTestKit(string chip = "GA102", ulong? vram = null, int invalidatePolls = 1)
    {
        Hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(chip), VramSize = vram, InvalidatePolls = invalidatePolls });
        Gpu = Gpu.Boot(Hw.Bar0, Hw.Bar1, Hw.Gsp, TimeSpan.FromMilliseconds(50));
    }

    public SimulatedGpu Hw { get; }

    public Gpu Gpu { get; }

    public Vmm NewVmm(ulong? vaEnd = null) => new(Gpu.Mm, new VmmOptions { Format = Gpu.Chip.Format, VaEnd = vaEnd });

    /// <summary>Allocates <paramref name="pages"/> pages of <paramref name="pageSize"/> and returns their addresses.</summary>
    public VramAddress[] Pages(int pages, ulong pageSize = GpuPage.Size)
    {
        var a = Gpu.Mm.Allocate((ulong)pages * pageSize, new Driver.Memory.VramAllocOptions { MinBlockSize = pageSize });
        return a.Blocks.SelectMany(b => Enumerable.Range(0, (int)(b.Size / pageSize)).Select(i => b.Start.Add((ulong)i * pageSize))).ToArray();
    }

    /// <summary>A digest of all of VRAM's written bytes, allocator and VMM state.</summary>
    public string Snapshot(Vmm vmm)
    {
        using var sha = SHA256.Create();
        foreach (var (address, bytes) in Hw.Vram.SnapshotChunks())
        {
            if (bytes.Any(b => b != 0))
            {
                sha.TransformBlock(BitConverter.GetBytes(address), 0, 8, null, 0);
                sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
            }
        }

        sha.TransformFinalBlock([], 0, 0);
        return $"{Convert.ToHexString(sha.Hash!)} free={Gpu.Mm.FreeBytes} va={vmm.FreeVaBytes} pt={vmm.PageTablePages} maps={vmm.Mappings.Count}";
    }
}
