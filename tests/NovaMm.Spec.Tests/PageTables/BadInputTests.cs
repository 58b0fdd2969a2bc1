using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Spec.Tests.PageTables;

/// <summary>API misuse throws the ArgumentException family and names the offending value.</summary>
public class BadInputTests
{
    [Fact]
    public void Misaligned_addresses()
    {
        Assert.Contains("0x123456800", Assert.Throws<ArgumentException>(() => PteV2.ForVram(new VramAddress(0x1_2345_6800))).Message);
        Assert.Contains("0x1001", Assert.Throws<ArgumentException>(() => PteV2.ForSysmem(0x1001)).Message);
        Assert.Contains("0x1234", Assert.Throws<ArgumentException>(() => PdeV2.ForVram(new VramAddress(0x1234))).Message);
        Assert.Contains("0x20000180", Assert.Throws<ArgumentException>(() => DualPdeV2.Create(TableRef.Vram(new VramAddress(0x2000_0180)), TableRef.None)).Message);
        Assert.Contains("0x20000100", Assert.Throws<ArgumentException>(() => DualPdeV2.Create(TableRef.None, TableRef.Vram(new VramAddress(0x2000_0100)))).Message);
        Assert.Contains("0x800", Assert.Throws<ArgumentException>(() => PteV3.ForVram(new VramAddress(0x800), PtePcf.RegularRwAtomicCachedAcd)).Message);
        Assert.Throws<ArgumentException>(() => PdeV3.ForVram(new VramAddress(0x100), PdePcf.ValidCachedAtsAllowed));
        Assert.Throws<ArgumentException>(() => DualPdeV3.Create(TableRef.Vram(new VramAddress(0x80)), TableRef.None));
        Assert.Throws<ArgumentException>(() => DualPdeV3.Create(TableRef.None, TableRef.Vram(new VramAddress(0x100))));
    }

    [Fact]
    public void Too_wide_addresses()
    {
        // v2 video memory: PA[36:12] (128 GiB); system memory PA[57:12].
        Assert.Contains("0x2000000000", Assert.Throws<ArgumentException>(() => PteV2.ForVram(new VramAddress(1UL << 37))).Message);
        PteV2.ForVram(new VramAddress((1UL << 37) - 0x1000));
        Assert.Throws<ArgumentException>(() => PteV2.ForSysmem(1UL << 58));
        PteV2.ForSysmem((1UL << 58) - 0x1000);
        Assert.Throws<ArgumentException>(() => PdeV2.ForVram(new VramAddress(1UL << 37)));
        Assert.Throws<ArgumentException>(() => PdeV2.ForSysmem(1UL << 58));
        Assert.Throws<ArgumentException>(() => DualPdeV2.Create(TableRef.Vram(new VramAddress(1UL << 37)), TableRef.None));
        Assert.Throws<ArgumentException>(() => DualPdeV2.Create(TableRef.Sysmem(1UL << 58), TableRef.None));

        // v3: video PTE PA[39:12]; everything else PA[51:12].
        Assert.Contains("0x10000000000", Assert.Throws<ArgumentException>(() => PteV3.ForVram(new VramAddress(1UL << 40), PtePcf.RegularRwAtomicCachedAcd)).Message);
        PteV3.ForPeer(0, new VramAddress(1UL << 40), PtePcf.RegularRwAtomicCachedAcd);
        Assert.Throws<ArgumentException>(() => PteV3.ForPeer(0, new VramAddress(1UL << 52), PtePcf.RegularRwAtomicCachedAcd));
        Assert.Throws<ArgumentException>(() => PteV3.ForSysmem(1UL << 52, true, PtePcf.RegularRwAtomicCachedAcd));
        Assert.Throws<ArgumentException>(() => PdeV3.ForSysmem(1UL << 52, true, PdePcf.ValidCachedAtsAllowed));
        Assert.Throws<ArgumentException>(() => DualPdeV3.Create(TableRef.Sysmem(1UL << 52), TableRef.None));
    }

    [Fact]
    public void Other_fields_too_wide_or_out_of_range()
    {
        Assert.Contains("8", Assert.Throws<ArgumentException>(() => PteV2.ForPeer(8, new VramAddress(0))).Message);
        Assert.Throws<ArgumentException>(() => PteV2.ForPeer(-1, new VramAddress(0)));
        Assert.Throws<ArgumentException>(() => PteV3.ForPeer(8, new VramAddress(0), PtePcf.Invalid));
        Assert.Contains("0x100000", Assert.Throws<ArgumentException>(() => PteV2.ForVram(new VramAddress(0), new PteV2Attributes { CompTagLine = 1u << 20 })).Message);
        Assert.Contains("0x10", Assert.Throws<ArgumentException>(() => PteV3.ForVram(new VramAddress(0), PtePcf.Invalid, kind: 16)).Message);
        Assert.Throws<ArgumentException>(() => PdeV3.ForVram(new VramAddress(0), PdePcf.FromValue(4)));
        Assert.Throws<ArgumentException>(() => DualPdeV3.Create(TableRef.Vram(new VramAddress(0)), TableRef.None, bigPcf: PdePcf.FromValue(5)));
    }

    [Fact]
    public void Comptagline_is_rejected_for_system_memory()
    {
        var ex = Assert.Throws<ArgumentException>(() => PteV2.ForSysmem(0x1000, true, new PteV2Attributes { CompTagLine = 5 }));
        Assert.Contains("COMPTAGLINE", ex.Message);
    }

    [Fact]
    public void No_table_where_a_table_is_required()
    {
        Assert.Throws<ArgumentException>(() => PdeV2.For(TableRef.None));
        Assert.Throws<ArgumentException>(() => PdeV3.For(TableRef.None, PdePcf.ValidCachedAtsAllowed));
        Assert.Throws<ArgumentException>(() => DualPdeV2.Create(TableRef.None, TableRef.None, volatileBig: true));
        Assert.Throws<ArgumentException>(() => DualPdeV2.Create(TableRef.None, TableRef.None, volatileSmall: true));
        Assert.Throws<ArgumentException>(() => DualPdeV2.Create(new TableRef(PdeAperture.Invalid, 0x1000), TableRef.None));
        Assert.Throws<ArgumentException>(() => DualPdeV3.Create(TableRef.None, TableRef.None, bigPcf: PdePcf.SparseAtsAllowed));
        Assert.Equal(DualPdeV2.Invalid, DualPdeV2.Create(TableRef.None, TableRef.None));
        Assert.Equal(DualPdeV3.Invalid, DualPdeV3.Create(TableRef.None, TableRef.None));
    }

    [Fact]
    public void Invalid_pte_cannot_become_a_large_page()
    {
        Assert.Throws<ArgumentException>(() => DualPdeV2.ForLargePage(PteV2.Sparse));
        Assert.Throws<ArgumentException>(() => DualPdeV3.ForLargePage(PteV3.Sparse));
    }

    [Fact]
    public void Unknown_level_and_stray_high_qword()
    {
        Assert.Throws<ArgumentException>(() => PageTableDecoder.Decode(MmuVersion.V2, PageTableLevel.Pd4, 0));
        Assert.Throws<ArgumentException>(() => PageTableDecoder.Decode(MmuVersion.V2, (PageTableLevel)42, 0));
        Assert.Throws<ArgumentException>(() => PageTableDecoder.Decode(MmuVersion.V3, PageTableLevel.Pt, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MmuFormat.Widest((MmuVersion)7));
    }

    [Fact]
    public void Reserved_encodings_fail_try_decode()
    {
        Assert.False(PdeV2.TryFromRaw(0x1, out _)); // IS_PTE
        Assert.False(PdeV2.TryFromRaw(0x12 | 0x10, out _)); // bit 4 reserved
        Assert.False(PteV3.TryFromRaw(1UL << 55, out _)); // 60:52 reserved
        Assert.False(PteV3.TryFromRaw(0x20, out _)); // invalid PTE, PCF 4 undefined
        Assert.False(PteV3.TryFromRaw(1 | (1UL << 45), out _)); // valid vidmem PTE above the 39:12 view
        Assert.True(PteV3.TryFromRaw(1 | 4 | (1UL << 45), out _)); // same bits, sys-coh: fine
        Assert.False(PdeV3.TryFromRaw(0x2 | (4 << 3), out _)); // PCF 4
        Assert.False(DualPdeV2.TryFromRaw(0x1, 0x1, out _)); // 2M PTE with a non-zero high qword
        Assert.False(DualPdeV2.TryFromRaw(0, 1, out _)); // high bit 64 reserved
        Assert.False(DualPdeV3.TryFromRaw(0x40, 0, out _)); // low bit 6 reserved
        Assert.False(DualPdeV3.TryFromRaw(0, 0x20 << 3, out _)); // PCF_SMALL 4
    }
}
