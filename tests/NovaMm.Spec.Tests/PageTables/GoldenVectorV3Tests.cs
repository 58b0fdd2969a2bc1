using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Spec.Tests.PageTables;

/// <summary>docs/page-tables.md (Golden vectors), V3-1..V3-7 plus the gh100 special encodings.</summary>
public class GoldenVectorV3Tests
{
    [Fact]
    public void V3_1_4K_vidmem_rw_cached_acd()
    {
        var pte = PteV3.ForVram(new VramAddress(0x1_2345_6000), PtePcf.RegularRwAtomicCachedAcd);
        Assert.Equal(0x0000000123456081UL, pte.Raw);

        Assert.True(PteV3.TryFromRaw(0x0000000123456081, out var back));
        Assert.True(back.IsValid);
        Assert.Equal(PteAperture.Video, back.Aperture);
        Assert.Equal(0x1_2345_6000UL, back.Address);
        Assert.Equal(PtePcf.RegularRwAtomicCachedAcd, back.Pcf);
        Assert.Equal("REGULAR_RW_ATOMIC_CACHED_ACD", back.PcfName);
        Assert.Equal(back.Raw, PteV3.ForVram(new VramAddress(back.Address), back.Pcf, back.Kind).Raw);
    }

    [Fact]
    public void V3_2_64K_syscoh_rw_uncached_acd()
    {
        var pte = PteV3.ForSysmem(0xAB_CDE1_0000, coherent: true, PtePcf.RegularRwAtomicUncachedAcd);
        Assert.Equal(0x000000ABCDE1008DUL, pte.Raw);

        var back = PteV3.FromRaw(0x000000ABCDE1008D);
        Assert.Equal(PteAperture.SystemCoherent, back.Aperture);
        Assert.Equal(0x11, back.Pcf.Value);
        Assert.True(back.Pcf.IsUncached);
        Assert.True(back.Pcf.IsAccessCountingDisabled);
        Assert.Equal(0xAB_CDE1_0000UL, back.Address);
    }

    [Fact]
    public void V3_3_2M_in_pd0_priv_ro_cached_acd()
    {
        var pcf = PtePcf.Create(privileged: true, readOnly: true, accessCountingDisabled: true);
        Assert.Equal(PtePcf.PrivilegeRoAtomicCachedAcd, pcf);
        Assert.Equal(0x16, pcf.Value);
        var pd0 = DualPdeV3.ForLargePage(PteV3.ForVram(new VramAddress(0x4_0020_0000), pcf));
        Assert.Equal((0x00000004002000B1UL, 0UL), (pd0.Low, pd0.High));

        Assert.True(DualPdeV3.TryFromRaw(0x4002000B1, 0, out var back));
        Assert.True(back.IsPte);
        Assert.True(back.LargePage.Pcf.IsPrivileged);
        Assert.True(back.LargePage.Pcf.IsReadOnly);
        var info = Assert.IsType<DecodedPte>(PageTableDecoder.Decode(MmuVersion.V3, PageTableLevel.Pd0, 0x4002000B1, 0));
        Assert.True(info.Privileged && info.ReadOnly && info.AccessCountingDisabled);
        Assert.Equal(PageSize.Size2M, info.PageSize);
    }

    [Fact]
    public void V3_4_kind6()
    {
        Assert.Equal(0x0000000123456681UL, PteV3.ForVram(new VramAddress(0x1_2345_6000), PtePcf.RegularRwAtomicCachedAcd, kind: 6).Raw);
        Assert.Equal(6, PteV3.FromRaw(0x123456681).Kind);
    }

    [Fact]
    public void V3_5_peer3()
    {
        var pte = PteV3.ForPeer(3, new VramAddress(0x10_0000), PtePcf.RegularRwAtomicCachedAcd);
        Assert.Equal(0x6000000000100083UL, pte.Raw);

        Assert.True(PteV3.TryFromRaw(0x6000000000100083, out var back));
        Assert.Equal(PteAperture.Peer, back.Aperture);
        Assert.Equal(3, back.PeerId);
        Assert.Equal(0x10_0000UL, back.Address);
    }

    [Fact]
    public void V3_6_pdes()
    {
        Assert.Equal(0x0000000001234012UL, PdeV3.ForVram(new VramAddress(0x123_4000), PdePcf.ValidCachedAtsNotAllowed).Raw);
        Assert.Equal(0x000000010000000CUL, PdeV3.ForSysmem(0x1_0000_0000, coherent: true, PdePcf.ValidUncachedAtsAllowed).Raw);
        Assert.Equal(0x0000000100000006UL, PdeV3.ForSysmem(0x1_0000_0000, coherent: false, PdePcf.ValidCachedAtsAllowed).Raw);

        Assert.True(PdeV3.TryFromRaw(0x1234012, out var vid));
        Assert.Equal(TableRef.Vram(new VramAddress(0x123_4000)), vid.Next);
        Assert.Equal("VALID_CACHED_ATS_NOT_ALLOWED", vid.PcfName);
        Assert.True(PdeV3.TryFromRaw(0x10000000C, out var coh));
        Assert.Equal(PdeAperture.SystemCoherent, coh.Aperture);
        Assert.Equal("VALID_UNCACHED_ATS_ALLOWED", coh.PcfName);
        Assert.True(PdeV3.TryFromRaw(0x100000006, out var ncoh));
        Assert.Equal(PdeAperture.SystemNonCoherent, ncoh.Aperture);
        Assert.Equal(0x1_0000_0000UL, ncoh.Address);
    }

    [Fact]
    public void V3_7_pd0_big_and_small()
    {
        var pd0 = DualPdeV3.Create(
            big: TableRef.Vram(new VramAddress(0x2000_0100)),
            small: TableRef.Vram(new VramAddress(0x2000_1000)),
            bigPcf: PdePcf.ValidCachedAtsNotAllowed,
            smallPcf: PdePcf.ValidCachedAtsNotAllowed);
        Assert.Equal(0x0000000020000112UL, pd0.Low);
        Assert.Equal(0x0000000020001012UL, pd0.High);

        Assert.True(DualPdeV3.TryFromRaw(0x20000112, 0x20001012, out var back));
        Assert.Equal(0x2000_0100UL, back.Big.Address);
        Assert.Equal(0x2000_1000UL, back.Small.Address);
        Assert.Equal(PdePcf.ValidCachedAtsNotAllowed, back.BigPcf);
        Assert.Equal(pd0, DualPdeV3.Create(back.Big, back.Small, back.BigPcf, back.SmallPcf));
    }

    [Fact]
    public void Special_encodings()
    {
        Assert.Equal(0UL, PteV3.Invalid.Raw);
        Assert.Equal(0x8UL, PteV3.Sparse.Raw);
        Assert.Equal(0x10UL, PteV3.MappingNowhere.Raw);
        Assert.Equal(0x18UL, PteV3.NoValidSmallPages.Raw);
        Assert.Equal(0x8UL, PdeV3.Sparse.Raw);
        Assert.Equal((0x8UL, 0UL), (DualPdeV3.Sparse.Low, DualPdeV3.Sparse.High));

        Assert.True(PteV3.FromRaw(0x8).IsSparse);
        Assert.Equal("SPARSE", PteV3.FromRaw(0x8).PcfName);
        Assert.True(PteV3.FromRaw(0x10).IsMappingNowhere);
        Assert.True(PteV3.FromRaw(0x18).IsNoValidSmallPages);
        Assert.Equal("NO_VALID_4KB_PAGE", PteV3.FromRaw(0x18).PcfName);
        Assert.True(PdeV3.FromRaw(0x8).IsSparse);
        Assert.Equal("SPARSE_ATS_ALLOWED", PdeV3.FromRaw(0x8).PcfName);
        Assert.True(PdeV3.FromRaw(0x18).IsSparse);
        Assert.Equal("SPARSE_ATS_NOT_ALLOWED", PdeV3.FromRaw(0x18).PcfName);
        Assert.Equal("INVALID_ATS_NOT_ALLOWED", PdeV3.FromRaw(0x10).PcfName);
        Assert.True(DualPdeV3.FromRaw(0x8, 0).IsSparse);
    }

    [Fact]
    public void Nova_emitted_values_are_the_hardware_ones_despite_swapped_labels()
    {
        // nova-core v7 (docs/page-tables.md): nova emits pcf 0x08 (rw) and 0x0C (ro); the header names are NO_ATOMIC ... ACE.
        Assert.Equal(0x1234_5041UL, PteV3.ForVram(new VramAddress(0x1234_5000), PtePcf.RegularRwNoAtomicCachedAce).Raw);
        Assert.Equal(0x1234_5061UL, PteV3.ForVram(new VramAddress(0x1234_5000), PtePcf.RegularRoNoAtomicCachedAce).Raw);
        Assert.False(PtePcf.FromValue(0x08).IsAccessCountingDisabled);
        Assert.False(PtePcf.FromValue(0x08).IsPrivileged);
        Assert.True(PtePcf.FromValue(0x02).IsPrivileged);
        Assert.True(PtePcf.FromValue(0x10).IsAccessCountingDisabled);
        Assert.Equal(0x7002UL, PdeV3.ForVram(new VramAddress(0x7000), PdePcf.ValidCachedAtsAllowed).Raw);
    }
}
