using NovaMm.Driver.Pramin;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Driver.PageTables;

/// <summary>What the driver's walk found (nova-core v7 <c>mm/pagetable/walk.rs</c>, <c>PtWalk</c>; extended to large pages).</summary>
public enum WalkStatus
{
    /// <summary>A directory on the way has no next level (<c>PageTableMissing</c>).</summary>
    TableMissing,

    /// <summary>The tables exist but the PTE is not valid (<c>Unmapped</c>).</summary>
    Unmapped,

    /// <summary>A valid PTE maps the address (<c>Mapped</c>).</summary>
    Mapped,
}

/// <summary>One level of a walk: the entry the walker read.</summary>
/// <param name="Level">The level.</param>
/// <param name="Index">The entry index in its table.</param>
/// <param name="EntryAddress">VRAM address of the entry.</param>
/// <param name="Low">The entry (low qword for a dual PDE).</param>
/// <param name="High">The high qword of a dual PDE, else null.</param>
/// <param name="Decoded">The decoded entry.</param>
public sealed record WalkStep(MmuLevel Level, int Index, VramAddress EntryAddress, ulong Low, ulong? High, PageTableEntryInfo Decoded);

/// <summary>The result of walking one VA.</summary>
/// <param name="Va">The address walked.</param>
/// <param name="Status">What was found.</param>
/// <param name="Steps">Every entry read, root first.</param>
/// <param name="Pte">The leaf entry, when tables reach one.</param>
/// <param name="PhysicalAddress">The byte <see cref="Va"/> maps to, when mapped.</param>
public sealed record WalkResult(GpuVa Va, WalkStatus Status, IReadOnlyList<WalkStep> Steps, DecodedPte? Pte, VramAddress? PhysicalAddress)
{
    /// <summary>The last step: where the PTE is (or where a table is missing).</summary>
    public WalkStep Last => Steps[^1];

    /// <summary>Whether a sparse entry (a sparse PTE, or a sparse directory entry above it) ended the walk: the GPU reads zero there.</summary>
    public bool Sparse => Pte?.Sparse == true || (Status == WalkStatus.Unmapped && Pte is null && Last.Decoded is DecodedPde { Sparse: true });

    /// <summary>Size of the page that maps <see cref="Va"/>, when mapped.</summary>
    public ulong PageSize => Pte?.PageSize ?? 0;
}

/// <summary>
/// The driver's page-table walker (nova-core v7 <c>mm/pagetable/walk.rs</c>, <c>PtWalk</c>; docs/vmm.md), reading through PRAMIN and iterating
/// <see cref="MmuFormat.Levels"/> with the hardware VA layout (not nova v7's, which is wrong above 512 MiB).
/// Unlike v7 it follows large-page PTEs at PD2/PD1/PD0 and both halves of a dual PDE: a valid 64 KiB PTE in the
/// big table wins, a sparse or "no valid 4 KiB page" big PTE hides the small table, and otherwise the 4 KiB table
/// decides — the GMMU's precedence (docs/gmmu-bar1.md; nouveau <c>vmmgp100.c</c> <c>gp100_vmm_lpt_invalid</c>).
/// </summary>
public static class PageTableWalker
{
    /// <summary>Walks <paramref name="va"/> in the address space rooted at <paramref name="pdb"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="va"/> is beyond the format's VA width.</exception>
    public static WalkResult Walk(PraminWindow window, VramAddress pdb, MmuFormat format, GpuVa va)
    {
        if (va.Value >= format.VaLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(va), va.Value, $"VA {va} is beyond the {format.VaBits}-bit VA space of {format.Name}");
        }

        var steps = new List<WalkStep>();
        var table = pdb;
        foreach (var level in format.Levels)
        {
            var step = Read(window, format, level, table, va);
            steps.Add(step);
            switch (step.Decoded)
            {
                case DecodedPte pte:
                    return Leaf(va, steps, pte);
                case DecodedPde { Sparse: true }:
                    // A sparse directory entry: everything below reads zero (v2 NV_MMU_VER2_PDE_VOL or
                    // NV_MMU_VER2_DUAL_PDE_VOL_BIG with aperture 0, v3 NV_MMU_VER3_PDE_PCF_SPARSE_ATS_*; docs/page-tables.md).
                    return new WalkResult(va, WalkStatus.Unmapped, steps, null, null);
                case DecodedPde { IsDual: true } dual:
                    if (dual.Big.IsPresent && dual.Big.Aperture == PdeAperture.Video)
                    {
                        var big = Read(window, format, format.BigPageTable, new VramAddress(dual.Big.Address), va);
                        if (big.Decoded is DecodedPte { IsValid: true } bigPte)
                        {
                            steps.Add(big);
                            return Leaf(va, steps, bigPte);
                        }

                        // A sparse or "no valid 4 KiB page" big PTE hides the small table, as the GMMU decides;
                        // only a plain invalid one lets the small PTEs speak.
                        if (!dual.Small.IsPresent || big.Decoded is DecodedPte { Sparse: true } or DecodedPte { NoValidSmallPages: true })
                        {
                            steps.Add(big);
                            return Leaf(va, steps, (DecodedPte)big.Decoded);
                        }
                    }

                    if (!dual.Small.IsPresent || dual.Small.Aperture != PdeAperture.Video)
                    {
                        return new WalkResult(va, WalkStatus.TableMissing, steps, null, null);
                    }

                    table = new VramAddress(dual.Small.Address);
                    break;
                case DecodedPde pde:
                    if (!pde.Next.IsPresent || pde.Next.Aperture != PdeAperture.Video)
                    {
                        return new WalkResult(va, WalkStatus.TableMissing, steps, null, null);
                    }

                    table = new VramAddress(pde.Next.Address);
                    break;
            }
        }

        throw new InvalidOperationException("the level table ended without a page table");
    }

    /// <summary>Reads the entry for <paramref name="va"/> in the <paramref name="level"/> table at <paramref name="table"/>.</summary>
    public static WalkStep Read(PraminWindow window, MmuFormat format, MmuLevel level, VramAddress table, GpuVa va)
    {
        var index = format.IndexOf(level, va);
        var at = format.EntryAddress(table, level, va);
        var low = window.Read64(at);
        ulong? high = level.IsDual ? window.Read64(at.Add(8)) : null;
        return new WalkStep(level, index, at, low, high, EntryCodec.Decode(format, level, low, high ?? 0));
    }

    private static WalkResult Leaf(GpuVa va, List<WalkStep> steps, DecodedPte pte)
    {
        if (!pte.IsValid)
        {
            return new WalkResult(va, WalkStatus.Unmapped, steps, pte, null);
        }

        var offset = va.Value & (pte.PageSize - 1);
        return new WalkResult(va, WalkStatus.Mapped, steps, pte, new VramAddress(pte.Address + offset));
    }
}
