using System.Globalization;
using System.Text;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Bits;

namespace NovaMm.Spec.PageTables;

/// <summary>
/// The optional attributes of a valid MMU v2 PTE (<see cref="PteV2"/>). The default is what nova and
/// nouveau write for ordinary memory: cached, not privileged, writable, atomics allowed, kind 0 (pitch),
/// no compression.
/// </summary>
public readonly record struct PteV2Attributes
{
    /// <summary>VOL: the page is volatile (not cached in the GPU L2). nouveau sets it for coherent system memory.</summary>
    public bool Volatile { get; init; }

    /// <summary>ENCRYPTED (bit 4): defined only in the Pascal header; the GP100 MMU-format PDF says "do not use, set to 0", and the Turing manual does not define the bit.</summary>
    public bool Encrypted { get; init; }

    /// <summary>PRIVILEGE: only privileged accesses may use the page.</summary>
    public bool Privileged { get; init; }

    /// <summary>READ_ONLY: writes fault.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>ATOMIC_DISABLE: atomics fault.</summary>
    public bool AtomicDisable { get; init; }

    /// <summary>KIND (8 bits): the surface kind; 0x00 pitch, 0x06 generic memory (Turing+), 0x07 invalid.</summary>
    public byte Kind { get; init; }

    /// <summary>COMPTAGLINE (20 bits on TU10x+): the compression tag line; only for video or peer memory, because the field overlaps the system-memory address.</summary>
    public uint CompTagLine { get; init; }
}

/// <summary>
/// An MMU v2 page-table entry (8 bytes): a 4 KiB PTE in a small PT, a 64 KiB PTE in a big PT, a 2 MiB PTE
/// in the low qword of a PD0 entry, or (GA10x/AD10x) a 512 MiB PTE in a PD1 slot.
/// Layout <c>NV_MMU_VER2_PTE_*</c> from NVIDIA open-gpu-doc <c>manuals/turing/tu104/dev_mmu.ref.txt</c> and
/// open-gpu-kernel-modules <c>src/common/inc/swref/published/{pascal/gp100,turing/tu102}/dev_mmu.h</c>;
/// special invalid encodings from nouveau <c>nvkm/subdev/mmu/vmmgp100.c</c> and the GP100 MMU-format PDF
/// (docs/page-tables.md). Built only through the factories; <see cref="FromRaw"/> decodes any value.
/// </summary>
public readonly record struct PteV2
{
    private PteV2(ulong raw) => Raw = raw;

    /// <summary>The field layout, declared once (dev_mmu.h <c>NV_MMU_VER2_PTE_*</c>).</summary>
    public static class Fields
    {
        /// <summary>VALID 0:0. When 0, the hardware ignores every field except VOL and PRIVILEGE.</summary>
        public static readonly BitField Valid = BitField.Bit(0);

        /// <summary>APERTURE 2:1, see <see cref="PteAperture"/>.</summary>
        public static readonly BitField Aperture = new(2, 1);

        /// <summary>VOL 3:3 (volatile; in an invalid PTE: sparse).</summary>
        public static readonly BitField Volatile = BitField.Bit(3);

        /// <summary>ENCRYPTED 4:4 (Pascal header only).</summary>
        public static readonly BitField Encrypted = BitField.Bit(4);

        /// <summary>PRIVILEGE 5:5 (in an invalid big PTE: "no valid 4 KiB page").</summary>
        public static readonly BitField Privilege = BitField.Bit(5);

        /// <summary>READ_ONLY 6:6.</summary>
        public static readonly BitField ReadOnly = BitField.Bit(6);

        /// <summary>ATOMIC_DISABLE 7:7.</summary>
        public static readonly BitField AtomicDisable = BitField.Bit(7);

        /// <summary>ADDRESS_VID 32:8: video (and peer) memory address &gt;&gt; 12, i.e. PA[36:12].</summary>
        public static readonly BitField AddressVid = new(32, 8);

        /// <summary>ADDRESS_VID_PEER 35:33: the peer id for the peer aperture.</summary>
        public static readonly BitField AddressVidPeer = new(35, 33);

        /// <summary>ADDRESS_SYS 53:8: system memory address &gt;&gt; 12, i.e. PA[57:12]. Overlaps the vid, peer and comptagline views.</summary>
        public static readonly BitField AddressSys = new(53, 8);

        /// <summary>COMPTAGLINE 55:36 (TU10x manual; 53:36 in the GP100 header). Overlaps the top of ADDRESS_SYS.</summary>
        public static readonly BitField CompTagLine = new(55, 36);

        /// <summary>KIND 63:56.</summary>
        public static readonly BitField Kind = new(63, 56);

        /// <summary>All fields in bit order, for listings and layout tests.</summary>
        public static IReadOnlyList<EntryField> All { get; } =
        [
            new("VALID", Valid), new("APERTURE", Aperture), new("VOL", Volatile), new("ENCRYPTED", Encrypted),
            new("PRIVILEGE", Privilege), new("READ_ONLY", ReadOnly), new("ATOMIC_DISABLE", AtomicDisable),
            new("ADDRESS_VID", AddressVid), new("ADDRESS_VID_PEER", AddressVidPeer), new("ADDRESS_SYS", AddressSys),
            new("COMPTAGLINE", CompTagLine), new("KIND", Kind),
        ];
    }

    /// <summary>ADDRESS_SHIFT: the stored addresses are byte addresses &gt;&gt; 12.</summary>
    public const int AddressShift = 12;

    /// <summary>The raw 64-bit entry as it is stored in memory (little-endian).</summary>
    public ulong Raw { get; }

    /// <summary>The invalid PTE, 0. In a big PT it lets the small PTEs of the range decide.</summary>
    public static PteV2 Invalid => default;

    /// <summary>The sparse PTE: VALID 0 + VOL 1 = <c>0x8</c> (nouveau <c>gp100_vmm_pgt_sparse</c>). Accesses do not fault; reads return 0, writes are dropped.</summary>
    public static PteV2 Sparse => new(Fields.Volatile.Set(0, true));

    /// <summary>The big-PT entry "no valid 4 KiB page here": VALID 0 + PRIVILEGE 1 = <c>0x20</c> (nouveau <c>gp100_vmm_lpt_invalid</c>; GP100 MMU-format PDF). The MMU does not look at the small PTEs of the range.</summary>
    public static PteV2 NoValidSmallPages => new(Fields.Privilege.Set(0, true));

    /// <summary>Decodes any 64-bit value (every bit of a v2 PTE belongs to a field).</summary>
    public static PteV2 FromRaw(ulong raw) => new(raw);

    /// <summary>A valid PTE mapping video memory at <paramref name="address"/> (4 KiB aligned, below 128 GiB: PA[36:12]).</summary>
    /// <exception cref="ArgumentException">Misaligned or too-wide address, or a too-wide comptagline.</exception>
    public static PteV2 ForVram(VramAddress address, PteV2Attributes attributes = default)
    {
        var frame = EntryChecks.Frame(address.Value, AddressShift, Fields.AddressVid, "Video memory address", nameof(address));
        var raw = Fields.AddressVid.Set(0, frame);
        raw = Fields.Aperture.Set(raw, (ulong)PteAperture.Video);
        return new(Encode(raw, attributes, allowCompTag: true));
    }

    /// <summary>A valid PTE mapping peer <paramref name="peerId"/>'s video memory at <paramref name="address"/> (same address field as video memory).</summary>
    /// <exception cref="ArgumentException">Peer id outside 0..7, misaligned or too-wide address.</exception>
    public static PteV2 ForPeer(int peerId, VramAddress address, PteV2Attributes attributes = default)
    {
        if (peerId < 0 || !Fields.AddressVidPeer.Fits((ulong)peerId))
        {
            throw new ArgumentException($"Peer id {peerId} is outside 0..7.", nameof(peerId));
        }

        var frame = EntryChecks.Frame(address.Value, AddressShift, Fields.AddressVid, "Peer memory address", nameof(address));
        var raw = Fields.AddressVid.Set(0, frame);
        raw = Fields.AddressVidPeer.Set(raw, (ulong)peerId);
        raw = Fields.Aperture.Set(raw, (ulong)PteAperture.Peer);
        return new(Encode(raw, attributes, allowCompTag: true));
    }

    /// <summary>A valid PTE mapping system memory at physical address <paramref name="address"/> (4 KiB aligned, below 2^58).</summary>
    /// <exception cref="ArgumentException">Misaligned or too-wide address, or a comptagline (it would overwrite address bits).</exception>
    public static PteV2 ForSysmem(ulong address, bool coherent = true, PteV2Attributes attributes = default)
    {
        var frame = EntryChecks.Frame(address, AddressShift, Fields.AddressSys, "System memory address", nameof(address));
        var raw = Fields.AddressSys.Set(0, frame);
        raw = Fields.Aperture.Set(raw, (ulong)(coherent ? PteAperture.SystemCoherent : PteAperture.SystemNonCoherent));
        return new(Encode(raw, attributes, allowCompTag: false));
    }

    private static ulong Encode(ulong raw, PteV2Attributes a, bool allowCompTag)
    {
        if (a.CompTagLine != 0)
        {
            if (!allowCompTag)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Comptagline {Hex.Format(a.CompTagLine)} is not allowed in a system-memory PTE: COMPTAGLINE 55:36 overlaps ADDRESS_SYS 53:8."),
                    "attributes");
            }

            EntryChecks.Fits(a.CompTagLine, Fields.CompTagLine, "Comptagline", "attributes");
            raw = Fields.CompTagLine.Set(raw, a.CompTagLine);
        }

        raw = Fields.Valid.Set(raw, true);
        raw = Fields.Volatile.Set(raw, a.Volatile);
        raw = Fields.Encrypted.Set(raw, a.Encrypted);
        raw = Fields.Privilege.Set(raw, a.Privileged);
        raw = Fields.ReadOnly.Set(raw, a.ReadOnly);
        raw = Fields.AtomicDisable.Set(raw, a.AtomicDisable);
        return Fields.Kind.Set(raw, a.Kind);
    }

    /// <summary>VALID.</summary>
    public bool IsValid => Fields.Valid.IsSet(Raw);

    /// <summary>APERTURE (meaningful only when valid).</summary>
    public PteAperture Aperture => (PteAperture)Fields.Aperture.Get(Raw);

    /// <summary>VOL.</summary>
    public bool IsVolatile => Fields.Volatile.IsSet(Raw);

    /// <summary>ENCRYPTED (bit 4).</summary>
    public bool IsEncrypted => Fields.Encrypted.IsSet(Raw);

    /// <summary>PRIVILEGE.</summary>
    public bool IsPrivileged => Fields.Privilege.IsSet(Raw);

    /// <summary>READ_ONLY.</summary>
    public bool IsReadOnly => Fields.ReadOnly.IsSet(Raw);

    /// <summary>ATOMIC_DISABLE.</summary>
    public bool IsAtomicDisabled => Fields.AtomicDisable.IsSet(Raw);

    /// <summary>KIND.</summary>
    public byte Kind => (byte)Fields.Kind.Get(Raw);

    /// <summary>COMPTAGLINE for video and peer apertures; 0 for system memory (there the bits are address bits).</summary>
    public uint CompTagLine => IsSystemAperture ? 0 : (uint)Fields.CompTagLine.Get(Raw);

    /// <summary>ADDRESS_VID_PEER for the peer aperture; 0 otherwise.</summary>
    public int PeerId => Aperture == PteAperture.Peer ? (int)Fields.AddressVidPeer.Get(Raw) : 0;

    /// <summary>The physical byte address of the page, read through the address view the aperture selects (vid/peer: 32:8, sys: 53:8).</summary>
    public ulong Address => (IsSystemAperture ? Fields.AddressSys.Get(Raw) : Fields.AddressVid.Get(Raw)) << AddressShift;

    /// <summary>An invalid PTE with VOL set: sparse (GP100 MMU-format PDF; docs/page-tables.md).</summary>
    public bool IsSparse => !IsValid && IsVolatile;

    /// <summary>An invalid PTE with PRIVILEGE set: in a big PT, "no valid 4 KiB page in this range" (GP100 MMU-format PDF, nouveau <c>vmmgp100.c</c>; docs/page-tables.md).</summary>
    public bool IsNoValidSmallPages => !IsValid && IsPrivileged;

    /// <summary>The attribute bits as a <see cref="PteV2Attributes"/> (what a factory would need to rebuild this entry).</summary>
    public PteV2Attributes Attributes => new()
    {
        Volatile = IsVolatile,
        Encrypted = IsEncrypted,
        Privileged = IsPrivileged,
        ReadOnly = IsReadOnly,
        AtomicDisable = IsAtomicDisabled,
        Kind = Kind,
        CompTagLine = CompTagLine,
    };

    private bool IsSystemAperture => Aperture is PteAperture.SystemCoherent or PteAperture.SystemNonCoherent;

    /// <summary>A one-line description, e.g. <c>PTE valid vid 0x123456000 kind 0x0 RW</c>.</summary>
    public override string ToString()
    {
        if (!IsValid)
        {
            return IsSparse ? "PTE sparse" : IsNoValidSmallPages ? "PTE invalid, no valid 4K pages" : "PTE invalid";
        }

        var sb = new StringBuilder("PTE valid ");
        sb.Append(Aperture switch
        {
            PteAperture.Video => "vid",
            PteAperture.Peer => string.Create(CultureInfo.InvariantCulture, $"peer{PeerId}"),
            PteAperture.SystemCoherent => "sys-coh",
            _ => "sys-ncoh",
        });
        sb.Append(' ').Append(Hex.Format(Address)).Append(" kind ").Append(Hex.Format(Kind));
        sb.Append(IsReadOnly ? " RO" : " RW");
        if (IsVolatile)
        {
            sb.Append(" VOL");
        }

        if (IsPrivileged)
        {
            sb.Append(" PRIV");
        }

        if (IsAtomicDisabled)
        {
            sb.Append(" NO_ATOMIC");
        }

        if (IsEncrypted)
        {
            sb.Append(" ENCRYPTED");
        }

        if (CompTagLine != 0)
        {
            sb.Append(" comptag ").Append(Hex.Format(CompTagLine));
        }

        return sb.ToString();
    }
}
