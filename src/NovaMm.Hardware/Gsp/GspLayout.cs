using NovaMm.Spec.Device;

namespace NovaMm.Hardware.Gsp;

/// <summary>
/// Where the GSP model puts its reservations at the top of VRAM, from the top down (docs/gsp-fb-layout.md; the names of nova-mm v7's <c>FbLayout</c> in <c>fb.rs</c>:
/// <c>vga_workspace</c>, <c>frts</c>, <c>wpr2</c> with the GSP heap, the non-WPR RM heap). The sizes follow the
/// shape of GSP-RM's layout, not its exact numbers (which depend on firmware version): VGA workspace 1 MiB,
/// FRTS 1 MiB, WPR2 = 8 MiB firmware + 8 MiB libos + 96 MiB client heap + 96 KiB per GiB of VRAM (rounded up to
/// 1 MiB), and a 16 MiB RM-reserved region holding the BAR1/BAR2 instance blocks and root page directories.
/// </summary>
/// <param name="VramSize">Total VRAM.</param>
/// <param name="Usable">The usable region [0, RmReserved.Start).</param>
/// <param name="RmReserved">Non-WPR RM memory: instance blocks and BAR page directories.</param>
/// <param name="Wpr2">Write-protected region 2: GSP firmware and heap (reported as protected).</param>
/// <param name="Frts">Firmware runtime security region.</param>
/// <param name="VgaWorkspace">VGA workspace at the very top.</param>
public sealed record GspLayout(ulong VramSize, Region Usable, Region RmReserved, Region Wpr2, Region Frts, Region VgaWorkspace)
{
    private const ulong MiB = 1UL << 20;

    /// <summary>Offset of the BAR1 instance block in the RM-reserved region.</summary>
    public const ulong Bar1InstanceBlockOffset = 0x0000;

    /// <summary>Offset of the BAR1 root page directory in the RM-reserved region.</summary>
    public const ulong Bar1PdbOffset = 0x1000;

    /// <summary>Offset of the BAR2 instance block in the RM-reserved region.</summary>
    public const ulong Bar2InstanceBlockOffset = 0x2000;

    /// <summary>Offset of the BAR2 root page directory in the RM-reserved region.</summary>
    public const ulong Bar2PdbOffset = 0x3000;

    /// <summary>VRAM left for the driver must be at least this much.</summary>
    public const ulong MinimumUsable = 64 * MiB;

    /// <summary>The BAR1 instance block's VRAM address.</summary>
    public ulong Bar1InstanceBlock => RmReserved.Start + Bar1InstanceBlockOffset;

    /// <summary>The BAR1 root page directory's VRAM address (<c>bar1PdeBase</c>).</summary>
    public ulong Bar1Pdb => RmReserved.Start + Bar1PdbOffset;

    /// <summary>The BAR2 instance block's VRAM address.</summary>
    public ulong Bar2InstanceBlock => RmReserved.Start + Bar2InstanceBlockOffset;

    /// <summary>The BAR2 root page directory's VRAM address (<c>bar2PdeBase</c>).</summary>
    public ulong Bar2Pdb => RmReserved.Start + Bar2PdbOffset;

    /// <summary>Everything reserved at the top of VRAM.</summary>
    public static ulong ReservedSize(ulong vramSize)
    {
        var perGiB = (vramSize + (1UL << 30) - 1) >> 30;
        var wpr2 = RoundUpMiB((112 * MiB) + (perGiB * 96 * 1024));
        return (16 * MiB) + wpr2 + (2 * MiB);
    }

    /// <summary>The layout for <paramref name="vramSize"/> bytes (a multiple of 1 MiB).</summary>
    /// <exception cref="ArgumentException">Too little VRAM for the reservations plus <see cref="MinimumUsable"/>.</exception>
    public static GspLayout Compute(ulong vramSize)
    {
        var reserved = ReservedSize(vramSize);
        if (vramSize < reserved + MinimumUsable)
        {
            throw new ArgumentException(
                $"VRAM size 0x{vramSize:x} is too small: GSP-RM reserves 0x{reserved:x} bytes and the driver needs 0x{MinimumUsable:x}", nameof(vramSize));
        }

        var vga = new Region(vramSize - MiB, MiB);
        var frts = new Region(vga.Start - MiB, MiB);
        var wpr2Size = reserved - (16 * MiB) - (2 * MiB);
        var wpr2 = new Region(frts.Start - wpr2Size, wpr2Size);
        var rm = new Region(wpr2.Start - (16 * MiB), 16 * MiB);
        return new GspLayout(vramSize, new Region(0, rm.Start), rm, wpr2, frts, vga);
    }

    /// <summary>
    /// The FB region table GSP-RM reports: the usable region, the RM-reserved region (non-zero <c>reserved</c>),
    /// WPR2 (protected), FRTS + VGA workspace (reserved), and a trailing empty entry with limit &lt; base, as
    /// firmware tables contain.
    /// </summary>
    public IReadOnlyList<FbRegionInfo> FbRegions() =>
    [
        new(Usable.Start, Usable.End - 1, Reserved: 0, Performance: 0, SupportCompressed: true, SupportIso: true, Protected: false),
        new(RmReserved.Start, RmReserved.End - 1, Reserved: RmReserved.Size, Performance: 0, SupportCompressed: false, SupportIso: true, Protected: false),
        new(Wpr2.Start, Wpr2.End - 1, Reserved: 0, Performance: 0, SupportCompressed: false, SupportIso: false, Protected: true),
        new(Frts.Start, VgaWorkspace.End - 1, Reserved: Frts.Size + VgaWorkspace.Size, Performance: 0, SupportCompressed: false, SupportIso: true, Protected: false),
        new(VramSize, VramSize - 1, Reserved: 0, Performance: 0, SupportCompressed: false, SupportIso: false, Protected: false),
    ];

    private static ulong RoundUpMiB(ulong bytes) => (bytes + MiB - 1) & ~(MiB - 1);
}

/// <summary>A region of VRAM.</summary>
/// <param name="Start">First byte.</param>
/// <param name="Size">Length in bytes.</param>
public readonly record struct Region(ulong Start, ulong Size)
{
    /// <summary>One past the last byte.</summary>
    public ulong End => Start + Size;
}
