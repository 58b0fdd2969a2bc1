using NovaMm.Driver;
using NovaMm.Driver.Memory;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Hardware;
using NovaMm.Spec.Addresses;

namespace NovaMm.Cli.Render;

/// <summary>Who owns a stretch of VRAM in the picture.</summary>
internal enum Owner
{
    /// <summary>Free in the buddy allocator (one free block of some order).</summary>
    Free,

    /// <summary>Not usable and not one of the GSP's named regions (e.g. a gap the FB region table leaves out).</summary>
    Reserved,

    /// <summary>Reserved by the GSP at the top of VRAM (RM-reserved, WPR2, FRTS, VGA workspace).</summary>
    Gsp,

    /// <summary>A driver allocation (a block of a <see cref="VramAllocation"/>).</summary>
    Allocation,

    /// <summary>A page-table page (including a VMM's root directory).</summary>
    PageTable,
}

/// <summary>One stretch of VRAM with one owner.</summary>
/// <param name="Start">First byte.</param>
/// <param name="End">One past the last byte.</param>
/// <param name="Owner">Its owner.</param>
/// <param name="Order">For a free block: its buddy order (block = 4 KiB &lt;&lt; order); -1 otherwise.</param>
/// <param name="Label">What it is, for hover titles.</param>
internal sealed record Segment(ulong Start, ulong End, Owner Owner, int Order, string Label)
{
    /// <summary>Bytes covered.</summary>
    public ulong Size => End - Start;
}

/// <summary>A named allocation the scenario made (for labels).</summary>
/// <param name="Name">The scenario's name for it.</param>
/// <param name="Allocation">The allocation.</param>
internal sealed record NamedAllocation(string Name, VramAllocation Allocation);

/// <summary>
/// The VRAM occupancy of a booted GPU, reconstructed from what the CLI can see: the GSP's layout, the live
/// allocations the scenario holds, and the page-table pages found by walking every mapping of the given VMMs.
/// Free space is the rest of the usable regions, split into buddy blocks the way <c>gpu_buddy</c> keeps them
/// (maximal naturally aligned power-of-two blocks: free buddies always merge). The driver does not expose its free
/// lists, so the result is checked against <see cref="GpuMm.Statistics"/> (free blocks per order) and any
/// disagreement is reported in <see cref="Problems"/>.
/// </summary>
internal sealed class VramPicture
{
    /// <summary>A picture from ready-made segments (sorted, non-overlapping); tests use it for synthetic worst cases.</summary>
    internal VramPicture(ulong total, IReadOnlyList<Segment> segments, IReadOnlyList<string> problems)
    {
        Total = total;
        Segments = segments;
        Problems = problems;
    }

    /// <summary>Total VRAM bytes.</summary>
    public ulong Total { get; }

    /// <summary>Every stretch of VRAM, sorted, covering [0, <see cref="Total"/>) without overlap.</summary>
    public IReadOnlyList<Segment> Segments { get; }

    /// <summary>Where the reconstruction disagrees with the allocator's own statistics (empty when consistent).</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Builds the picture for <paramref name="gpu"/> on <paramref name="hw"/>.</summary>
    public static VramPicture Build(SimulatedGpu hw, Gpu gpu, IReadOnlyList<NamedAllocation> allocations, IReadOnlyList<(string Name, Vmm Vmm)> vmms)
    {
        var total = hw.Options.EffectiveVramSize;
        var known = new List<Segment>();
        var layout = hw.GspModel.Layout;
        foreach (var (name, r) in new[] { ("RM reserved (instance blocks, BAR page directories)", layout.RmReserved), ("WPR2 (GSP firmware and heap)", layout.Wpr2), ("FRTS", layout.Frts), ("VGA workspace", layout.VgaWorkspace) })
        {
            if (r.Size > 0)
            {
                known.Add(new Segment(r.Start, r.Start + r.Size, Owner.Gsp, -1, $"GSP: {name}"));
            }
        }

        foreach (var a in allocations.Where(a => !a.Allocation.IsFreed))
        {
            var i = 0;
            foreach (var b in a.Allocation.Blocks)
            {
                known.Add(new Segment(b.Start.Value, b.Start.Value + b.Size, Owner.Allocation, -1, $"allocation '{a.Name}' block {i++} of {a.Allocation.Blocks.Count}"));
            }
        }

        foreach (var (page, label) in PageTablePages(vmms))
        {
            known.Add(new Segment(page, page + GpuPage.Size, Owner.PageTable, -1, label));
        }

        // The allocator's own free blocks: exact, clear and dirty, whatever the history of the heap.
        foreach (var f in gpu.Mm.FreeBlocks())
        {
            known.Add(new Segment(f.Range.Start.Value, f.Range.End.Value, Owner.Free, f.Order, $"free block, order {f.Order}{(f.Clear ? ", clear" : "")}"));
        }

        var problems = new List<string>();
        var segments = new List<Segment>();
        var usable = gpu.Mm.Regions.OrderBy(r => r.Start.Value).ToArray();
        known.Sort((a, b) => a.Start.CompareTo(b.Start));

        // Gaps: inside a usable region they are allocations this picture has no name for; elsewhere, not usable.
        void Gap(ulong start, ulong end)
        {
            while (start < end)
            {
                var inUsable = usable.FirstOrDefault(r => r.Start.Value <= start && start < r.End.Value);
                var stop = inUsable.Size != 0
                    ? Math.Min(end, inUsable.End.Value)
                    : Math.Min(end, usable.Where(r => r.Start.Value > start).Select(r => r.Start.Value).DefaultIfEmpty(end).Min());
                segments.Add(inUsable.Size != 0
                    ? new Segment(start, stop, Owner.Allocation, -1, "allocated (not named in this session)")
                    : new Segment(start, stop, Owner.Reserved, -1, "not usable (outside the usable FB regions)"));
                start = stop;
            }
        }

        var cursor = 0UL;
        foreach (var k in known)
        {
            if (k.Start < cursor)
            {
                problems.Add($"{k.Label} at {Hex.Format(k.Start)} overlaps what precedes it");
                continue;
            }

            Gap(cursor, k.Start);
            segments.Add(k);
            cursor = k.End;
        }

        Gap(cursor, total);
        return new VramPicture(total, segments, problems);
    }

    /// <summary>Every page-table page of the VMMs (root included), from each VMM's own list.</summary>
    private static IEnumerable<(ulong Page, string Label)> PageTablePages(IReadOnlyList<(string Name, Vmm Vmm)> vmms)
    {
        var seen = new HashSet<ulong>();
        foreach (var (name, vmm) in vmms)
        {
            foreach (var (address, level) in vmm.PageTables())
            {
                if (seen.Add(address.Value))
                {
                    yield return (address.Value, $"page table: VMM '{name}' {level}");
                }
            }
        }
    }
}
