using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Spec.Tests.PageTables;

/// <summary>docs/page-tables.md (Golden vectors), V2-1..V2-9: factory → raw, and raw → fields → same raw.</summary>
public class GoldenVectorV2Tests
{
    [Fact]
    public void V2_1_4K_vidmem_rw_kind0()
    {
        var pte = PteV2.ForVram(new VramAddress(0x1_2345_6000));
        Assert.Equal(0x0000000012345601UL, pte.Raw);

        var back = PteV2.FromRaw(0x0000000012345601);
        Assert.True(back.IsValid);
        Assert.Equal(PteAperture.Video, back.Aperture);
        Assert.Equal(0x1_2345_6000UL, back.Address);
        Assert.False(back.IsReadOnly);
        Assert.Equal(0, back.Kind);
        Assert.Equal(back.Raw, PteV2.ForVram(new VramAddress(back.Address), back.Attributes).Raw);
    }

    [Fact]
    public void V2_2_64K_syscoh_vol_ro()
    {
        var pte = PteV2.ForSysmem(0xAB_CDE1_0000, coherent: true, new PteV2Attributes { Volatile = true, ReadOnly = true });
        Assert.Equal(0x0000000ABCDE104DUL, pte.Raw);

        var back = PteV2.FromRaw(0x0000000ABCDE104D);
        Assert.Equal(PteAperture.SystemCoherent, back.Aperture);
        Assert.Equal(0xAB_CDE1_0000UL, back.Address);
        Assert.True(back.IsVolatile);
        Assert.True(back.IsReadOnly);
        Assert.False(back.IsPrivileged);
        Assert.Equal(back.Raw, PteV2.ForSysmem(back.Address, true, back.Attributes).Raw);
    }

    [Fact]
    public void V2_3_2M_pte_in_pd0_kind6()
    {
        var pte = PteV2.ForVram(new VramAddress(0x4_0020_0000), new PteV2Attributes { Kind = 0x06 });
        var pd0 = DualPdeV2.ForLargePage(pte);
        Assert.Equal(0x0600000040020001UL, pd0.Low);
        Assert.Equal(0UL, pd0.High);

        var back = DualPdeV2.FromRaw(0x0600000040020001, 0);
        Assert.True(back.IsPte);
        Assert.Equal(0x4_0020_0000UL, back.LargePage.Address);
        Assert.Equal(0x06, back.LargePage.Kind);
        Assert.Equal(TableRef.None, back.Big);
        Assert.Equal(TableRef.None, back.Small);
        Assert.True(DualPdeV2.TryFromRaw(0x0600000040020001, 0, out _));

        var info = Assert.IsType<DecodedPte>(PageTableDecoder.Decode(MmuVersion.V2, PageTableLevel.Pd0, 0x0600000040020001, 0));
        Assert.Equal(PageSize.Size2M, info.PageSize);
        Assert.Equal(0x4_0020_0000UL, info.Address);
    }

    [Fact]
    public void V2_4_peer3()
    {
        var pte = PteV2.ForPeer(3, new VramAddress(0x10_0000));
        Assert.Equal(0x0000000600010003UL, pte.Raw);

        var back = PteV2.FromRaw(0x0000000600010003);
        Assert.Equal(PteAperture.Peer, back.Aperture);
        Assert.Equal(3, back.PeerId);
        Assert.Equal(0x10_0000UL, back.Address);
    }

    [Fact]
    public void V2_5_sys_noncoherent_priv_atomic_disable()
    {
        var pte = PteV2.ForSysmem(0x7F_FFFF_F000, coherent: false, new PteV2Attributes { Privileged = true, AtomicDisable = true });
        Assert.Equal(0x00000007FFFFFFA7UL, pte.Raw);

        var back = PteV2.FromRaw(0x00000007FFFFFFA7);
        Assert.Equal(PteAperture.SystemNonCoherent, back.Aperture);
        Assert.Equal(0x7F_FFFF_F000UL, back.Address);
        Assert.True(back.IsPrivileged);
        Assert.True(back.IsAtomicDisabled);
        Assert.False(back.IsVolatile);
        Assert.Equal(back.Raw, PteV2.ForSysmem(back.Address, false, back.Attributes).Raw);
    }

    [Fact]
    public void V2_6_pde_vidmem()
    {
        Assert.Equal(0x0000000000123402UL, PdeV2.ForVram(new VramAddress(0x123_4000)).Raw);

        Assert.True(PdeV2.TryFromRaw(0x123402, out var back));
        Assert.Equal(TableRef.Vram(new VramAddress(0x123_4000)), back.Next);
        Assert.False(back.IsVolatile);
        Assert.Equal(back.Raw, PdeV2.For(back.Next, back.IsVolatile, back.NoAts).Raw);
    }

    [Fact]
    public void V2_7_pde_sys_coherent_vol()
    {
        Assert.Equal(0x000000001000000CUL, PdeV2.ForSysmem(0x1_0000_0000, coherent: true, volatileNext: true).Raw);

        Assert.True(PdeV2.TryFromRaw(0x1000000C, out var back));
        Assert.Equal(PdeAperture.SystemCoherent, back.Aperture);
        Assert.Equal(0x1_0000_0000UL, back.Address);
        Assert.True(back.IsVolatile);
    }

    [Fact]
    public void V2_8_pd0_big_and_small_tables()
    {
        var pd0 = DualPdeV2.Create(big: TableRef.Vram(new VramAddress(0x2000_0100)), small: TableRef.Vram(new VramAddress(0x2000_1000)));
        Assert.Equal(0x0000000002000012UL, pd0.Low);
        Assert.Equal(0x0000000002000102UL, pd0.High);

        Assert.True(DualPdeV2.TryFromRaw(0x2000012, 0x2000102, out var back));
        Assert.False(back.IsPte);
        Assert.Equal(0x2000_0100UL, back.Big.Address);
        Assert.Equal(0x2000_1000UL, back.Small.Address);
        Assert.Equal(pd0, DualPdeV2.Create(back.Big, back.Small));
    }

    [Fact]
    public void V2_9_special_encodings()
    {
        Assert.Equal(0x8UL, PteV2.Sparse.Raw);
        Assert.Equal((0x8UL, 0UL), (DualPdeV2.Sparse.Low, DualPdeV2.Sparse.High));
        Assert.Equal(0x20UL, PteV2.NoValidSmallPages.Raw);
        Assert.Equal(0UL, PteV2.Invalid.Raw);
        Assert.Equal(0x8UL, PdeV2.Sparse.Raw);

        Assert.True(PteV2.FromRaw(0x8).IsSparse);
        Assert.False(PteV2.FromRaw(0x8).IsNoValidSmallPages);
        Assert.True(PteV2.FromRaw(0x20).IsNoValidSmallPages);
        Assert.False(PteV2.FromRaw(0x20).IsSparse);
        Assert.False(PteV2.FromRaw(0).IsNoValidSmallPages);
        Assert.True(DualPdeV2.FromRaw(0x8, 0).IsSparse);
        Assert.True(PdeV2.FromRaw(0x8).IsSparse);

        var big = Assert.IsType<DecodedPte>(PageTableDecoder.Decode(MmuVersion.V2, PageTableLevel.PtBig, 0x20));
        Assert.True(big.NoValidSmallPages);
        Assert.False(big.Valid);
    }

    [Fact]
    public void Nova_example_vram_pte_and_pde_values_agree()
    {
        // nova-core v7 (docs/page-tables.md): new_vram(0x12345, writable) and read-only, and PDE to 0x7000.
        Assert.Equal(0x0123_4501UL, PteV2.ForVram(new VramAddress(0x1234_5000)).Raw);
        Assert.Equal(0x0123_4541UL, PteV2.ForVram(new VramAddress(0x1234_5000), new PteV2Attributes { ReadOnly = true }).Raw);
        Assert.Equal(0x702UL, PdeV2.ForVram(new VramAddress(0x7000)).Raw);
        var pd0 = DualPdeV2.Create(TableRef.None, TableRef.Vram(new VramAddress(0x8000)));
        Assert.Equal((0UL, 0x802UL), (pd0.Low, pd0.High));
    }
}
