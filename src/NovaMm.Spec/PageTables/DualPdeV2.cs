using System.Text;
using NovaMm.Spec.Bits;

namespace NovaMm.Spec.PageTables;

/// <summary>
/// An MMU v2 PD0 entry (16 bytes, "dual PDE"): the low qword points at the big-page (64 KiB) table,
/// the high qword at the small-page (4 KiB) table; or, with IS_PTE set, the low qword is a 2 MiB
/// <see cref="PteV2"/> and the high qword is 0.
/// Layout <c>NV_MMU_VER2_DUAL_PDE_*</c> from NVIDIA open-gpu-doc <c>manuals/turing/tu104/dev_mmu.ref.txt</c>
/// and open-gpu-kernel-modules <c>swref/published/pascal/gp100/dev_mmu.h</c> (docs/page-tables.md).
/// The two halves have DIFFERENT layouts: the big half stores the table address &gt;&gt; 8 from bit 4
/// (big tables are 256-byte aligned), the small half stores it &gt;&gt; 12 from bit 72. (nova v7 parses the
/// big half with the 8-byte PDE layout; that is wrong and not copied here.)
/// </summary>
public readonly record struct DualPdeV2
{
    private DualPdeV2(ulong low, ulong high)
    {
        Low = low;
        High = high;
    }

    /// <summary>The field layout in 128-bit numbering (bits 64..127 are the high qword).</summary>
    public static class Fields
    {
        /// <summary>IS_PTE 0:0: the entry is a 2 MiB PTE in the low qword.</summary>
        public static readonly BitField128 IsPte = new(0, 0);

        /// <summary>APERTURE_BIG 2:1.</summary>
        public static readonly BitField128 ApertureBig = new(2, 1);

        /// <summary>VOL_BIG 3:3; with both apertures invalid, VOL_BIG=1 makes the entry sparse.</summary>
        public static readonly BitField128 VolatileBig = new(3, 3);

        /// <summary>NO_ATS 5:5 as the manual declares it. It lies inside ADDRESS_BIG_VID/SYS (PA bit 9 of the big table), so NovaMm never sets it and does not decode it as a flag.</summary>
        public static readonly BitField128 NoAts = new(5, 5);

        /// <summary>ADDRESS_BIG_VID 32:4: big-table address &gt;&gt; 8 (PA[36:8]).</summary>
        public static readonly BitField128 AddressBigVid = new(32, 4);

        /// <summary>ADDRESS_BIG_VID_PEER 35:33.</summary>
        public static readonly BitField128 AddressBigVidPeer = new(35, 33);

        /// <summary>ADDRESS_BIG_SYS 53:4: big-table address &gt;&gt; 8 (PA[57:8]).</summary>
        public static readonly BitField128 AddressBigSys = new(53, 4);

        /// <summary>APERTURE_SMALL 66:65.</summary>
        public static readonly BitField128 ApertureSmall = new(66, 65);

        /// <summary>VOL_SMALL 67:67.</summary>
        public static readonly BitField128 VolatileSmall = new(67, 67);

        /// <summary>ADDRESS_SMALL_VID 96:72: small-table address &gt;&gt; 12 (PA[36:12]).</summary>
        public static readonly BitField128 AddressSmallVid = new(96, 72);

        /// <summary>ADDRESS_SMALL_VID_PEER 99:97.</summary>
        public static readonly BitField128 AddressSmallVidPeer = new(99, 97);

        /// <summary>ADDRESS_SMALL_SYS 117:72: small-table address &gt;&gt; 12 (PA[57:12]).</summary>
        public static readonly BitField128 AddressSmallSys = new(117, 72);

        /// <summary>All fields in bit order.</summary>
        public static IReadOnlyList<EntryField128> All { get; } =
        [
            new("IS_PTE", IsPte), new("APERTURE_BIG", ApertureBig), new("VOL_BIG", VolatileBig), new("NO_ATS", NoAts),
            new("ADDRESS_BIG_VID", AddressBigVid), new("ADDRESS_BIG_VID_PEER", AddressBigVidPeer), new("ADDRESS_BIG_SYS", AddressBigSys),
            new("APERTURE_SMALL", ApertureSmall), new("VOL_SMALL", VolatileSmall), new("ADDRESS_SMALL_VID", AddressSmallVid),
            new("ADDRESS_SMALL_VID_PEER", AddressSmallVidPeer), new("ADDRESS_SMALL_SYS", AddressSmallSys),
        ];

        /// <summary>Undefined bits of the low qword (63:54).</summary>
        public static ulong ReservedLowMask { get; } = ~All.Where(f => f.Field.Word == 0).Aggregate(0UL, (m, f) => m | f.Field.InWord.Mask);

        /// <summary>Undefined bits of the high qword (64, 71:68, 127:118 in 128-bit numbering).</summary>
        public static ulong ReservedHighMask { get; } = ~All.Where(f => f.Field.Word == 1).Aggregate(0UL, (m, f) => m | f.Field.InWord.Mask);
    }

    /// <summary>NV_MMU_VER2_DUAL_PDE_ADDRESS_BIG_SHIFT: the big-table address is stored &gt;&gt; 8.</summary>
    public const int BigAddressShift = 8;

    /// <summary>NV_MMU_VER2_DUAL_PDE_ADDRESS_SHIFT: the small-table address is stored &gt;&gt; 12.</summary>
    public const int SmallAddressShift = 12;

    /// <summary>Entry size in bytes.</summary>
    public const int Size = 16;

    /// <summary>Bits 63:0, stored at the entry's byte offset +0.</summary>
    public ulong Low { get; }

    /// <summary>Bits 127:64, stored at +8.</summary>
    public ulong High { get; }

    /// <summary>The invalid entry (both qwords 0).</summary>
    public static DualPdeV2 Invalid => default;

    /// <summary>The sparse entry: low qword VOL_BIG = <c>0x8</c>, high qword 0 (nouveau <c>gp100_vmm_pd0_sparse</c>, GP100 PDF).</summary>
    public static DualPdeV2 Sparse => FromParts(Fields.VolatileBig.Set(0, 0, 1));

    /// <summary>Decodes any 128-bit value (see <see cref="TryFromRaw"/>).</summary>
    public static DualPdeV2 FromRaw(ulong low, ulong high) => new(low, high);

    /// <summary>Decodes; false when a reserved bit is set (for a 2 MiB PTE: when the high qword is not 0).</summary>
    public static bool TryFromRaw(ulong low, ulong high, out DualPdeV2 entry)
    {
        entry = new(low, high);
        return entry.ReservedBits == (0, 0);
    }

    /// <summary>An entry pointing at a big-page table (<paramref name="big"/>, 256-byte aligned) and/or a small-page table (<paramref name="small"/>, 4 KiB aligned); either may be <see cref="TableRef.None"/>.</summary>
    /// <exception cref="ArgumentException">Misaligned or too-wide address, or VOL requested for a missing table (use <see cref="Sparse"/>).</exception>
    public static DualPdeV2 Create(TableRef big, TableRef small, bool volatileBig = false, bool volatileSmall = false)
    {
        (ulong lo, ulong hi) e = (0, 0);
        e = Half(e, big, volatileBig, Fields.ApertureBig, Fields.VolatileBig, Fields.AddressBigVid, Fields.AddressBigSys, BigAddressShift, nameof(big));
        e = Half(e, small, volatileSmall, Fields.ApertureSmall, Fields.VolatileSmall, Fields.AddressSmallVid, Fields.AddressSmallSys, SmallAddressShift, nameof(small));
        return new(e.lo, e.hi);
    }

    /// <summary>A 2 MiB page: the low qword is <paramref name="pte"/> (whose VALID bit is IS_PTE), the high qword 0 (nouveau <c>gp100_vmm_pd0_pte</c>).</summary>
    /// <exception cref="ArgumentException">When <paramref name="pte"/> is not valid: an invalid PTE has IS_PTE 0 and would read as a PDE.</exception>
    public static DualPdeV2 ForLargePage(PteV2 pte)
    {
        if (!pte.IsValid)
        {
            throw new ArgumentException($"Only a valid PTE can be stored in PD0 (raw {pte.Raw:x}); use DualPdeV2.Sparse or Invalid.", nameof(pte));
        }

        return new(pte.Raw, 0);
    }

    private static DualPdeV2 FromParts((ulong Low, ulong High) e) => new(e.Low, e.High);

    private static (ulong, ulong) Half(
        (ulong Low, ulong High) e, TableRef table, bool vol, BitField128 aperture, BitField128 volField,
        BitField128 vid, BitField128 sys, int shift, string paramName)
    {
        if (!table.IsPresent)
        {
            if (vol || table.Address != 0)
            {
                throw new ArgumentException($"The {paramName} half names no table; VOL or an address make no sense there (use DualPdeV2.Sparse).", paramName);
            }

            return e;
        }

        var field = table.Aperture == PdeAperture.Video ? vid : sys;
        var what = table.Aperture == PdeAperture.Video ? "video memory" : "system memory";
        var frame = EntryChecks.Frame(table.Address, shift, field.InWord, $"The {paramName} page table's {what} address", paramName);
        e = field.Set(e.Low, e.High, frame);
        e = aperture.Set(e.Low, e.High, (ulong)table.Aperture);
        return volField.Set(e.Low, e.High, vol ? 1UL : 0UL);
    }

    /// <summary>IS_PTE: the entry is a 2 MiB page (see <see cref="LargePage"/>).</summary>
    public bool IsPte => Fields.IsPte.Get(Low, High) != 0;

    /// <summary>The 2 MiB PTE in the low qword (meaningful only when <see cref="IsPte"/>).</summary>
    public PteV2 LargePage => PteV2.FromRaw(Low);

    /// <summary>APERTURE_BIG.</summary>
    public PdeAperture BigAperture => (PdeAperture)Fields.ApertureBig.Get(Low, High);

    /// <summary>APERTURE_SMALL.</summary>
    public PdeAperture SmallAperture => (PdeAperture)Fields.ApertureSmall.Get(Low, High);

    /// <summary>VOL_BIG.</summary>
    public bool IsBigVolatile => Fields.VolatileBig.Get(Low, High) != 0;

    /// <summary>VOL_SMALL.</summary>
    public bool IsSmallVolatile => Fields.VolatileSmall.Get(Low, High) != 0;

    /// <summary>The big-page table (shift 8 layout), or <see cref="TableRef.None"/>.</summary>
    public TableRef Big => IsPte ? TableRef.None : BigAperture switch
    {
        PdeAperture.Invalid => TableRef.None,
        PdeAperture.Video => new(BigAperture, Fields.AddressBigVid.Get(Low, High) << BigAddressShift),
        _ => new(BigAperture, Fields.AddressBigSys.Get(Low, High) << BigAddressShift),
    };

    /// <summary>The small-page table (shift 12 layout), or <see cref="TableRef.None"/>.</summary>
    public TableRef Small => IsPte ? TableRef.None : SmallAperture switch
    {
        PdeAperture.Invalid => TableRef.None,
        PdeAperture.Video => new(SmallAperture, Fields.AddressSmallVid.Get(Low, High) << SmallAddressShift),
        _ => new(SmallAperture, Fields.AddressSmallSys.Get(Low, High) << SmallAddressShift),
    };

    /// <summary>Sparse: not a PTE, both apertures invalid, VOL_BIG set.</summary>
    public bool IsSparse => !IsPte && BigAperture == PdeAperture.Invalid && SmallAperture == PdeAperture.Invalid && IsBigVolatile;

    /// <summary>Set bits that no field defines, per qword; for a 2 MiB PTE the whole high qword counts.</summary>
    public (ulong Low, ulong High) ReservedBits => IsPte ? (0, High) : (Low & Fields.ReservedLowMask, High & Fields.ReservedHighMask);

    /// <summary>A one-line description.</summary>
    public override string ToString()
    {
        if (IsPte)
        {
            return "PD0 2M " + LargePage;
        }

        if (IsSparse)
        {
            return "PD0 sparse";
        }

        var sb = new StringBuilder("PD0 big ").Append(Big);
        if (IsBigVolatile)
        {
            sb.Append(" VOL");
        }

        sb.Append(", small ").Append(Small);
        if (IsSmallVolatile)
        {
            sb.Append(" VOL");
        }

        return sb.ToString();
    }
}
