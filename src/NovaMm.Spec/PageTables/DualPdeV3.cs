using NovaMm.Spec.Addresses;
using NovaMm.Spec.Bits;

namespace NovaMm.Spec.PageTables;

/// <summary>
/// An MMU v3 PD0 entry (16 bytes, "dual PDE"): big-page (64 KiB) table pointer in the low qword,
/// small-page (4 KiB) table pointer in the high qword; or, with IS_PTE set, a 2 MiB <see cref="PteV3"/>
/// in the low qword and 0 in the high qword.
/// Layout <c>NV_MMU_VER3_DUAL_PDE_*</c> from open-gpu-kernel-modules
/// <c>src/common/inc/swref/published/hopper/gh100/dev_mmu.h</c> (docs/page-tables.md): big half APERTURE_BIG
/// 2:1, PCF_BIG 5:3, ADDRESS_BIG 51:8 (PA[51:8] in place, shift 8); small half APERTURE_SMALL 66:65,
/// PCF_SMALL 69:67, ADDRESS_SMALL 115:76 (PA[51:12] in place in the high qword, shift 12).
/// </summary>
public readonly record struct DualPdeV3
{
    private DualPdeV3(ulong low, ulong high)
    {
        Low = low;
        High = high;
    }

    /// <summary>The field layout in 128-bit numbering.</summary>
    public static class Fields
    {
        /// <summary>IS_PTE 0:0.</summary>
        public static readonly BitField128 IsPte = new(0, 0);

        /// <summary>APERTURE_BIG 2:1.</summary>
        public static readonly BitField128 ApertureBig = new(2, 1);

        /// <summary>PCF_BIG 5:3.</summary>
        public static readonly BitField128 PcfBig = new(5, 3);

        /// <summary>ADDRESS_BIG 51:8 (big-table PA &gt;&gt; 8, i.e. PA[51:8] in place).</summary>
        public static readonly BitField128 AddressBig = new(51, 8);

        /// <summary>APERTURE_SMALL 66:65.</summary>
        public static readonly BitField128 ApertureSmall = new(66, 65);

        /// <summary>PCF_SMALL 69:67.</summary>
        public static readonly BitField128 PcfSmall = new(69, 67);

        /// <summary>ADDRESS_SMALL 115:76 (small-table PA &gt;&gt; 12).</summary>
        public static readonly BitField128 AddressSmall = new(115, 76);

        /// <summary>All fields in bit order.</summary>
        public static IReadOnlyList<EntryField128> All { get; } =
        [
            new("IS_PTE", IsPte), new("APERTURE_BIG", ApertureBig), new("PCF_BIG", PcfBig), new("ADDRESS_BIG", AddressBig),
            new("APERTURE_SMALL", ApertureSmall), new("PCF_SMALL", PcfSmall), new("ADDRESS_SMALL", AddressSmall),
        ];

        /// <summary>Undefined bits of the low qword (7:6, 63:52).</summary>
        public static ulong ReservedLowMask { get; } = ~All.Where(f => f.Field.Word == 0).Aggregate(0UL, (m, f) => m | f.Field.InWord.Mask);

        /// <summary>Undefined bits of the high qword (64, 75:70, 127:116 in 128-bit numbering).</summary>
        public static ulong ReservedHighMask { get; } = ~All.Where(f => f.Field.Word == 1).Aggregate(0UL, (m, f) => m | f.Field.InWord.Mask);
    }

    /// <summary>NV_MMU_VER3_DUAL_PDE_ADDRESS_BIG_SHIFT.</summary>
    public const int BigAddressShift = 8;

    /// <summary>NV_MMU_VER3_DUAL_PDE_ADDRESS_SHIFT.</summary>
    public const int SmallAddressShift = 12;

    /// <summary>Entry size in bytes.</summary>
    public const int Size = 16;

    /// <summary>Bits 63:0, stored at +0.</summary>
    public ulong Low { get; }

    /// <summary>Bits 127:64, stored at +8.</summary>
    public ulong High { get; }

    /// <summary>The invalid entry (0, 0).</summary>
    public static DualPdeV3 Invalid => default;

    /// <summary>The sparse entry: PCF_BIG SPARSE_ATS_ALLOWED with both apertures invalid, low <c>0x8</c>, high 0 (RM <c>sparsePdeMulti</c>, nouveau gh100).</summary>
    public static DualPdeV3 Sparse
    {
        get
        {
            var (lo, hi) = Fields.PcfBig.Set(0, 0, PdePcf.SparseAtsAllowed.Value);
            return new(lo, hi);
        }
    }

    /// <summary>Decodes any 128-bit value (see <see cref="TryFromRaw"/>).</summary>
    public static DualPdeV3 FromRaw(ulong low, ulong high) => new(low, high);

    /// <summary>Decodes; false when a reserved bit is set or a PCF is 4..7 (for a 2 MiB PTE: when the high qword is not 0 or the PTE is reserved).</summary>
    public static bool TryFromRaw(ulong low, ulong high, out DualPdeV3 entry)
    {
        entry = new(low, high);
        if (entry.IsPte)
        {
            return high == 0 && PteV3.TryFromRaw(low, out _);
        }

        return entry.ReservedBits == (0, 0) && entry.BigPcf.IsDefined && entry.SmallPcf.IsDefined;
    }

    /// <summary>An entry pointing at a big-page table (256-byte aligned) and/or a small-page table (4 KiB aligned).</summary>
    /// <exception cref="ArgumentException">Misaligned or too-wide address, an undefined PCF, or a sparse PCF on a missing table (use <see cref="Sparse"/>).</exception>
    public static DualPdeV3 Create(TableRef big, TableRef small, PdePcf bigPcf = default, PdePcf smallPcf = default)
    {
        (ulong, ulong) e = (0, 0);
        e = Half(e, big, bigPcf, Fields.ApertureBig, Fields.PcfBig, Fields.AddressBig, BigAddressShift, nameof(big));
        e = Half(e, small, smallPcf, Fields.ApertureSmall, Fields.PcfSmall, Fields.AddressSmall, SmallAddressShift, nameof(small));
        return new(e.Item1, e.Item2);
    }

    /// <summary>A 2 MiB page: low qword <paramref name="pte"/>, high qword 0.</summary>
    /// <exception cref="ArgumentException">When <paramref name="pte"/> is not valid (it would read as a PDE).</exception>
    public static DualPdeV3 ForLargePage(PteV3 pte)
    {
        if (!pte.IsValid)
        {
            throw new ArgumentException($"Only a valid PTE can be stored in PD0 (raw {pte.Raw:x}); use DualPdeV3.Sparse or Invalid.", nameof(pte));
        }

        return new(pte.Raw, 0);
    }

    private static (ulong, ulong) Half(
        (ulong Low, ulong High) e, TableRef table, PdePcf pcf, BitField128 aperture, BitField128 pcfField,
        BitField128 address, int shift, string paramName)
    {
        if (!pcf.IsDefined)
        {
            throw new ArgumentException($"PDE PCF {pcf.Value} for the {paramName} half is not defined (0..3).", paramName);
        }

        if (!table.IsPresent)
        {
            if (pcf.IsSparse || table.Address != 0)
            {
                throw new ArgumentException($"The {paramName} half names no table; an address or a sparse PCF make no sense there (use DualPdeV3.Sparse).", paramName);
            }

            return pcfField.Set(e.Low, e.High, pcf.Value);
        }

        // ADDRESS_BIG holds PA[51:8] and ADDRESS_SMALL PA[51:12]: in place, so the field value is the address >> shift.
        var frame = EntryChecks.Frame(table.Address, shift, address.InWord, $"The {paramName} page table's address", paramName);
        e = address.Set(e.Low, e.High, frame);
        e = aperture.Set(e.Low, e.High, (ulong)table.Aperture);
        return pcfField.Set(e.Low, e.High, pcf.Value);
    }

    /// <summary>IS_PTE.</summary>
    public bool IsPte => Fields.IsPte.Get(Low, High) != 0;

    /// <summary>The 2 MiB PTE in the low qword (meaningful only when <see cref="IsPte"/>).</summary>
    public PteV3 LargePage => PteV3.FromRaw(Low);

    /// <summary>APERTURE_BIG.</summary>
    public PdeAperture BigAperture => (PdeAperture)Fields.ApertureBig.Get(Low, High);

    /// <summary>APERTURE_SMALL.</summary>
    public PdeAperture SmallAperture => (PdeAperture)Fields.ApertureSmall.Get(Low, High);

    /// <summary>PCF_BIG.</summary>
    public PdePcf BigPcf => PdePcf.FromValue((int)Fields.PcfBig.Get(Low, High));

    /// <summary>PCF_SMALL.</summary>
    public PdePcf SmallPcf => PdePcf.FromValue((int)Fields.PcfSmall.Get(Low, High));

    /// <summary>The big-page table, or <see cref="TableRef.None"/>.</summary>
    public TableRef Big => IsPte || BigAperture == PdeAperture.Invalid
        ? TableRef.None
        : new(BigAperture, Fields.AddressBig.Get(Low, High) << BigAddressShift);

    /// <summary>The small-page table, or <see cref="TableRef.None"/>.</summary>
    public TableRef Small => IsPte || SmallAperture == PdeAperture.Invalid
        ? TableRef.None
        : new(SmallAperture, Fields.AddressSmall.Get(Low, High) << SmallAddressShift);

    /// <summary>Sparse: not a PTE, both apertures invalid, PCF_BIG sparse.</summary>
    public bool IsSparse => !IsPte && BigAperture == PdeAperture.Invalid && SmallAperture == PdeAperture.Invalid && BigPcf.IsSparse;

    /// <summary>Set bits that no field defines, per qword; for a 2 MiB PTE, the PTE's reserved bits and the whole high qword.</summary>
    public (ulong Low, ulong High) ReservedBits => IsPte
        ? (LargePage.ReservedBits, High)
        : (Low & Fields.ReservedLowMask, High & Fields.ReservedHighMask);

    /// <summary>A one-line description.</summary>
    public override string ToString() =>
        IsPte ? "PD0 2M " + LargePage
        : IsSparse ? "PD0 sparse"
        : $"PD0 big {Big} PCF {BigPcf.Name(Big.IsPresent)}, small {Small} PCF {SmallPcf.Name(Small.IsPresent)}";
}
