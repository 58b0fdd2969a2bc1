using System.Globalization;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Bits;

namespace NovaMm.Spec.PageTables;

/// <summary>The GPU MMU page-table format generation (docs/page-tables.md).</summary>
public enum MmuVersion
{
    /// <summary>MMU format "version 2": Pascal to Ada (Turing, Ampere and Ada for NovaMm); 49-bit VA, 5 levels.</summary>
    V2 = 2,

    /// <summary>MMU format "version 3": Hopper and Blackwell; 57-bit VA, 6 levels, PCF fields.</summary>
    V3 = 3,
}

/// <summary>
/// Where a page-table entry (PTE) points: the 2-bit <c>APERTURE</c> field of a PTE (bits 2:1), the same
/// in <c>NV_MMU_VER2_PTE_APERTURE</c> and <c>NV_MMU_VER3_PTE_APERTURE</c> (dev_mmu.h). 0 is video memory:
/// a PTE has no "invalid" aperture (it has the VALID bit instead). Not interchangeable with
/// <see cref="PdeAperture"/>.
/// </summary>
public enum PteAperture
{
    /// <summary>0: local video memory (VRAM).</summary>
    Video = 0,

    /// <summary>1: another GPU's memory over NVLink/PCIe peer-to-peer; the entry carries a peer id.</summary>
    Peer = 1,

    /// <summary>2: system memory, snooped (CPU-cache coherent).</summary>
    SystemCoherent = 2,

    /// <summary>3: system memory, not snooped.</summary>
    SystemNonCoherent = 3,
}

/// <summary>
/// Where a page-directory entry (PDE) points its next-level table: the 2-bit aperture of a PDE
/// (<c>NV_MMU_VER2_PDE_APERTURE</c>, <c>NV_MMU_VER3_PDE_APERTURE</c>, and each half of a dual PDE).
/// 0 means "no next level" (invalid, or sparse with VOL / the sparse PCF), unlike <see cref="PteAperture"/>.
/// A PDE cannot point into peer memory.
/// </summary>
public enum PdeAperture
{
    /// <summary>0: no next-level table.</summary>
    Invalid = 0,

    /// <summary>1: the next table is in video memory.</summary>
    Video = 1,

    /// <summary>2: the next table is in system memory, snooped.</summary>
    SystemCoherent = 2,

    /// <summary>3: the next table is in system memory, not snooped.</summary>
    SystemNonCoherent = 3,
}

/// <summary>
/// The levels of a GPU page-table tree, named as RM and the manuals name them (docs/page-tables.md).
/// PD4 exists only in MMU v3. <see cref="PtBig"/> and <see cref="Pt"/> are the two leaf tables a dual
/// PD0 entry points to.
/// </summary>
public enum PageTableLevel
{
    /// <summary>Page directory 4: the v3 root, VA bit 56.</summary>
    Pd4,

    /// <summary>Page directory 3: the v2 root (VA 48:47) or the second v3 level (VA 55:47).</summary>
    Pd3,

    /// <summary>Page directory 2: VA 46:38 (may hold a 256 GiB PTE on Blackwell).</summary>
    Pd2,

    /// <summary>Page directory 1: VA 37:29 (may hold a 512 MiB PTE on Ampere/Ada and v3).</summary>
    Pd1,

    /// <summary>Page directory 0: VA 28:21, 16-byte dual entries (big and small table pointers) or a 2 MiB PTE.</summary>
    Pd0,

    /// <summary>The big-page (64 KiB) page table: VA 20:16, 32 entries, 256 bytes.</summary>
    PtBig,

    /// <summary>The small-page (4 KiB) page table: VA 20:12, 512 entries.</summary>
    Pt,
}

/// <summary>Names of <see cref="PageTableLevel"/> for display and for the command line.</summary>
public static class PageTableLevels
{
    /// <summary>The manual-style display name: <c>PD4</c>..<c>PD0</c>, <c>PT big</c>, <c>PT</c>.</summary>
    public static string DisplayName(this PageTableLevel level) => level switch
    {
        PageTableLevel.Pd4 => "PD4",
        PageTableLevel.Pd3 => "PD3",
        PageTableLevel.Pd2 => "PD2",
        PageTableLevel.Pd1 => "PD1",
        PageTableLevel.Pd0 => "PD0",
        PageTableLevel.PtBig => "PT big",
        PageTableLevel.Pt => "PT",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, $"Unknown page-table level {level}."),
    };

    /// <summary>The command-line spelling: <c>pd4</c>..<c>pd0</c>, <c>pt-big</c>, <c>pt</c>.</summary>
    public static string CliName(this PageTableLevel level) => level switch
    {
        PageTableLevel.PtBig => "pt-big",
        _ => level.DisplayName().ToLowerInvariant(),
    };

    /// <summary>Parses a command-line or display spelling (case-insensitive; <c>pt-big</c>, <c>ptbig</c> and <c>PT big</c> all work).</summary>
    /// <exception cref="ArgumentException">When <paramref name="text"/> names no level; the message quotes it.</exception>
    public static PageTableLevel Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TryParse(text, out var level))
        {
            return level;
        }

        throw new ArgumentException($"Unknown page-table level '{text}' (expected pd4, pd3, pd2, pd1, pd0, pt-big or pt).", nameof(text));
    }

    /// <summary>Parses like <see cref="Parse"/>; false when the text names no level.</summary>
    public static bool TryParse(string? text, out PageTableLevel level)
    {
        var key = (text ?? string.Empty).Trim().ToLowerInvariant().Replace(" ", "-", StringComparison.Ordinal).Replace("_", "-", StringComparison.Ordinal);
        (var ok, level) = key switch
        {
            "pd4" => (true, PageTableLevel.Pd4),
            "pd3" => (true, PageTableLevel.Pd3),
            "pd2" => (true, PageTableLevel.Pd2),
            "pd1" => (true, PageTableLevel.Pd1),
            "pd0" => (true, PageTableLevel.Pd0),
            "pt-big" or "ptbig" or "lpt" => (true, PageTableLevel.PtBig),
            "pt" or "pt-small" or "spt" => (true, PageTableLevel.Pt),
            _ => (false, default(PageTableLevel)),
        };
        return ok;
    }
}

/// <summary>
/// The target of a page-directory entry: which aperture and byte address the next-level table is at.
/// Version-neutral; the per-version PDE types place <see cref="Address"/> in their own address fields.
/// </summary>
/// <param name="Aperture">Where the table is; <see cref="PdeAperture.Invalid"/> means no table.</param>
/// <param name="Address">The table's physical byte address (0 when there is no table).</param>
public readonly record struct TableRef(PdeAperture Aperture, ulong Address)
{
    /// <summary>No table (aperture invalid, address 0).</summary>
    public static TableRef None => default;

    /// <summary>A table in video memory at <paramref name="table"/>.</summary>
    public static TableRef Vram(VramAddress table) => new(PdeAperture.Video, table.Value);

    /// <summary>A table in system memory at physical address <paramref name="address"/>.</summary>
    public static TableRef Sysmem(ulong address, bool coherent = true) =>
        new(coherent ? PdeAperture.SystemCoherent : PdeAperture.SystemNonCoherent, address);

    /// <summary>Whether this names a table (aperture is not invalid).</summary>
    public bool IsPresent => Aperture != PdeAperture.Invalid;

    /// <inheritdoc />
    public override string ToString() => IsPresent ? $"{Aperture} {Hex.Format(Address)}" : "none";
}

/// <summary>A named field of an entry layout, for layout listings and layout tests.</summary>
/// <param name="Name">The manual's field name without the prefix (<c>APERTURE</c>, <c>ADDRESS_VID</c>).</param>
/// <param name="Field">The bit range in the 64-bit entry.</param>
public readonly record struct EntryField(string Name, BitField Field)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} {Field}";
}

/// <summary>A named field of a 128-bit (dual PDE) layout.</summary>
/// <param name="Name">The manual's field name without the prefix (<c>APERTURE_SMALL</c>).</param>
/// <param name="Field">The bit range in the 128-bit entry.</param>
public readonly record struct EntryField128(string Name, BitField128 Field)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} {Field}";
}

/// <summary>Argument checks shared by the entry factories (messages name the offending value).</summary>
internal static class EntryChecks
{
    /// <summary>Throws unless <paramref name="address"/> is a multiple of <c>2^shift</c> and <c>address &gt;&gt; shift</c> fits <paramref name="field"/>.</summary>
    internal static ulong Frame(ulong address, int shift, BitField field, string what, string paramName)
    {
        var alignment = 1UL << shift;
        if ((address & (alignment - 1)) != 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{what} {Hex.Format(address)} is not {Hex.Format(alignment)}-byte aligned."),
                paramName);
        }

        var frame = address >> shift;
        if (!field.Fits(frame))
        {
            var limit = shift + field.Width >= 64 ? ulong.MaxValue : (1UL << (shift + field.Width)) - 1;
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{what} {Hex.Format(address)} does not fit the {field.Width}-bit address field {field} (highest address {Hex.Format(limit)})."),
                paramName);
        }

        return frame;
    }

    internal static ulong Fits(ulong value, BitField field, string what, string paramName)
    {
        if (!field.Fits(value))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{what} {Hex.Format(value)} does not fit the {field.Width}-bit field {field}."),
                paramName);
        }

        return value;
    }
}
