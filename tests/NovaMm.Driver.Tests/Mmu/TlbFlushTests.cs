using NovaMm.Driver.Mmu;
using NovaMm.Hardware;
using NovaMm.Hardware.Mmu;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;
using NovaMm.Spec.Device;
using NovaMm.Spec.Registers;

namespace NovaMm.Driver.Tests.Mmu;

public class TlbFlushTests
{
    private static TlbEntry Entry(ulong pdb) => new(pdb, 0x1000, 4096, 0x2000, 0, false, false, false, 0);

    [Theory]
    [InlineData("TU102")]
    [InlineData("GA102")]
    [InlineData("GH100")]
    [InlineData("GB202")]
    public void Flush_drops_only_that_pdb_and_writes_the_documented_words(string chip)
    {
        var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(chip), InvalidatePolls = 5 });
        var bar0 = new RecordingBar0(hw.Bar0);
        hw.Tlb.Insert(Entry(0x1234_5000));
        hw.Tlb.Insert(Entry(0x5000));
        var tlb = new Tlb(bar0);
        tlb.Flush(new VramAddress(0x1234_5000));
        Assert.Null(hw.Tlb.Lookup(0x1234_5000, 0x1000));
        Assert.NotNull(hw.Tlb.Lookup(0x5000, 0x1000));
        Assert.Equal(
            [(0xB830A0UL, 0x0012_3450u), (0xB830A4UL, 0u), (0xB830B0UL, 0x8000_0001u)],
            bar0.Writes32);
        Assert.Equal(1, tlb.Flushes);
    }

    [Fact]
    public void Flush_all_drops_everything()
    {
        var hw = new SimulatedGpu();
        hw.Tlb.Insert(Entry(0x1000));
        hw.Tlb.Insert(Entry(0x2000));
        new Tlb(hw.Bar0).FlushAll();
        Assert.Equal(0, hw.Tlb.Count);
    }

    [Fact]
    public void Upper_pdb_bits_reach_the_register()
    {
        var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get("GB100") });
        var bar0 = new RecordingBar0(hw.Bar0);
        new Tlb(bar0).Flush(new VramAddress(0x1234_5600_0000), hubTlbOnly: true);
        Assert.Equal((0xB830A4UL, 0x12u), bar0.Writes32[1]);
        Assert.Equal(0x8000_0005u, bar0.Writes32[2].Value);
    }

    [Fact]
    public void A_flush_that_never_completes_is_a_typed_timeout_and_the_device_stays_usable()
    {
        var hw = new SimulatedGpu();
        hw.Tlb.Insert(Entry(0x1000));
        var tlb = new Tlb(hw.Bar0, TimeSpan.FromMilliseconds(20));
        hw.VfPriv.InvalidateNeverCompletes = true;
        var e = Assert.Throws<NovaMmException>(() => tlb.Flush(new VramAddress(0x1000)));
        Assert.Equal(ErrorCode.TimedOut, e.Code);
        Assert.Contains("TRIGGER", e.Message);
        Assert.Equal(1, hw.Tlb.Count); // nothing was invalidated
        Assert.Equal(ErrorCode.TimedOut, Assert.Throws<NovaMmException>(() => tlb.FlushAll()).Code);

        hw.VfPriv.InvalidateNeverCompletes = false;
        tlb.Flush(new VramAddress(0x1000));
        Assert.Equal(0, hw.Tlb.Count);
        Assert.False(hw.Bar0.Read<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE>().Trigger);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var hw = new SimulatedGpu();
        Assert.Throws<ArgumentOutOfRangeException>(() => new Tlb(hw.Bar0, TimeSpan.Zero));
        Assert.Throws<ArgumentException>(() => new Tlb(hw.Bar0).Flush(new VramAddress(0x1234)));
    }
}
