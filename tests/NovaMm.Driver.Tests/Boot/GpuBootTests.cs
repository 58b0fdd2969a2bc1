using NovaMm.Driver.Fb;
using NovaMm.Hardware;
using NovaMm.Spec.Chips;
using NovaMm.Spec.Device;
using NovaMm.Spec.Registers;

namespace NovaMm.Driver.Tests.Boot;

public class GpuBootTests
{
    public static TheoryData<string> Chips() => new(ChipCatalog.All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Chips))]
    public void Every_chip_boots_and_identifies_itself(string name)
    {
        var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(name) });
        var gpu = Gpu.Boot(hw.Bar0, hw.Bar1, hw.Gsp);
        Assert.Equal(name, gpu.Chip.Name);
        Assert.Equal("A1", gpu.Identity.Revision);
        Assert.Equal(hw.Vram.Size, gpu.VramSizeFromRegister);
        Assert.Equal(hw.Vram.Size, gpu.FbLayout.TotalFbEnd);
        var usable = Assert.Single(gpu.FbLayout.Usable);
        Assert.Equal(hw.GspModel.Layout.Usable.Size, usable.Size);
        Assert.Equal(hw.GspModel.Layout.Bar1Pdb, gpu.Bar1Pdb.Value);
        Assert.Equal(0, hw.Bus.BadReads);
    }

    [Theory]
    [InlineData("GB100", 192UL)]
    [InlineData("GH100", 141UL)]
    public void Large_boards_boot_sparsely(string chip, ulong gib)
    {
        var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(chip), VramSize = gib << 30 });
        var gpu = Gpu.Boot(hw.Bar0, hw.Bar1, hw.Gsp);
        Assert.Equal(gib << 30, gpu.FbLayout.TotalFbEnd);
        Assert.True(hw.Vram.ResidentBytes < (1UL << 20));
    }

    [Fact]
    public void Boot_costs_what_is_stored_not_what_the_board_has()
    {
        static long BootAllocation(string chip, ulong gib)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(chip), VramSize = gib << 30 });
            var gpu = Gpu.Boot(hw.Bar0, hw.Bar1, hw.Gsp);
            Assert.Equal(gib << 30, gpu.FbLayout.TotalFbEnd);
            Assert.Equal((ulong)Hardware.Memory.SparseVram.ChunkSize, hw.Vram.ResidentBytes); // the GSP's instance blocks and roots
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        BootAllocation("GB100", 24); // first use: type initialisers
        var small = BootAllocation("GB100", 24);
        var large = BootAllocation("GB100", 192);
        Assert.True(large < 1 << 20, $"booting a 192 GiB board allocated {large} managed bytes");
        Assert.True(large < small * 2, $"192 GiB boot allocated {large} bytes, 24 GiB {small}: something is sized by VRAM");
    }

    [Fact]
    public void Unknown_chip_id_is_a_clear_error_that_prints_it()
    {
        var hw = new SimulatedGpu();
        var bar0 = new RecordingBar0(hw.Bar0);
        bar0.ReadOverrides[NV_PMC_BOOT_42.Offset] = new NV_PMC_BOOT_42(0).WithChipId(0x1C4).Raw;
        var e = Assert.Throws<NovaMmException>(() => Gpu.Boot(bar0, hw.Bar1, hw.Gsp));
        Assert.Equal(ErrorCode.NoDevice, e.Code);
        Assert.Contains("0x1c4", e.Message);
        Assert.False(hw.GspModel.Booted); // identification comes before the GSP is touched
    }

    [Fact]
    public void Fb_beyond_the_size_register_is_refused()
    {
        var hw = new SimulatedGpu(new SimulatedGpuOptions { VramSize = 8UL << 30 });
        var bar0 = new RecordingBar0(hw.Bar0);
        bar0.ReadOverrides[NV_USABLE_FB_SIZE_IN_MB.Offset] = 4096; // VBIOS says 4 GiB, GSP reports 8
        var e = Assert.Throws<NovaMmException>(() => Gpu.Boot(bar0, hw.Bar1, hw.Gsp));
        Assert.Contains("NV_USABLE_FB_SIZE_IN_MB", e.Message);
        Assert.Contains("0x100000000", e.Message);
    }
}

public class FbLayoutTests
{
    private static FbRegionInfo Usable(ulong b, ulong l) => new(b, l, 0, 0, true, true, false);

    [Fact]
    public void Rule_keeps_only_unreserved_unprotected_compressible_iso_regions()
    {
        var layout = FbLayout.FromRegions(
        [
            Usable(0, 0xFFF_FFFF),
            Usable(0x1000_0000, 0x0FFF_FFFF),                               // limit < base: skipped
            new(0x1000_0000, 0x1FFF_FFFF, 0x10_0000, 0, true, true, false),   // reserved != 0
            new(0x2000_0000, 0x2FFF_FFFF, 0, 0, true, true, true),            // protected
            new(0x3000_0000, 0x3FFF_FFFF, 0, 0, false, true, false),          // no compression
            new(0x4000_0000, 0x4FFF_FFFF, 0, 0, true, false, false),          // no ISO
            Usable(0x5000_0000, 0x5FFF_FFFF),
        ]);
        Assert.Equal([0UL, 0x5000_0000UL], layout.Usable.Select(u => u.Start.Value));
        Assert.Equal(0x2000_0000UL, layout.UsableBytes);
        Assert.Equal(0x6000_0000UL, layout.TotalFbEnd);
    }

    [Fact]
    public void Total_fb_end_ignores_empty_entries()
    {
        var layout = FbLayout.FromRegions([Usable(0, 0xFFFF), new(0xFFFF_0000, 0x1000, 0, 0, false, false, false)]);
        Assert.Equal(0x1_0000UL, layout.TotalFbEnd);
    }

    [Fact]
    public void No_usable_or_no_valid_region_is_no_device()
    {
        Assert.Equal(ErrorCode.NoDevice, Assert.Throws<NovaMmException>(() => FbLayout.FromRegions([new(0, 0xFFFF, 1, 0, true, true, false)])).Code);
        Assert.Contains("no valid", Assert.Throws<NovaMmException>(() => FbLayout.FromRegions([new(5, 4, 0, 0, true, true, false)])).Message);
        Assert.Throws<NovaMmException>(() => FbLayout.FromRegions([]));
    }

    [Fact]
    public void Raw_table_is_bounded_by_its_16_entries()
    {
        var raw = GspStaticConfigInfo.EncodeFbRegions([Usable(0, 0xFFFF)]);
        BitConverter.GetBytes(1000u).CopyTo(raw, 0); // a numFBRegions beyond the array
        var layout = FbLayout.FromRegionInfoParams(raw);
        Assert.Equal(16, layout.Regions.Count);
        Assert.Single(layout.Usable);
        Assert.Throws<NovaMmException>(() => FbLayout.FromRegionInfoParams(raw.AsSpan(0, 100)));
    }

    [Fact]
    public void Gsp_model_table_decodes_to_its_layout()
    {
        var hw = new SimulatedGpu();
        hw.Gsp.Boot();
        var layout = FbLayout.FromStaticInfo(hw.Gsp.GetStaticInfo());
        Assert.Equal(5, layout.Regions.Count);
        Assert.Equal(hw.GspModel.Layout.Usable.End, layout.Usable[0].End.Value);
    }
}
