using CsCheck;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Hardware.Mmu;
using NovaMm.Spec.Addresses;

namespace NovaMm.Driver.Tests.VirtualMemory;

/// <summary>
/// Model-based tests: random map/unmap sequences checked against a plain dictionary (VA page → physical page) and
/// against the hardware GMMU translating from VRAM (TLB first), after every step.
/// </summary>
public class VmmModelTests
{
    private static readonly string[] Chips = ["TU102", "GA102", "GH100", "GB202"];
    private static readonly ulong[] PageSizes = [4096, 64UL << 10, 2UL << 20];
    private static readonly bool Stress = Environment.GetEnvironmentVariable("NOVAMM_STRESS") == "1";

    [Fact]
    public void Random_sequences_agree_with_a_dictionary_and_the_gmmu() =>
        Gen.Int[0, int.MaxValue].Sample(seed => Run(seed, skipFlush: false), iter: Stress ? 400 : 24, threads: 1);

    [Fact]
    public void The_property_catches_a_missing_flush()
    {
        // Negative control: the same property with the VMM's flush left out must fail for some seed.
        var caught = 0;
        for (var seed = 0; seed < 10; seed++)
        {
            try
            {
                Run(seed, skipFlush: true);
            }
            catch (Xunit.Sdk.XunitException)
            {
                caught++;
            }
        }

        Assert.True(caught > 0, "leaving out the flush went unnoticed");
    }

    private static void Run(int seed, bool skipFlush)
    {
        var rnd = new Random(seed);
        var kit = new VmmTestKit(Chips[seed % Chips.Length]);
        using var vmm = kit.NewVmm();
        vmm.SkipFlushForTesting = skipFlush;
        var pool = kit.Gpu.Mm.Allocate(64UL << 20, new Driver.Memory.VramAllocOptions { MinBlockSize = 64UL << 20 }).Start.Value;
        var model = new Dictionary<ulong, (ulong Pa, bool ReadOnly)>(); // 4 KiB VA page -> 4 KiB physical page
        var live = new List<Mapping>();
        var gone = new List<ulong>();
        for (var step = 0; step < 40; step++)
        {
            if (live.Count > 0 && rnd.Next(3) == 0)
            {
                var m = live[rnd.Next(live.Count)];
                live.Remove(m);
                vmm.Unmap(m);
                for (var va = m.Va.Value; va < m.End.Value; va += 4096)
                {
                    model.Remove(va);
                    gone.Add(va);
                }
            }
            else
            {
                var pageSize = PageSizes[rnd.Next(PageSizes.Length)];
                var count = rnd.Next(1, pageSize == 4096 ? 40 : 4);
                var size = (ulong)count * pageSize;
                GpuVa? va = rnd.Next(2) == 0 ? null : new GpuVa(((ulong)rnd.NextInt64(0, 1L << 36) / pageSize) * pageSize);
                if (va is { } v && live.Any(l => l.Va.Value < v.Value + size && v.Value < l.End.Value))
                {
                    va = null;
                }

                var pages = Enumerable.Range(0, count).Select(_ => new VramAddress(pool + ((ulong)rnd.NextInt64(0, (long)((64UL << 20) / pageSize)) * pageSize))).ToArray();
                var ro = rnd.Next(4) == 0;
                var m = vmm.Map(new MapRequest { Size = size, PageSize = pageSize, Va = va, Attributes = new PageTables.MapAttributes { ReadOnly = ro } }, pages);
                live.Add(m);
                for (var i = 0; i < count; i++)
                {
                    for (var o = 0UL; o < pageSize; o += 4096)
                    {
                        model[m.Va.Value + ((ulong)i * pageSize) + o] = (pages[i].Value + o, ro);
                        gone.Remove(m.Va.Value + ((ulong)i * pageSize) + o);
                    }
                }
            }

            Check(kit, vmm, model, gone, rnd, seed, step);
        }

        foreach (var m in live)
        {
            vmm.Unmap(m);
        }

        Assert.Equal(0, vmm.PageTablePages);
    }

    private static void Check(VmmTestKit kit, Vmm vmm, Dictionary<ulong, (ulong Pa, bool ReadOnly)> model, List<ulong> gone, Random rnd, int seed, int step)
    {
        var keys = model.Keys.OrderBy(_ => rnd.Next()).Take(24);
        foreach (var va in keys)
        {
            var (pa, ro) = model[va];
            var off = (ulong)rnd.Next(0, 4096) & ~7UL;
            Assert.True(pa + off == vmm.ReadMapping(new GpuVa(va + off))?.Value, $"seed {seed} step {step}: driver walk of 0x{va + off:x}");
            for (var twice = 0; twice < 2; twice++)
            {
                var t = kit.Hw.Gmmu.Translate(vmm.Pdb.Value, vmm.Format, va + off, AccessType.Read, privileged: true);
                Assert.True(t.IsSuccess && t.Translation!.PhysicalAddress == pa + off,
                    $"seed {seed} step {step}: GMMU read of 0x{va + off:x} gave {(t.IsSuccess ? $"0x{t.Translation!.PhysicalAddress:x}" : t.Fault!.ReasonName)}, want 0x{pa + off:x}");
            }

            var write = kit.Hw.Gmmu.Translate(vmm.Pdb.Value, vmm.Format, va, AccessType.Write, privileged: true);
            Assert.True(write.IsSuccess != ro, $"seed {seed} step {step}: write to 0x{va:x} (ro={ro})");
        }

        foreach (var va in gone.OrderBy(_ => rnd.Next()).Take(8))
        {
            var t = kit.Hw.Gmmu.Translate(vmm.Pdb.Value, vmm.Format, va, AccessType.Read, privileged: true);
            Assert.False(t.IsSuccess, $"seed {seed} step {step}: unmapped 0x{va:x} still translates (stale TLB?)");
        }
    }
}

public class StaleTlbTests
{
    [Theory]
    [InlineData("GA102")]
    [InlineData("GH100")]
    public void Without_the_flush_the_gpu_keeps_the_old_translation(string chip)
    {
        var kit = new VmmTestKit(chip);
        using var vmm = kit.NewVmm();
        var pages = kit.Pages(2);
        var va = new GpuVa(0x1_0000_0000);
        var m = vmm.Map(new MapRequest { Size = 4096, Va = va }, pages[..1]);
        Assert.Equal(pages[0].Value, kit.Hw.Gmmu.Translate(vmm.Pdb.Value, vmm.Format, va.Value, AccessType.Read, true).Translation!.PhysicalAddress);

        // Remap to another page with the flush left out: the TLB still answers with the old page.
        vmm.SkipFlushForTesting = true;
        vmm.Map(new MapRequest { Size = 4096, Va = va, Replace = true }, pages[1..]);
        var stale = kit.Hw.Gmmu.Translate(vmm.Pdb.Value, vmm.Format, va.Value, AccessType.Read, true).Translation!;
        Assert.True(stale.TlbHit);
        Assert.Equal(pages[0].Value, stale.PhysicalAddress);
        Assert.Equal(pages[1].Value, vmm.ReadMapping(va)!.Value.Value); // the tables in VRAM are right

        // The flush makes the GPU see the new page.
        vmm.Flush();
        Assert.Equal(pages[1].Value, kit.Hw.Gmmu.Translate(vmm.Pdb.Value, vmm.Format, va.Value, AccessType.Read, true).Translation!.PhysicalAddress);
        Assert.True(m.IsUnmapped);
    }
}
