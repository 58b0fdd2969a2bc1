using System.Globalization;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Bits;

namespace NovaMm.Spec.PageTables;

/// <summary>
/// An MMU v3 page-table entry (8 bytes): a 4 KiB or 64 KiB PTE in a page table, a 2 MiB PTE in the low
/// qword of PD0, a 512 MiB PTE in PD1, or (Blackwell) a 256 GiB PTE in PD2.
/// Layout <c>NV_MMU_VER3_PTE_*</c> from open-gpu-kernel-modules
/// <c>src/common/inc/swref/published/hopper/gh100/dev_mmu.h</c> (identical copy in Linux
/// <c>nouveau/include/nvhw/ref/gh100/dev_mmu.h</c>); encoders in nouveau <c>vmmgh100.c</c>
/// (docs/page-tables.md). The address is stored in place (bits 51:12, no shift); for video memory the
/// header also defines the narrower view ADDRESS_VID 39:12. No comptagline exists in v3 PTEs.
/// </summary>
public readonly record struct PteV3
{
    private PteV3(ulong raw) => Raw = raw;

    /// <summary>The field layout, declared once (<c>NV_MMU_VER3_PTE_*</c>).</summary>
    public static class Fields
    {
        /// <summary>VALID 0:0.</summary>
        public static readonly BitField Valid = BitField.Bit(0);

        /// <summary>APERTURE 2:1, see <see cref="PteAperture"/>.</summary>
        public static readonly BitField Aperture = new(2, 1);

        /// <summary>PCF 7:3, see <see cref="PtePcf"/>.</summary>
        public static readonly BitField Pcf = new(7, 3);

        /// <summary>KIND 11:8 (4 bits: 0x0 pitch, 0x6 generic memory, 0x7 invalid, 0x8.. compressible).</summary>
        public static readonly BitField Kind = new(11, 8);

        /// <summary>ADDRESS 51:12 (= ADDRESS_SYS = ADDRESS_PEER): PA[51:12] in place.</summary>
        public static readonly BitField Address = new(51, 12);

        /// <summary>ADDRESS_VID 39:12: the video-memory view, PA[39:12] (1 TiB). Overlaps <see cref="Address"/>.</summary>
        public static readonly BitField AddressVid = new(39, 12);

        /// <summary>PEER_ID 63:61.</summary>
        public static readonly BitField PeerId = new(63, 61);

        /// <summary>All fields in bit order.</summary>
        public static IReadOnlyList<EntryField> All { get; } =
        [
            new("VALID", Valid), new("APERTURE", Aperture), new("PCF", Pcf), new("KIND", Kind),
            new("ADDRESS", Address), new("ADDRESS_VID", AddressVid), new("PEER_ID", PeerId),
        ];

        /// <summary>Bits no field defines (60:52).</summary>
        public static ulong ReservedMask { get; } = ~All.Aggregate(0UL, (m, f) => m | f.Field.Mask);
    }

    /// <summary>The raw 64-bit entry.</summary>
    public ulong Raw { get; }

    /// <summary>The invalid PTE, 0 (PCF INVALID).</summary>
    public static PteV3 Invalid => default;

    /// <summary>The sparse PTE: VALID 0, PCF SPARSE = <c>0x8</c> (nouveau <c>gh100_vmm_pgt_sparse</c>).</summary>
    public static PteV3 Sparse => InvalidWith(PtePcf.Sparse);

    /// <summary>The invalid PTE with PCF MAPPING_NOWHERE = <c>0x10</c>.</summary>
    public static PteV3 MappingNowhere => InvalidWith(PtePcf.MappingNowhere);

    /// <summary>The big-PT entry "no valid 4 KiB page here": VALID 0, PCF NO_VALID_4KB_PAGE = <c>0x18</c> (nouveau <c>gh100_vmm_lpt_invalid</c>).</summary>
    public static PteV3 NoValidSmallPages => InvalidWith(PtePcf.NoValid4KbPage);

    private static PteV3 InvalidWith(PtePcf pcf) => new(Fields.Pcf.Set(0, pcf.Value));

    /// <summary>Decodes any 64-bit value without checks (see <see cref="TryFromRaw"/>).</summary>
    public static PteV3 FromRaw(ulong raw) => new(raw);

    /// <summary>Decodes; false when a reserved bit is set, a valid video-memory PTE has address bits above the 39:12 view, or an invalid PTE has a PCF other than 0..3.</summary>
    public static bool TryFromRaw(ulong raw, out PteV3 pte)
    {
        pte = new(raw);
        return pte.ReservedBits == 0 && (pte.IsValid || pte.Pcf.InvalidName is not null);
    }

    /// <summary>A valid PTE mapping video memory at <paramref name="address"/> (4 KiB aligned, below 1 TiB: ADDRESS_VID 39:12).</summary>
    /// <param name="address">The page's VRAM address.</param>
    /// <param name="pcf">The page's PCF; nouveau uses <see cref="PtePcf.RegularRwAtomicCachedAcd"/> (0x10), nova v7 <see cref="PtePcf.RegularRwNoAtomicCachedAce"/> (0x08).</param>
    /// <param name="kind">KIND, 0..15.</param>
    /// <exception cref="ArgumentException">Misaligned or too-wide address, or kind above 15.</exception>
    public static PteV3 ForVram(VramAddress address, PtePcf pcf, byte kind = 0)
    {
        EntryChecks.Frame(address.Value, GpuPage.Shift, Fields.AddressVid, "Video memory address", nameof(address));
        return Valid(PteAperture.Video, address.Value, pcf, kind);
    }

    /// <summary>A valid PTE mapping peer <paramref name="peerId"/>'s memory at <paramref name="address"/> (4 KiB aligned, below 2^52).</summary>
    /// <exception cref="ArgumentException">Peer id outside 0..7, misaligned or too-wide address, or kind above 15.</exception>
    public static PteV3 ForPeer(int peerId, VramAddress address, PtePcf pcf, byte kind = 0)
    {
        if (peerId < 0 || !Fields.PeerId.Fits((ulong)peerId))
        {
            throw new ArgumentException($"Peer id {peerId} is outside 0..7.", nameof(peerId));
        }

        EntryChecks.Frame(address.Value, GpuPage.Shift, Fields.Address, "Peer memory address", nameof(address));
        var pte = Valid(PteAperture.Peer, address.Value, pcf, kind);
        return new(Fields.PeerId.Set(pte.Raw, (ulong)peerId));
    }

    /// <summary>A valid PTE mapping system memory at physical address <paramref name="address"/> (4 KiB aligned, below 2^52).</summary>
    /// <exception cref="ArgumentException">Misaligned or too-wide address, or kind above 15.</exception>
    public static PteV3 ForSysmem(ulong address, bool coherent, PtePcf pcf, byte kind = 0)
    {
        EntryChecks.Frame(address, GpuPage.Shift, Fields.Address, "System memory address", nameof(address));
        return Valid(coherent ? PteAperture.SystemCoherent : PteAperture.SystemNonCoherent, address, pcf, kind);
    }

    private static PteV3 Valid(PteAperture aperture, ulong address, PtePcf pcf, byte kind)
    {
        EntryChecks.Fits(kind, Fields.Kind, "Kind", nameof(kind));
        var raw = Fields.Address.Set(0, address >> GpuPage.Shift);
        raw = Fields.Valid.Set(raw, true);
        raw = Fields.Aperture.Set(raw, (ulong)aperture);
        raw = Fields.Pcf.Set(raw, pcf.Value);
        return new(Fields.Kind.Set(raw, kind));
    }

    /// <summary>VALID.</summary>
    public bool IsValid => Fields.Valid.IsSet(Raw);

    /// <summary>APERTURE.</summary>
    public PteAperture Aperture => (PteAperture)Fields.Aperture.Get(Raw);

    /// <summary>PCF; read its meaning with <see cref="PtePcf.Name"/> and <see cref="IsValid"/>.</summary>
    public PtePcf Pcf => PtePcf.FromValue((int)Fields.Pcf.Get(Raw));

    /// <summary>The PCF's header name for this entry's VALID bit.</summary>
    public string PcfName => Pcf.Name(IsValid);

    /// <summary>KIND.</summary>
    public byte Kind => (byte)Fields.Kind.Get(Raw);

    /// <summary>PEER_ID for the peer aperture; 0 otherwise.</summary>
    public int PeerId => Aperture == PteAperture.Peer ? (int)Fields.PeerId.Get(Raw) : 0;

    /// <summary>The page's physical byte address: ADDRESS_VID 39:12 for video memory, ADDRESS 51:12 otherwise.</summary>
    public ulong Address => (Aperture == PteAperture.Video ? Fields.AddressVid.Get(Raw) : Fields.Address.Get(Raw)) << GpuPage.Shift;

    /// <summary>Invalid with PCF SPARSE.</summary>
    public bool IsSparse => !IsValid && Pcf == PtePcf.Sparse;

    /// <summary>Invalid with PCF MAPPING_NOWHERE.</summary>
    public bool IsMappingNowhere => !IsValid && Pcf == PtePcf.MappingNowhere;

    /// <summary>Invalid with PCF NO_VALID_4KB_PAGE.</summary>
    public bool IsNoValidSmallPages => !IsValid && Pcf == PtePcf.NoValid4KbPage;

    /// <summary>Set bits outside every field (60:52), plus, in a valid video-memory PTE, address bits 51:40 outside the ADDRESS_VID view.</summary>
    public ulong ReservedBits
    {
        get
        {
            var reserved = Raw & Fields.ReservedMask;
            if (IsValid && Aperture == PteAperture.Video)
            {
                reserved |= Raw & Fields.Address.Mask & ~Fields.AddressVid.Mask;
            }

            return reserved;
        }
    }

    /// <summary>A one-line description.</summary>
    public override string ToString()
    {
        if (!IsValid)
        {
            return "PTE invalid PCF " + PcfName;
        }

        var where = Aperture switch
        {
            PteAperture.Video => "vid",
            PteAperture.Peer => string.Create(CultureInfo.InvariantCulture, $"peer{PeerId}"),
            PteAperture.SystemCoherent => "sys-coh",
            _ => "sys-ncoh",
        };
        return $"PTE valid {where} {Hex.Format(Address)} kind {Hex.Format(Kind)} PCF {Hex.Format(Pcf.Value)} {PcfName}";
    }
}
