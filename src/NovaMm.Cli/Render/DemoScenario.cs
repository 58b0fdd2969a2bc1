using NovaMm.Driver;
using NovaMm.Driver.Buddy;
using NovaMm.Driver.Memory;
using NovaMm.Driver.PageTables;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Spec.Addresses;

namespace NovaMm.Cli.Render;

/// <summary>What a scenario left behind for the picture.</summary>
/// <param name="Description">One line on what ran.</param>
/// <param name="Allocations">Live allocations, named.</param>
/// <param name="Vmm">The address space it built (null if none).</param>
/// <param name="VmmName">Its name.</param>
internal sealed record ScenarioResult(string Description, IReadOnlyList<NamedAllocation> Allocations, Vmm? Vmm, string VmmName);

/// <summary>The built-in scenarios of <c>novamm render</c>: deterministic, so the same options draw the same picture.</summary>
internal static class Scenarios
{
    /// <summary>The scenario names.</summary>
    public static readonly string[] Names = ["demo", "boot"];

    /// <summary>Runs scenario <paramref name="name"/> on a booted <paramref name="gpu"/>.</summary>
    public static ScenarioResult Run(string name, Gpu gpu) => name switch
    {
        "demo" => Demo(gpu),
        "boot" => new ScenarioResult("scenario 'boot': a freshly booted GPU, nothing allocated by the driver", [], null, string.Empty),
        _ => throw new Commands.CliError($"unknown scenario '{name}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>
    /// Allocates VRAM for three buffers and maps them into a new VMM with 2 MiB, 64 KiB and 4 KiB pages, keeps an
    /// unmapped staging buffer, then fragments the allocator: 96 small allocations (4, 8, 16 and 64 KiB in turn),
    /// every other one freed again, and one in three of the rest too.
    /// </summary>
    private static ScenarioResult Demo(Gpu gpu)
    {
        var live = new List<NamedAllocation>();
        VramAllocation Alloc(string name, ulong size, ulong minBlock, BuddyFlags flags = BuddyFlags.None)
        {
            var a = gpu.Mm.Allocate(size, new VramAllocOptions { MinBlockSize = minBlock, Flags = flags });
            live.Add(new NamedAllocation(name, a));
            return a;
        }

        var vmm = new Vmm(gpu.Mm, new VmmOptions { Format = gpu.Chip.Format });
        var fb = Alloc("framebuffer", 16UL << 20, 2UL << 20);
        var tex = Alloc("textures", 8UL << 20, 64UL << 10);
        var buf = Alloc("buffers", 2UL << 20, GpuPage.Size);
        Alloc("staging", 4UL << 20, GpuPage.Size);
        vmm.Map(fb, 2UL << 20, new GpuVa(0x1_0000_0000));
        vmm.Map(tex, 64UL << 10, new GpuVa(0x1_0200_0000));
        vmm.Map(buf, GpuPage.Size, new GpuVa(0x1_0400_0000), new MapAttributes { ReadOnly = true });
        vmm.Map(buf, GpuPage.Size, new GpuVa(0x1_0480_0000));

        ulong[] sizes = [4UL << 10, 8UL << 10, 16UL << 10, 64UL << 10];
        var small = new List<NamedAllocation>();
        for (var i = 0; i < 96; i++)
        {
            var a = gpu.Mm.Allocate(sizes[i % sizes.Length], new VramAllocOptions { MinBlockSize = sizes[i % sizes.Length] });
            small.Add(new NamedAllocation($"small{i}", a));
        }

        for (var i = 0; i < small.Count; i++)
        {
            if (i % 2 == 1 || i % 3 == 0)
            {
                gpu.Mm.Free(small[i].Allocation);
            }
            else
            {
                live.Add(small[i]);
            }
        }

        return new ScenarioResult(
            "scenario 'demo': framebuffer 16 MiB mapped with 2 MiB pages, textures 8 MiB with 64 KiB pages, buffers 2 MiB with 4 KiB pages (twice, once read-only), staging 4 MiB unmapped; 96 small allocations with two in three freed again",
            live, vmm, "demo");
    }
}
