using NovaMm.Spec.PageTables;
using NovaMm.Spec.Registers;

namespace NovaMm.Spec.Chips;

/// <summary>GPU architectures as NV_PMC_BOOT_42.ARCHITECTURE encodes them (nova-core <c>gpu.rs</c>; docs/chips.md).</summary>
public enum Architecture : uint
{
    /// <summary>Turing (TU10x, TU11x).</summary>
    Turing = 0x16,

    /// <summary>Ampere (GA100, GA10x).</summary>
    Ampere = 0x17,

    /// <summary>Hopper (GH100).</summary>
    Hopper = 0x18,

    /// <summary>Ada Lovelace (AD10x).</summary>
    Ada = 0x19,

    /// <summary>Blackwell data-centre (GB10x).</summary>
    BlackwellGB10x = 0x1A,

    /// <summary>Blackwell consumer (GB20x).</summary>
    BlackwellGB20x = 0x1B,
}

/// <summary>
/// The page-table format family of a chip (RM's <c>kgmmuFmtInitLevels_*</c>; docs/page-tables.md, docs/chips.md): which MMU version and which page sizes
/// a directory level may hold as a PTE.
/// </summary>
public enum MmuFamily
{
    /// <summary>MMU v2, 4K/64K/2M pages (TU10x: RM's GP10X levels).</summary>
    V2Turing,

    /// <summary>MMU v2 with 512 MiB PTEs in PD1 (GA100, GA10x, AD10x: <c>kgmmuFmtInitLevels_GA10X</c>).</summary>
    V2Ampere,

    /// <summary>MMU v3, 4K/64K/2M/512M pages (GH100).</summary>
    V3Hopper,

    /// <summary>MMU v3 with 256 GiB PTEs in PD2 (GB100, GB102, GB202–GB207: <c>kgmmuFmtInitLevels_GB10X</c>).</summary>
    V3Blackwell,
}

/// <summary>Everything that differs between chips, as data (docs/architecture.md: no <c>if (chip == …)</c> in code).</summary>
/// <param name="Name">Marketing-neutral chip name, e.g. <c>GA102</c>.</param>
/// <param name="ChipId">NV_PMC_BOOT_42.CHIP_ID, e.g. 0x172.</param>
/// <param name="Mmu">Page-table format family.</param>
/// <param name="PraminWindow">The register that moves the PRAMIN aperture.</param>
/// <param name="Bar1Bind">The registers that bind BAR1.</param>
/// <param name="VramSizeRegister">Where the VBIOS leaves the VRAM size.</param>
/// <param name="DefaultBoard">A representative board: VRAM and BAR1 size.</param>
/// <param name="Boot0Undocumented">Value of NV_PMC_BOOT_0 bits 31:29 on real parts (0b101 on GA10x; no header defines them; docs/registers.md).</param>
public sealed record ChipInfo(
    string Name,
    uint ChipId,
    MmuFamily Mmu,
    PraminWindowLayout PraminWindow,
    Bar1BindKind Bar1Bind,
    VramSizeRegisterKind VramSizeRegister,
    BoardInfo DefaultBoard,
    uint Boot0Undocumented = 0)
{
    /// <summary>The architecture (CHIP_ID bits 9:4).</summary>
    public Architecture Architecture => (Architecture)(ChipId >> 4);

    /// <summary>The implementation (CHIP_ID bits 3:0).</summary>
    public uint Implementation => ChipId & 0xF;

    /// <summary>The page-table geometry of this chip (levels, entry sizes, page sizes per level).</summary>
    public MmuFormat Format => Mmu switch
    {
        MmuFamily.V2Turing => MmuFormat.V2Turing,
        MmuFamily.V2Ampere => MmuFormat.V2Ampere,
        MmuFamily.V3Hopper => MmuFormat.V3Hopper,
        _ => MmuFormat.V3Blackwell,
    };

    /// <summary>MMU format version: 2 (Turing, Ampere, Ada) or 3 (Hopper, Blackwell).</summary>
    public int MmuVersion => (int)Format.Version;

    /// <summary>Virtual address width in bits: 49 for MMU v2, 57 for v3 (docs/page-tables.md).</summary>
    public int VaBits => Format.VaBits;

    /// <summary>How much VRAM a PTE can address (<see cref="MmuFormat.VideoMemoryReach"/>).</summary>
    public ulong PteVramReach => Format.VideoMemoryReach;

    /// <summary>
    /// The largest VRAM this chip can drive here: what both a PTE and the PRAMIN window reach (the driver
    /// must reach all VRAM through PRAMIN, GSP-reserved memory at the top included).
    /// </summary>
    public ulong MaxVramSize => Math.Min(PteVramReach, PraminWindow.Reach);

    /// <summary>NV_PMC_BOOT_0 as revision A1 of this chip reports it.</summary>
    public uint Boot0 => new NV_PMC_BOOT_0(Boot0Undocumented << 29).WithArchitecture((uint)Architecture)
        .WithImplementation(Implementation).WithRevision(0xA, 1).Raw;

    /// <summary>NV_PMC_BOOT_42 as revision A1 of this chip reports it.</summary>
    public uint Boot42 => new NV_PMC_BOOT_42(0).WithChipId(ChipId).WithRevision(0xA, 1).Raw;
}

/// <summary>A board: how much VRAM and how large a BAR1.</summary>
/// <param name="Example">A real product with this chip, for orientation.</param>
/// <param name="VramSize">VRAM in bytes.</param>
/// <param name="Bar1Size">BAR1 aperture in bytes (a power of two).</param>
public sealed record BoardInfo(string Example, ulong VramSize, ulong Bar1Size);

/// <summary>
/// Every chip nova-core targets: ids, window, bind and size registers and default boards as docs/chips.md and
/// docs/registers.md give them. Default boards are vendor spec-sheet sizes; BAR1 sizes are those observed on real
/// boards (256 MiB for GeForce/Quadro without resizable BAR, 64 GiB A100 40GB, 128 GiB H100); data-centre
/// Blackwell BAR1 is taken as the next power of two above VRAM (what resizable BAR gives), an assumption; GB202
/// is shown with resizable BAR on (32 GiB), as RTX 50 boards ship.
/// </summary>
public static class ChipCatalog
{
    private const ulong MiB = 1UL << 20;
    private const ulong GiB = 1UL << 30;

    private static readonly PraminWindowLayout Pbus = PraminWindowLayout.PbusBar0Window;
    private static readonly PraminWindowLayout XalGh = PraminWindowLayout.XalEpHopper;
    private static readonly PraminWindowLayout XalGb = PraminWindowLayout.XalEpBlackwell;

    /// <summary>All chips, in architecture and chip-id order.</summary>
    public static IReadOnlyList<ChipInfo> All { get; } =
    [
        Turing("TU102", 0x162, new("Quadro RTX 8000 / RTX 2080 Ti", 11 * GiB, 256 * MiB)),
        Turing("TU104", 0x164, new("RTX 2080", 8 * GiB, 256 * MiB)),
        Turing("TU106", 0x166, new("RTX 2070", 8 * GiB, 256 * MiB)),
        Turing("TU116", 0x168, new("GTX 1660 Ti", 6 * GiB, 256 * MiB)),
        Turing("TU117", 0x167, new("GTX 1650", 4 * GiB, 256 * MiB)),
        new("GA100", 0x170, MmuFamily.V2Ampere, Pbus, Bar1BindKind.Bar1Block, VramSizeRegisterKind.LocalMemoryRange,
            new("A100 40GB", 40 * GiB, 64 * GiB)),
        Ga10x("GA102", 0x172, new("RTX 3090", 24 * GiB, 256 * MiB)),
        Ga10x("GA103", 0x173, new("RTX 3080 Ti Laptop", 16 * GiB, 256 * MiB)),
        Ga10x("GA104", 0x174, new("RTX 3070", 8 * GiB, 256 * MiB)),
        Ga10x("GA106", 0x176, new("RTX 3060", 12 * GiB, 256 * MiB)),
        Ga10x("GA107", 0x177, new("RTX 3050", 8 * GiB, 256 * MiB)),
        Ada("AD102", 0x192, new("RTX 4090", 24 * GiB, 256 * MiB)),
        Ada("AD103", 0x193, new("RTX 4080", 16 * GiB, 256 * MiB)),
        Ada("AD104", 0x194, new("RTX 4070 Ti", 12 * GiB, 256 * MiB)),
        Ada("AD106", 0x196, new("RTX 4060 Ti", 8 * GiB, 256 * MiB)),
        Ada("AD107", 0x197, new("RTX 4060", 8 * GiB, 256 * MiB)),
        new("GH100", 0x180, MmuFamily.V3Hopper, XalGh, Bar1BindKind.FuncBar1BlockLowHigh, VramSizeRegisterKind.UsableFbSizeInMb,
            new("H100 SXM5 80GB", 80 * GiB, 128 * GiB)),
        Blackwell("GB100", 0x1A0, new("B200", 192 * GiB, 256 * GiB)),
        Blackwell("GB102", 0x1A2, new("B100-class, half GB100", 96 * GiB, 128 * GiB)),
        Blackwell("GB202", 0x1B2, new("RTX 5090 (resizable BAR)", 32 * GiB, 32 * GiB)),
        Blackwell("GB203", 0x1B3, new("RTX 5080", 16 * GiB, 256 * MiB)),
        Blackwell("GB205", 0x1B5, new("RTX 5070", 12 * GiB, 256 * MiB)),
        Blackwell("GB206", 0x1B6, new("RTX 5060 Ti", 16 * GiB, 256 * MiB)),
        Blackwell("GB207", 0x1B7, new("RTX 5050", 8 * GiB, 256 * MiB)),
    ];

    /// <summary>The chip NovaMm uses when none is named.</summary>
    public static ChipInfo Default => Get("GA102");

    /// <summary>The chip called <paramref name="name"/> (case-insensitive), or null.</summary>
    public static ChipInfo? Find(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The chip called <paramref name="name"/>; throws <see cref="ArgumentException"/> naming it if unknown.</summary>
    public static ChipInfo Get(string name) =>
        Find(name) ?? throw new ArgumentException(
            $"unknown chip '{name}' (known: {string.Join(", ", All.Select(c => c.Name))})", nameof(name));

    /// <summary>The chip with NV_PMC_BOOT_42.CHIP_ID <paramref name="chipId"/>, or null.</summary>
    public static ChipInfo? FindById(uint chipId) => All.FirstOrDefault(c => c.ChipId == chipId);

    private static ChipInfo Turing(string name, uint id, BoardInfo board) =>
        new(name, id, MmuFamily.V2Turing, Pbus, Bar1BindKind.Bar1Block, VramSizeRegisterKind.LocalMemoryRange, board);

    private static ChipInfo Ga10x(string name, uint id, BoardInfo board) =>
        new(name, id, MmuFamily.V2Ampere, Pbus, Bar1BindKind.Bar1Block, VramSizeRegisterKind.UsableFbSizeInMb, board, Boot0Undocumented: 0b101);

    private static ChipInfo Ada(string name, uint id, BoardInfo board) =>
        new(name, id, MmuFamily.V2Ampere, Pbus, Bar1BindKind.Bar1Block, VramSizeRegisterKind.UsableFbSizeInMb, board);

    private static ChipInfo Blackwell(string name, uint id, BoardInfo board) =>
        new(name, id, MmuFamily.V3Blackwell, XalGb, Bar1BindKind.FuncBar1BlockLowHigh, VramSizeRegisterKind.UsableFbSizeInMb, board);
}
