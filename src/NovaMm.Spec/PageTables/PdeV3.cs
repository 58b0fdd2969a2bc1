using NovaMm.Spec.Addresses;
using NovaMm.Spec.Bits;

namespace NovaMm.Spec.PageTables;

/// <summary>
/// An MMU v3 page-directory entry of 8 bytes (PD4, PD3, PD2, PD1).
/// Layout <c>NV_MMU_VER3_PDE_*</c> from open-gpu-kernel-modules
/// <c>src/common/inc/swref/published/hopper/gh100/dev_mmu.h</c>; encoders in nouveau <c>vmmgh100.c</c>
/// (docs/page-tables.md). The table address is stored in place (51:12) for every aperture; VOL and NO_ATS
/// of v2 are folded into the 3-bit <see cref="PdePcf"/>. IS_PTE (bit 0) set means the slot holds a
/// <see cref="PteV3"/> (512 MiB in PD1, 256 GiB in PD2 on Blackwell).
/// </summary>
public readonly record struct PdeV3
{
    private PdeV3(ulong raw) => Raw = raw;

    /// <summary>The field layout, declared once (<c>NV_MMU_VER3_PDE_*</c>).</summary>
    public static class Fields
    {
        /// <summary>IS_PTE 0:0 (also named VALID). 0 for a PDE.</summary>
        public static readonly BitField IsPte = BitField.Bit(0);

        /// <summary>APERTURE 2:1, see <see cref="PdeAperture"/>.</summary>
        public static readonly BitField Aperture = new(2, 1);

        /// <summary>PCF 5:3, see <see cref="PdePcf"/>.</summary>
        public static readonly BitField Pcf = new(5, 3);

        /// <summary>ADDRESS 51:12: the next table's PA[51:12] in place (ADDRESS_SHIFT 12).</summary>
        public static readonly BitField Address = new(51, 12);

        /// <summary>All fields in bit order.</summary>
        public static IReadOnlyList<EntryField> All { get; } =
            [new("IS_PTE", IsPte), new("APERTURE", Aperture), new("PCF", Pcf), new("ADDRESS", Address)];

        /// <summary>Bits no field defines (11:6, 63:52).</summary>
        public static ulong ReservedMask { get; } = ~All.Aggregate(0UL, (m, f) => m | f.Field.Mask);
    }

    /// <summary>The raw 64-bit entry.</summary>
    public ulong Raw { get; }

    /// <summary>The invalid PDE, 0 (aperture invalid, PCF INVALID_ATS_ALLOWED).</summary>
    public static PdeV3 Invalid => default;

    /// <summary>The sparse PDE: aperture invalid, PCF SPARSE_ATS_ALLOWED = <c>0x8</c>.</summary>
    public static PdeV3 Sparse => new(Fields.Pcf.Set(0, PdePcf.SparseAtsAllowed.Value));

    /// <summary>Decodes any 64-bit value without checks (see <see cref="TryFromRaw"/>).</summary>
    public static PdeV3 FromRaw(ulong raw) => new(raw);

    /// <summary>Decodes; false when IS_PTE is set, a reserved bit is set, or the PCF is 4..7.</summary>
    public static bool TryFromRaw(ulong raw, out PdeV3 pde)
    {
        pde = new(raw);
        return !pde.IsPte && pde.ReservedBits == 0 && pde.Pcf.IsDefined;
    }

    /// <summary>A PDE pointing at a table in video memory (4 KiB aligned, below 2^52). nouveau uses <see cref="PdePcf.ValidCachedAtsNotAllowed"/>, nova v7 <see cref="PdePcf.ValidCachedAtsAllowed"/>.</summary>
    /// <exception cref="ArgumentException">Misaligned or too-wide address, or an undefined PCF.</exception>
    public static PdeV3 ForVram(VramAddress table, PdePcf pcf) => For(TableRef.Vram(table), pcf);

    /// <summary>A PDE pointing at a table in system memory (4 KiB aligned, below 2^52).</summary>
    /// <exception cref="ArgumentException">Misaligned or too-wide address, or an undefined PCF.</exception>
    public static PdeV3 ForSysmem(ulong address, bool coherent, PdePcf pcf) => For(TableRef.Sysmem(address, coherent), pcf);

    /// <summary>A PDE pointing at <paramref name="next"/> with PCF <paramref name="pcf"/>.</summary>
    /// <exception cref="ArgumentException">No table named (use <see cref="Invalid"/>/<see cref="Sparse"/>), bad address, or an undefined PCF.</exception>
    public static PdeV3 For(TableRef next, PdePcf pcf)
    {
        if (!next.IsPresent)
        {
            throw new ArgumentException("A PDE needs a next-level table; aperture Invalid names none (use PdeV3.Invalid or PdeV3.Sparse).", nameof(next));
        }

        if (!pcf.IsDefined)
        {
            throw new ArgumentException($"PDE PCF {pcf.Value} is not defined (0..3).", nameof(pcf));
        }

        var frame = EntryChecks.Frame(next.Address, GpuPage.Shift, Fields.Address, "Table address", nameof(next));
        var raw = Fields.Address.Set(0, frame);
        raw = Fields.Aperture.Set(raw, (ulong)next.Aperture);
        return new(Fields.Pcf.Set(raw, pcf.Value));
    }

    /// <summary>IS_PTE: the slot holds a PTE.</summary>
    public bool IsPte => Fields.IsPte.IsSet(Raw);

    /// <summary>APERTURE.</summary>
    public PdeAperture Aperture => (PdeAperture)Fields.Aperture.Get(Raw);

    /// <summary>PCF.</summary>
    public PdePcf Pcf => PdePcf.FromValue((int)Fields.Pcf.Get(Raw));

    /// <summary>The PCF's header name for this entry (valid or invalid naming by aperture).</summary>
    public string PcfName => Pcf.Name(IsValid);

    /// <summary>Whether the entry points at a next-level table.</summary>
    public bool IsValid => !IsPte && Aperture != PdeAperture.Invalid;

    /// <summary>Sparse: not a PTE, aperture invalid, PCF bit 0 (SPARSE_ATS_ALLOWED or SPARSE_ATS_NOT_ALLOWED).</summary>
    public bool IsSparse => !IsPte && Aperture == PdeAperture.Invalid && Pcf.IsSparse;

    /// <summary>The next table's byte address (0 when the aperture is invalid).</summary>
    public ulong Address => Aperture == PdeAperture.Invalid ? 0 : Fields.Address.Get(Raw) << GpuPage.Shift;

    /// <summary>The next-level table.</summary>
    public TableRef Next => new(Aperture, Address);

    /// <summary>Set bits that no field defines.</summary>
    public ulong ReservedBits => Raw & Fields.ReservedMask;

    /// <summary>A one-line description.</summary>
    public override string ToString() =>
        IsPte ? "PDE slot holds a PTE (IS_PTE=1)"
        : IsValid ? $"PDE -> {Next} PCF {PcfName}"
        : $"PDE {(IsSparse ? "sparse" : "invalid")} PCF {PcfName}";
}
