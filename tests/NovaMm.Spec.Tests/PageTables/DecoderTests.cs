using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Spec.Tests.PageTables;

public class DecoderTests
{
    [Fact]
    public void Pd1_large_page_depends_on_the_format()
    {
        var pte = PteV2.ForVram(new VramAddress(0x2000_0000)).Raw;
        var ampere = Assert.IsType<DecodedPte>(PageTableDecoder.Decode(MmuFormat.V2Ampere, PageTableLevel.Pd1, pte));
        Assert.Equal(PageSize.Size512M, ampere.PageSize);
        Assert.Empty(ampere.Problems);

        var turing = Assert.IsType<DecodedPde>(PageTableDecoder.Decode(MmuFormat.V2Turing, PageTableLevel.Pd1, pte));
        Assert.Contains(turing.Problems, p => p.Contains("cannot hold a PTE", StringComparison.Ordinal));
        Assert.False(turing.Valid);
    }

    [Fact]
    public void Pd2_256G_page_only_on_blackwell()
    {
        var pte = PteV3.ForVram(new VramAddress(0), PtePcf.RegularRwAtomicCachedAcd).Raw;
        Assert.Equal(PageSize.Size256G, Assert.IsType<DecodedPte>(PageTableDecoder.Decode(MmuFormat.V3Blackwell, PageTableLevel.Pd2, pte)).PageSize);
        Assert.IsType<DecodedPde>(PageTableDecoder.Decode(MmuFormat.V3Hopper, PageTableLevel.Pd2, pte));
        Assert.IsType<DecodedPte>(PageTableDecoder.Decode(MmuVersion.V3, PageTableLevel.Pd2, pte));
    }

    [Fact]
    public void Describe_texts()
    {
        Assert.Equal("PT v2: PTE valid vid 0x123456000 (4K page) kind 0x0 RW", PageTableDecoder.Decode(MmuVersion.V2, PageTableLevel.Pt, 0x12345601).Describe());
        Assert.Equal(
            "PT v3: PTE valid vid 0x123456000 (4K page) kind 0x0 RW PCF 0x10 REGULAR_RW_ATOMIC_CACHED_ACD",
            PageTableDecoder.Decode(MmuVersion.V3, PageTableLevel.Pt, 0x123456081).Describe());
        Assert.Equal("PT v2: PTE invalid sparse", PageTableDecoder.Decode(MmuVersion.V2, PageTableLevel.Pt, 0x8).Describe());
        Assert.Equal("PT big v3: PTE invalid no-valid-4K-pages PCF NO_VALID_4KB_PAGE", PageTableDecoder.Decode(MmuVersion.V3, PageTableLevel.PtBig, 0x18).Describe());
        Assert.Equal("PD2 v2: PDE -> Video 0x1234000", PageTableDecoder.Decode(MmuVersion.V2, PageTableLevel.Pd2, 0x123402).Describe());
        Assert.Equal(
            "PD0 v2: dual PDE big Video 0x20000100, small Video 0x20001000",
            PageTableDecoder.Decode(MmuVersion.V2, PageTableLevel.Pd0, 0x2000012, 0x2000102).Describe());
        Assert.Equal("PD0 v3: dual PDE sparse", PageTableDecoder.Decode(MmuVersion.V3, PageTableLevel.Pd0, 0x8, 0).Describe());
        Assert.Equal("PD4 v3: PDE -> Video 0x1234000 PCF VALID_CACHED_ATS_NOT_ALLOWED", PageTableDecoder.Decode(MmuVersion.V3, PageTableLevel.Pd4, 0x1234012).Describe());
        Assert.Contains("reserved bits 0x10", PageTableDecoder.Decode(MmuVersion.V2, PageTableLevel.Pd3, 0x12 | 0x10).Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void V3_flags_come_from_the_pcf()
    {
        var info = Assert.IsType<DecodedPte>(PageTableDecoder.Decode(MmuVersion.V3, PageTableLevel.Pt, PteV3.ForVram(new VramAddress(0x1000), PtePcf.PrivilegeRoNoAtomicUncachedAcd).Raw));
        Assert.True(info.Privileged && info.ReadOnly && info.AtomicDisabled && info.Volatile && info.AccessCountingDisabled);
        Assert.Equal("PRIVILEGE_RO_NO_ATOMIC_UNCACHED_ACD", info.PcfName);
    }

    [Fact]
    public void Raw_text()
    {
        Assert.Equal("0x0000000012345601", PageTableDecoder.Decode(MmuVersion.V2, PageTableLevel.Pt, 0x12345601).RawText);
        Assert.Equal("lo 0x0000000000000008 hi 0x0000000000000000", PageTableDecoder.Decode(MmuVersion.V2, PageTableLevel.Pd0, 0x8, 0).RawText);
    }
}
