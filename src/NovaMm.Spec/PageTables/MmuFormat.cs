using System.Globalization;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Bits;

namespace NovaMm.Spec.PageTables;

/// <summary>
/// One level of a page-table tree: which VA bits index it, how big its entries and tables are, and
/// which page size (if any) an entry at this level may map directly as a PTE. Instances come only
/// from an <see cref="MmuFormat"/>'s level table.
/// </summary>
public sealed class MmuLevel
{
    internal MmuLevel(PageTableLevel id, int vaHi, int vaLo, int entrySize, bool isDual, ulong? pageSize, ulong allocationSize)
    {
        Id = id;
        VaBits = new BitField(vaHi, vaLo);
        EntrySize = entrySize;
        IsDual = isDual;
        PteSize = pageSize;
        AllocationSize = allocationSize;
    }

    /// <summary>Which level this is.</summary>
    public PageTableLevel Id { get; }

    /// <summary>The manual name: <c>PD4</c>..<c>PD0</c>, <c>PT big</c>, <c>PT</c>.</summary>
    public string Name => Id.DisplayName();

    /// <summary>The VA bit range <c>hi:lo</c> that indexes this level's table.</summary>
    public BitField VaBits { get; }

    /// <summary>Number of index bits.</summary>
    public int IndexBits => VaBits.Width;

    /// <summary>Entries per table, <c>2^IndexBits</c>.</summary>
    public int EntryCount => 1 << IndexBits;

    /// <summary>Bytes per entry: 16 for the dual PD0, 8 elsewhere.</summary>
    public int EntrySize { get; }

    /// <summary>Bytes of a whole table, <c>EntryCount × EntrySize</c> (32 B for the v2 root, 16 B for the v3 root, 256 B for the big PT, 4 KiB otherwise).</summary>
    public ulong TableSize => (ulong)EntryCount * (ulong)EntrySize;

    /// <summary>Bytes a driver allocates (and aligns) for one table: 4 KiB, except 256 B for the big PT (several can share a page).</summary>
    public ulong AllocationSize { get; }

    /// <summary>Whether entries are 16-byte dual PDEs (big + small table pointers).</summary>
    public bool IsDual { get; }

    /// <summary>The page size an entry at this level maps when it is a PTE (4 KiB in PT, 64 KiB in PT big, 2 MiB in PD0, 512 MiB in PD1 on GA10x+/v3, 256 GiB in PD2 on Blackwell); null when this level never holds a PTE.</summary>
    public ulong? PteSize { get; }

    /// <summary>Whether an entry here may be a PTE.</summary>
    public bool CanHoldPte => PteSize.HasValue;

    /// <summary>Whether this is a leaf page table (only PTEs, no PDEs).</summary>
    public bool IsPageTable => Id is PageTableLevel.Pt or PageTableLevel.PtBig;

    /// <summary>Bytes of VA one entry covers, <c>2^VaBits.Lo</c>.</summary>
    public ulong EntryCoverage => 1UL << VaBits.Lo;

    /// <summary>The index of <paramref name="va"/> in this level's table (no range check; see <see cref="MmuFormat.IndexOf(MmuLevel, GpuVa)"/>).</summary>
    public int IndexOf(GpuVa va) => (int)VaBits.Get(va.Value);

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name} VA {VaBits} x{EntryCount} {EntrySize}B{(PteSize is { } s ? " PTE " + PageSize.Format(s) : string.Empty)}");
}

/// <summary>
/// The geometry of one MMU page-table format: VA width, the level table from the root down to the
/// small-page table, the big-page table, and the page sizes. The hardware GMMU model, the driver walker,
/// the mapper and the CLI all iterate this data; none of them has its own per-level index math.
/// Sources: RM <c>kern_gmmu_fmt_gp10x.c</c>, <c>kern_gmmu_fmt_ga10x.c</c>, <c>kern_gmmu_fmt_gh10x.c</c>,
/// <c>kern_gmmu_fmt_gb10x.c</c> (open-gpu-kernel-modules <c>src/nvidia/src/kernel/gpu/mmu/arch/</c>);
/// docs/page-tables.md (the hardware index layout, not nova v7's).
/// </summary>
public sealed class MmuFormat
{
    private readonly MmuLevel[] _levels;

    private MmuFormat(string name, MmuVersion version, int vaBits, string chips, MmuLevel[] levels, MmuLevel bigPageTable)
    {
        Name = name;
        Version = version;
        VaBits = vaBits;
        Chips = chips;
        _levels = levels;
        BigPageTable = bigPageTable;
        PageSizes = levels.Append(bigPageTable).Where(l => l.PteSize.HasValue).Select(l => l.PteSize!.Value).Order().ToArray();
    }

    /// <summary>MMU v2 on Turing (TU10x): 49-bit VA, pages 4 KiB, 64 KiB, 2 MiB (RM <c>kgmmuFmtInitLevels_GP10X</c>).</summary>
    public static MmuFormat V2Turing { get; } = CreateV2("V2Turing", "TU102, TU104, TU106, TU116, TU117", pd1Pte: false);

    /// <summary>MMU v2 on Ampere and Ada (GA100, GA10x, AD10x): as Turing plus 512 MiB PTEs in PD1 (RM <c>kgmmuFmtInitLevels_GA10X</c>).</summary>
    public static MmuFormat V2Ampere { get; } = CreateV2("V2Ampere", "GA100, GA102-GA107, AD102-AD107", pd1Pte: true);

    /// <summary>MMU v3 on Hopper (GH100): 57-bit VA, pages 4 KiB, 64 KiB, 2 MiB, 512 MiB (RM <c>kgmmuFmtInitLevels_GH10X</c>).</summary>
    public static MmuFormat V3Hopper { get; } = CreateV3("V3Hopper", "GH100", pd2Pte: false);

    /// <summary>MMU v3 on Blackwell (GB100, GB102, GB202-GB207): as Hopper plus 256 GiB PTEs in PD2 (RM <c>kgmmuFmtInitLevels_GB10X</c>).</summary>
    public static MmuFormat V3Blackwell { get; } = CreateV3("V3Blackwell", "GB100, GB102, GB202-GB207", pd2Pte: true);

    /// <summary>The four formats.</summary>
    public static IReadOnlyList<MmuFormat> All { get; } = [V2Turing, V2Ampere, V3Hopper, V3Blackwell];

    /// <summary>The most permissive format of a version (every level that may hold a PTE on some chip of that version): <see cref="V2Ampere"/> or <see cref="V3Blackwell"/>.</summary>
    public static MmuFormat Widest(MmuVersion version) => version switch
    {
        MmuVersion.V2 => V2Ampere,
        MmuVersion.V3 => V3Blackwell,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, $"Unknown MMU version {version}."),
    };

    /// <summary>The format's name (<c>V2Turing</c>, <c>V2Ampere</c>, <c>V3Hopper</c>, <c>V3Blackwell</c>).</summary>
    public string Name { get; }

    /// <summary>The entry formats used.</summary>
    public MmuVersion Version { get; }

    /// <summary>
    /// How much video memory a PTE can address: the width of the PTE's ADDRESS_VID field plus the 12-bit page shift
    /// (v2 32:8 → PA[36:12], 128 GiB; v3 39:12 → 1 TiB; docs/page-tables.md).
    /// </summary>
    public ulong VideoMemoryReach => 1UL << ((Version == MmuVersion.V2 ? PteV2.Fields.AddressVid.Width : PteV3.Fields.AddressVid.Width) + GpuPage.Shift);

    /// <summary>Virtual-address width in bits: 49 (v2) or 57 (v3).</summary>
    public int VaBits { get; }

    /// <summary>One past the highest GPU VA, <c>2^VaBits</c>.</summary>
    public ulong VaLimit => 1UL << VaBits;

    /// <summary>The chips that use this geometry (documentation only).</summary>
    public string Chips { get; }

    /// <summary>The levels from the root down to PD0 and the small-page table <see cref="PageTableLevel.Pt"/>. The big-page table hangs off PD0 beside it: <see cref="BigPageTable"/>.</summary>
    public IReadOnlyList<MmuLevel> Levels => _levels;

    /// <summary>The root level (PD3 for v2, PD4 for v3); its table is what the instance block's PDB points to.</summary>
    public MmuLevel Root => _levels[0];

    /// <summary>The dual level PD0.</summary>
    public MmuLevel DualLevel => Level(PageTableLevel.Pd0);

    /// <summary>The small-page (4 KiB) table, the last entry of <see cref="Levels"/>.</summary>
    public MmuLevel SmallPageTable => _levels[^1];

    /// <summary>The big-page (64 KiB) table: VA 20:16, 32 entries of 8 B, 256 B.</summary>
    public MmuLevel BigPageTable { get; }

    /// <summary>The page sizes a PTE can map in this format, ascending.</summary>
    public IReadOnlyList<ulong> PageSizes { get; }

    /// <summary>Every level including the big-page table, in walk order (root..PD0, PT big, PT).</summary>
    public IEnumerable<MmuLevel> AllLevels => _levels.Take(_levels.Length - 1).Append(BigPageTable).Append(SmallPageTable);

    /// <summary>The level <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentException">When the format has no such level (PD4 in v2); the message names it.</exception>
    public MmuLevel Level(PageTableLevel id) =>
        TryGetLevel(id, out var level) ? level : throw new ArgumentException($"MMU format {Name} has no level {id} (levels: {string.Join(", ", AllLevels.Select(l => l.Name))}).", nameof(id));

    /// <summary>Finds level <paramref name="id"/>; false when the format has none.</summary>
    public bool TryGetLevel(PageTableLevel id, out MmuLevel level)
    {
        level = AllLevels.FirstOrDefault(l => l.Id == id)!;
        return level is not null;
    }

    /// <summary>The level below <paramref name="level"/> in <see cref="Levels"/> (for PD0: the small-page table); null for the page tables.</summary>
    public MmuLevel? Next(MmuLevel level)
    {
        ArgumentNullException.ThrowIfNull(level);
        if (level.IsPageTable)
        {
            return null;
        }

        var i = Array.IndexOf(_levels, level);
        return i < 0 ? throw new ArgumentException($"Level {level.Name} does not belong to MMU format {Name}.", nameof(level)) : _levels[i + 1];
    }

    /// <summary>The index of <paramref name="va"/> in <paramref name="level"/>'s table.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="va"/> is at or above <see cref="VaLimit"/>.</exception>
    public int IndexOf(MmuLevel level, GpuVa va)
    {
        ArgumentNullException.ThrowIfNull(level);
        CheckVa(va);
        return level.IndexOf(va);
    }

    /// <summary>The index of <paramref name="va"/> in level <paramref name="id"/>'s table.</summary>
    /// <exception cref="ArgumentException">Unknown level for this format.</exception>
    /// <exception cref="ArgumentOutOfRangeException">VA out of range.</exception>
    public int IndexOf(PageTableLevel id, GpuVa va) => IndexOf(Level(id), va);

    /// <summary>The VRAM address of the entry for <paramref name="va"/> in the table of <paramref name="level"/> at <paramref name="tableBase"/>: <c>tableBase + index × EntrySize</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">VA out of range.</exception>
    public VramAddress EntryAddress(VramAddress tableBase, MmuLevel level, GpuVa va) =>
        tableBase.Add((ulong)IndexOf(level, va) * (ulong)level.EntrySize);

    /// <summary>As <see cref="EntryAddress(VramAddress, MmuLevel, GpuVa)"/> for level <paramref name="id"/>.</summary>
    public VramAddress EntryAddress(VramAddress tableBase, PageTableLevel id, GpuVa va) => EntryAddress(tableBase, Level(id), va);

    /// <summary>The level whose PTEs map pages of <paramref name="pageSize"/> bytes.</summary>
    /// <exception cref="ArgumentException">When the format has no such page size; the message lists the ones it has.</exception>
    public MmuLevel LevelForPageSize(ulong pageSize) =>
        TryGetLevelForPageSize(pageSize, out var level)
            ? level
            : throw new ArgumentException($"MMU format {Name} has no {PageSize.Format(pageSize)} pages (it has {string.Join(", ", PageSizes.Select(PageSize.Format))}).", nameof(pageSize));

    /// <summary>Finds the level for <paramref name="pageSize"/>; false when the format has none.</summary>
    public bool TryGetLevelForPageSize(ulong pageSize, out MmuLevel level)
    {
        level = AllLevels.FirstOrDefault(l => l.PteSize == pageSize)!;
        return level is not null;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} (MMU {Version}, {VaBits}-bit VA)";

    private void CheckVa(GpuVa va)
    {
        if (va.Value >= VaLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(va), va, string.Create(CultureInfo.InvariantCulture, $"GPU VA {va} is outside the {VaBits}-bit VA space of {Name}."));
        }
    }

    private const ulong Table4K = 4096;
    private const ulong BigTableBytes = 256;

    private static MmuFormat CreateV2(string name, string chips, bool pd1Pte) => new(
        name,
        MmuVersion.V2,
        49,
        chips,
        [
            new(PageTableLevel.Pd3, 48, 47, 8, false, null, Table4K),
            new(PageTableLevel.Pd2, 46, 38, 8, false, null, Table4K),
            new(PageTableLevel.Pd1, 37, 29, 8, false, pd1Pte ? PageSize.Size512M : null, Table4K),
            new(PageTableLevel.Pd0, 28, 21, 16, true, PageSize.Size2M, Table4K),
            new(PageTableLevel.Pt, 20, 12, 8, false, PageSize.Size4K, Table4K),
        ],
        new(PageTableLevel.PtBig, 20, 16, 8, false, PageSize.Size64K, BigTableBytes));

    private static MmuFormat CreateV3(string name, string chips, bool pd2Pte) => new(
        name,
        MmuVersion.V3,
        57,
        chips,
        [
            new(PageTableLevel.Pd4, 56, 56, 8, false, null, Table4K),
            new(PageTableLevel.Pd3, 55, 47, 8, false, null, Table4K),
            new(PageTableLevel.Pd2, 46, 38, 8, false, pd2Pte ? PageSize.Size256G : null, Table4K),
            new(PageTableLevel.Pd1, 37, 29, 8, false, PageSize.Size512M, Table4K),
            new(PageTableLevel.Pd0, 28, 21, 16, true, PageSize.Size2M, Table4K),
            new(PageTableLevel.Pt, 20, 12, 8, false, PageSize.Size4K, Table4K),
        ],
        new(PageTableLevel.PtBig, 20, 16, 8, false, PageSize.Size64K, BigTableBytes));
}
