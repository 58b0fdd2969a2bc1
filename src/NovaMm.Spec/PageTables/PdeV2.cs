using System.Text;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Bits;

namespace NovaMm.Spec.PageTables;

/// <summary>
/// An MMU v2 page-directory entry of 8 bytes (PD3, PD2, PD1): points at the next-level table.
/// Layout <c>NV_MMU_VER2_PDE_*</c> from NVIDIA open-gpu-doc <c>manuals/turing/tu104/dev_mmu.ref.txt</c>
/// (NO_ATS, IS_PTE, peer) and open-gpu-kernel-modules <c>swref/published/pascal/gp100/dev_mmu.h</c>;
/// sparse encoding from the GP100 MMU-format PDF and nouveau <c>vmmgp100.c</c> (docs/page-tables.md).
/// Bit 0 (IS_PTE) set means the slot holds a PTE instead (legal only in PD1 on GA10x/AD10x, see
/// <see cref="MmuFormat"/>); decode such a slot as a <see cref="PteV2"/>.
/// </summary>
public readonly record struct PdeV2
{
    private PdeV2(ulong raw) => Raw = raw;

    /// <summary>The field layout, declared once (<c>NV_MMU_VER2_PDE_*</c>).</summary>
    public static class Fields
    {
        /// <summary>IS_PTE 0:0 (also named VALID; IS_PDE is the same bit inverted). 0 for a PDE.</summary>
        public static readonly BitField IsPte = BitField.Bit(0);

        /// <summary>APERTURE 2:1, see <see cref="PdeAperture"/>.</summary>
        public static readonly BitField Aperture = new(2, 1);

        /// <summary>VOL 3:3: the next-level table is volatile (not cached in L2); with aperture 0, the PDE is sparse.</summary>
        public static readonly BitField Volatile = BitField.Bit(3);

        /// <summary>NO_ATS 5:5 (Volta+ manuals): no address translation services below this entry.</summary>
        public static readonly BitField NoAts = BitField.Bit(5);

        /// <summary>ADDRESS_VID 32:8: table address &gt;&gt; 12 in video memory (PA[36:12]).</summary>
        public static readonly BitField AddressVid = new(32, 8);

        /// <summary>ADDRESS_VID_PEER 35:33 (only PEER_0 is defined for PDEs).</summary>
        public static readonly BitField AddressVidPeer = new(35, 33);

        /// <summary>ADDRESS_SYS 53:8: table address &gt;&gt; 12 in system memory (PA[57:12]); overlaps the vid and peer views.</summary>
        public static readonly BitField AddressSys = new(53, 8);

        /// <summary>All fields in bit order.</summary>
        public static IReadOnlyList<EntryField> All { get; } =
        [
            new("IS_PTE", IsPte), new("APERTURE", Aperture), new("VOL", Volatile), new("NO_ATS", NoAts),
            new("ADDRESS_VID", AddressVid), new("ADDRESS_VID_PEER", AddressVidPeer), new("ADDRESS_SYS", AddressSys),
        ];

        /// <summary>Bits no field defines (4, 7:6, 63:54).</summary>
        public static ulong ReservedMask { get; } = ~All.Aggregate(0UL, (m, f) => m | f.Field.Mask);
    }

    /// <summary>ADDRESS_SHIFT: table addresses are stored &gt;&gt; 12.</summary>
    public const int AddressShift = 12;

    /// <summary>The raw 64-bit entry.</summary>
    public ulong Raw { get; }

    /// <summary>The invalid PDE, 0 (no next level).</summary>
    public static PdeV2 Invalid => default;

    /// <summary>The sparse PDE: aperture 0 + VOL 1 = <c>0x8</c> (GP100 MMU-format PDF): the whole range reads 0, writes are dropped, no fault.</summary>
    public static PdeV2 Sparse => new(Fields.Volatile.Set(0, true));

    /// <summary>Decodes any 64-bit value without checks (see <see cref="TryFromRaw"/>).</summary>
    public static PdeV2 FromRaw(ulong raw) => new(raw);

    /// <summary>Decodes <paramref name="raw"/>; false when IS_PTE is set (the slot holds a PTE) or a reserved bit is set.</summary>
    public static bool TryFromRaw(ulong raw, out PdeV2 pde)
    {
        pde = new(raw);
        return !pde.IsPte && pde.ReservedBits == 0;
    }

    /// <summary>A PDE pointing at a next-level table in video memory at <paramref name="table"/> (4 KiB aligned, below 128 GiB).</summary>
    /// <exception cref="ArgumentException">Misaligned or too-wide address.</exception>
    public static PdeV2 ForVram(VramAddress table, bool volatileNext = false, bool noAts = false) =>
        For(TableRef.Vram(table), volatileNext, noAts);

    /// <summary>A PDE pointing at a next-level table in system memory at <paramref name="address"/> (4 KiB aligned, below 2^58). nouveau sets <paramref name="volatileNext"/> for coherent system memory.</summary>
    /// <exception cref="ArgumentException">Misaligned or too-wide address.</exception>
    public static PdeV2 ForSysmem(ulong address, bool coherent = true, bool volatileNext = false, bool noAts = false) =>
        For(TableRef.Sysmem(address, coherent), volatileNext, noAts);

    /// <summary>A PDE pointing at <paramref name="next"/>.</summary>
    /// <exception cref="ArgumentException">When <paramref name="next"/> names no table (use <see cref="Invalid"/> or <see cref="Sparse"/>), or its address is misaligned or too wide.</exception>
    public static PdeV2 For(TableRef next, bool volatileNext = false, bool noAts = false)
    {
        var raw = next.Aperture switch
        {
            PdeAperture.Video => Fields.AddressVid.Set(0, EntryChecks.Frame(next.Address, AddressShift, Fields.AddressVid, "Video memory table address", nameof(next))),
            PdeAperture.SystemCoherent or PdeAperture.SystemNonCoherent =>
                Fields.AddressSys.Set(0, EntryChecks.Frame(next.Address, AddressShift, Fields.AddressSys, "System memory table address", nameof(next))),
            _ => throw new ArgumentException($"A PDE needs a next-level table; aperture {next.Aperture} names none (use PdeV2.Invalid or PdeV2.Sparse).", nameof(next)),
        };
        raw = Fields.Aperture.Set(raw, (ulong)next.Aperture);
        raw = Fields.Volatile.Set(raw, volatileNext);
        return new(Fields.NoAts.Set(raw, noAts));
    }

    /// <summary>IS_PTE: the slot holds a PTE, not a PDE.</summary>
    public bool IsPte => Fields.IsPte.IsSet(Raw);

    /// <summary>APERTURE of the next-level table.</summary>
    public PdeAperture Aperture => (PdeAperture)Fields.Aperture.Get(Raw);

    /// <summary>Whether the entry points at a next-level table (IS_PTE 0, aperture not invalid).</summary>
    public bool IsValid => !IsPte && Aperture != PdeAperture.Invalid;

    /// <summary>VOL.</summary>
    public bool IsVolatile => Fields.Volatile.IsSet(Raw);

    /// <summary>NO_ATS.</summary>
    public bool NoAts => Fields.NoAts.IsSet(Raw);

    /// <summary>ADDRESS_VID_PEER (always 0 in a well-formed PDE).</summary>
    public int PeerId => (int)Fields.AddressVidPeer.Get(Raw);

    /// <summary>Sparse: IS_PTE 0, aperture invalid, VOL 1.</summary>
    public bool IsSparse => !IsPte && Aperture == PdeAperture.Invalid && IsVolatile;

    /// <summary>The next-level table's byte address, through the view the aperture selects; 0 when the aperture is invalid.</summary>
    public ulong Address => Aperture switch
    {
        PdeAperture.Video => Fields.AddressVid.Get(Raw) << AddressShift,
        PdeAperture.Invalid => 0,
        _ => Fields.AddressSys.Get(Raw) << AddressShift,
    };

    /// <summary>The next-level table (<see cref="TableRef.None"/> when the aperture is invalid).</summary>
    public TableRef Next => new(Aperture, Address);

    /// <summary>The set bits that no field defines (0 in a well-formed PDE).</summary>
    public ulong ReservedBits => Raw & Fields.ReservedMask;

    /// <summary>A one-line description.</summary>
    public override string ToString()
    {
        if (IsPte)
        {
            return "PDE slot holds a PTE (IS_PTE=1)";
        }

        if (!IsValid)
        {
            return IsSparse ? "PDE sparse" : "PDE invalid";
        }

        var sb = new StringBuilder("PDE -> ").Append(Next);
        if (IsVolatile)
        {
            sb.Append(" VOL");
        }

        if (NoAts)
        {
            sb.Append(" NO_ATS");
        }

        return sb.ToString();
    }
}
