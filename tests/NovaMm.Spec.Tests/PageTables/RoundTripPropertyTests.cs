using CsCheck;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Spec.Tests.PageTables;

/// <summary>CsCheck round trips: random valid fields → factory → decode → the same fields (and the same raw).</summary>
public class RoundTripPropertyTests
{
    private static readonly Gen<PteV2Attributes> V2Attributes =
        Gen.Select(Gen.Bool, Gen.Bool, Gen.Bool, Gen.Bool, Gen.Bool, Gen.Byte, Gen.UInt[0, (1u << 20) - 1],
            (vol, enc, priv, ro, noAtomic, kind, comptag) => new PteV2Attributes
            {
                Volatile = vol,
                Encrypted = enc,
                Privileged = priv,
                ReadOnly = ro,
                AtomicDisable = noAtomic,
                Kind = kind,
                CompTagLine = comptag,
            });

    private static Gen<ulong> Aligned(int shift, int frameBits) => Gen.ULong[0, (1UL << frameBits) - 1].Select(f => f << shift);

    [Fact]
    public void PteV2_vram() => Gen.Select(Aligned(12, 25), V2Attributes).Sample((address, a) =>
    {
        var pte = PteV2.ForVram(new VramAddress(address), a);
        var back = PteV2.FromRaw(pte.Raw);
        Assert.True(back.IsValid);
        Assert.Equal(PteAperture.Video, back.Aperture);
        Assert.Equal(address, back.Address);
        Assert.Equal(a, back.Attributes);
        Assert.Equal(pte, PteV2.ForVram(new VramAddress(back.Address), back.Attributes));
    });

    [Fact]
    public void PteV2_peer() => Gen.Select(Gen.Int[0, 7], Aligned(12, 25), V2Attributes).Sample((peer, address, a) =>
    {
        var back = PteV2.FromRaw(PteV2.ForPeer(peer, new VramAddress(address), a).Raw);
        Assert.Equal((PteAperture.Peer, peer, address, a), (back.Aperture, back.PeerId, back.Address, back.Attributes));
    });

    [Fact]
    public void PteV2_sysmem() => Gen.Select(Aligned(12, 46), Gen.Bool, V2Attributes).Sample((address, coherent, a) =>
    {
        a = a with { CompTagLine = 0 };
        var back = PteV2.FromRaw(PteV2.ForSysmem(address, coherent, a).Raw);
        Assert.Equal(coherent ? PteAperture.SystemCoherent : PteAperture.SystemNonCoherent, back.Aperture);
        Assert.Equal((address, a), (back.Address, back.Attributes));
    });

    private static readonly Gen<PdeAperture> TableAperture = Gen.Int[1, 3].Select(i => (PdeAperture)i);

    private static Gen<TableRef> Table(int shift, int vidFrameBits, int sysFrameBits) =>
        TableAperture.SelectMany(ap => Aligned(shift, ap == PdeAperture.Video ? vidFrameBits : sysFrameBits).Select(a => new TableRef(ap, a)));

    private static Gen<TableRef> OptionalTable(int shift, int vidFrameBits, int sysFrameBits) =>
        Gen.Frequency((1, Gen.Const(TableRef.None)), (4, Table(shift, vidFrameBits, sysFrameBits)));

    [Fact]
    public void PdeV2_any_table() => Gen.Select(Table(12, 25, 46), Gen.Bool, Gen.Bool).Sample((table, vol, noAts) =>
    {
        var pde = PdeV2.For(table, vol, noAts);
        Assert.True(PdeV2.TryFromRaw(pde.Raw, out var back));
        Assert.Equal((table, vol, noAts), (back.Next, back.IsVolatile, back.NoAts));
        Assert.True(back.IsValid);
    });

    [Fact]
    public void DualPdeV2_any_tables() =>
        Gen.Select(OptionalTable(8, 29, 50), OptionalTable(12, 25, 46), Gen.Bool, Gen.Bool).Sample((big, small, vb, vs) =>
        {
            vb &= big.IsPresent;
            vs &= small.IsPresent;
            var e = DualPdeV2.Create(big, small, vb, vs);
            Assert.True(DualPdeV2.TryFromRaw(e.Low, e.High, out var back));
            Assert.Equal((big, small, vb, vs), (back.Big, back.Small, back.IsBigVolatile, back.IsSmallVolatile));
            Assert.False(back.IsPte);
        });

    private static readonly Gen<PtePcf> AnyPcf = Gen.Int[0, 31].Select(PtePcf.FromValue);

    [Fact]
    public void PteV3_all_apertures() =>
        Gen.Select(Gen.Enum<PteAperture>(), Aligned(12, 40), Gen.Int[0, 7], AnyPcf, Gen.Byte[0, 15]).Sample((ap, address, peer, pcf, kind) =>
        {
            var pte = ap switch
            {
                PteAperture.Video => PteV3.ForVram(new VramAddress(address & ((1UL << 40) - 1)), pcf, kind),
                PteAperture.Peer => PteV3.ForPeer(peer, new VramAddress(address), pcf, kind),
                _ => PteV3.ForSysmem(address, ap == PteAperture.SystemCoherent, pcf, kind),
            };
            var expectedAddress = ap == PteAperture.Video ? address & ((1UL << 40) - 1) : address;
            Assert.True(PteV3.TryFromRaw(pte.Raw, out var back));
            Assert.Equal(
                (true, ap, expectedAddress, pcf, kind, ap == PteAperture.Peer ? peer : 0),
                (back.IsValid, back.Aperture, back.Address, back.Pcf, back.Kind, back.PeerId));
        });

    private static readonly Gen<PdePcf> DefinedPdePcf = Gen.Int[0, 3].Select(PdePcf.FromValue);

    [Fact]
    public void PdeV3_any_table() => Gen.Select(Table(12, 40, 40), DefinedPdePcf).Sample((table, pcf) =>
    {
        var pde = PdeV3.For(table, pcf);
        Assert.True(PdeV3.TryFromRaw(pde.Raw, out var back));
        Assert.Equal((table, pcf), (back.Next, back.Pcf));
    });

    [Fact]
    public void DualPdeV3_any_tables() =>
        Gen.Select(OptionalTable(8, 44, 44), OptionalTable(12, 40, 40), DefinedPdePcf, DefinedPdePcf).Sample((big, small, bp, sp) =>
        {
            // A missing half may carry only a non-sparse (INVALID_ATS_*) PCF.
            bp = big.IsPresent ? bp : PdePcf.FromValue(bp.Value & 2);
            sp = small.IsPresent ? sp : PdePcf.FromValue(sp.Value & 2);
            var e = DualPdeV3.Create(big, small, bp, sp);
            Assert.True(DualPdeV3.TryFromRaw(e.Low, e.High, out var back));
            Assert.Equal((big, small, bp, sp), (back.Big, back.Small, back.BigPcf, back.SmallPcf));
        });

    [Fact]
    public void Large_pages_in_pd0() =>
        Gen.Select(Aligned(21, 16), V2Attributes, AnyPcf, Gen.Byte[0, 15]).Sample((address, a, pcf, kind) =>
        {
            var v2 = DualPdeV2.ForLargePage(PteV2.ForVram(new VramAddress(address), a));
            var d2 = Assert.IsType<DecodedPte>(PageTableDecoder.Decode(MmuFormat.V2Turing, PageTableLevel.Pd0, v2.Low, v2.High));
            Assert.Equal((address, a.ReadOnly, a.Kind), (d2.Address, d2.ReadOnly, d2.Kind));

            var v3 = DualPdeV3.ForLargePage(PteV3.ForVram(new VramAddress(address), pcf, kind));
            var d3 = Assert.IsType<DecodedPte>(PageTableDecoder.Decode(MmuFormat.V3Hopper, PageTableLevel.Pd0, v3.Low, v3.High));
            Assert.Equal((address, pcf, kind), (d3.Address, d3.Pcf!.Value, d3.Kind));
        });

    [Fact]
    public void PageDirectoryBase_any() =>
        Gen.Select(Gen.ULong[0, (1UL << 52) - 1], Gen.Enum<PdbTarget>(), Gen.Bool, Gen.Bool, Gen.Bool, Gen.Bool).Sample((frame, target, vol, ver2, big, replay) =>
        {
            var address = frame << 12;
            var pdb = target switch
            {
                PdbTarget.VideoMemory => PageDirectoryBase.ForVram(new VramAddress(address), vol, ver2, big, replay),
                PdbTarget.SystemCoherent => PageDirectoryBase.ForSysmem(address, true, vol, ver2, big, replay),
                PdbTarget.SystemNonCoherent => PageDirectoryBase.ForSysmem(address, false, vol, ver2, big, replay),
                _ => PageDirectoryBase.Invalid,
            };
            var back = PageDirectoryBase.FromDwords(pdb.Lo, pdb.Hi);
            Assert.Equal(target, back.Target);
            if (target != PdbTarget.Invalid)
            {
                Assert.Equal((address, vol, ver2, big, replay, replay), (back.Address, back.IsVolatile, back.UseVer2PtFormat, back.BigPageSize64K, back.FaultReplayTex, back.FaultReplayGcc));
            }
        });

    [Fact]
    public void Decoder_never_throws_on_any_raw_value() =>
        Gen.Select(Gen.ULong, Gen.ULong).Sample((lo, hi) =>
        {
            foreach (var f in MmuFormat.All)
            {
                foreach (var l in f.AllLevels)
                {
                    var info = PageTableDecoder.Decode(f, l.Id, lo, l.IsDual ? hi : 0);
                    Assert.False(string.IsNullOrEmpty(info.Describe()));
                }
            }
        });
}
