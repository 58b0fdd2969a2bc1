using NovaMm.Hardware.Bus;
using NovaMm.Hardware.Gsp;
using NovaMm.Hardware.Memory;
using NovaMm.Hardware.Mmu;
using NovaMm.Spec.Chips;
using NovaMm.Spec.Device;
using NovaMm.Spec.Registers;

namespace NovaMm.Hardware.Tests;

public class SimulatedGpuTests
{
    [Fact]
    public void Undecoded_register_reads_bad_value_and_is_counted()
    {
        var gpu = new SimulatedGpu();
        Assert.Equal(Bar0Bus.BadRegisterValue, gpu.Bar0.Read32(0x0012_3450));
        Assert.Equal(1, gpu.Bus.BadReads);
        gpu.Bar0.Write32(0x0012_3450, 5);
        Assert.Equal(1, gpu.Bus.BadWrites);
        gpu.Bar0.Write32(NV_PMC_BOOT_0.Offset, 5); // read-only
        Assert.Equal(2, gpu.Bus.BadWrites);
        Assert.Equal(ChipCatalog.Default.Boot0, gpu.Bar0.Read32(0));
    }

    [Fact]
    public void Out_of_bar_or_misaligned_access_is_refused()
    {
        var gpu = new SimulatedGpu();
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.Bar0.Read32(16UL << 20));
        Assert.Throws<ArgumentException>(() => gpu.Bar0.Read32(0x702));
    }

    [Theory]
    [InlineData("GA102")]
    [InlineData("GH100")]
    [InlineData("GB202")]
    public void Pramin_aperture_shows_vram_at_the_window_base(string chip)
    {
        var info = ChipCatalog.Get(chip);
        var gpu = new SimulatedGpu(new SimulatedGpuOptions { Chip = info });
        gpu.Vram.Write64(0x1_2345_6788, 0x1122334455667788);
        gpu.Bar0.Write32(info.PraminWindow.RegisterOffset, info.PraminWindow.Encode(0x1_2340_0000));
        Assert.Equal(0x1122334455667788UL, gpu.Bar0.Read64(0x700000 + 0x5_6788));
        gpu.Bar0.Write8(0x700000 + 0x5_6788, 0xAB);
        Assert.Equal(0x1122334455667_7ABUL & 0xFFFFFFFFFFFFFFFF, gpu.Vram.Read64(0x1_2345_6788) | 0);
        Assert.Equal(0x1_2340_0000UL, gpu.Pramin.WindowBase);
    }

    [Fact]
    public void Pramin_past_vram_or_to_sysmem_reads_all_ones_and_is_counted()
    {
        var gpu = new SimulatedGpu(new SimulatedGpuOptions { VramSize = 1UL << 30 });
        gpu.Bar0.Write<NV_PBUS_BAR0_WINDOW>(NV_PBUS_BAR0_WINDOW.ForVramBase(1UL << 30));
        Assert.Equal(0xFFFF_FFFFu, gpu.Bar0.Read32(0x700000));
        gpu.Bar0.Write<NV_PBUS_BAR0_WINDOW>(new NV_PBUS_BAR0_WINDOW(0).WithTarget(NV_PBUS_BAR0_WINDOW.TARGET_SYS_MEM_COHERENT));
        gpu.Bar0.Write32(0x700000, 7);
        Assert.Equal(0u, gpu.Vram.Read32(0));
        Assert.Equal(2, gpu.Pramin.StrayAccesses);
    }

    [Fact]
    public void Vram_size_register_as_vbios_leaves_it()
    {
        var tu = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get("TU102") });
        Assert.Equal(11UL << 30, tu.Bar0.Read<NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE>().SizeBytes);
        var gb = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get("GB100") });
        Assert.Equal(192u * 1024, gb.Bar0.Read<NV_USABLE_FB_SIZE_IN_MB>().Raw);
        Assert.Equal(Bar0Bus.BadRegisterValue, gb.Bar0.Read32(NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE.Offset));
    }

    [Theory]
    [InlineData(1000UL, "multiple of 1 MiB")]
    [InlineData(129UL << 30, "beyond what GA102 can address")]
    public void Bad_vram_sizes_are_rejected_naming_the_value(ulong vram, string text)
    {
        var e = Assert.Throws<ArgumentException>(() => new SimulatedGpu(new SimulatedGpuOptions { VramSize = vram }));
        Assert.Contains(text, e.Message);
        Assert.Contains(vram.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
    }

    [Fact]
    public void Bad_sizes_for_the_register_or_gsp_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get("TU102"), VramSize = 1001UL << 20 }));
        Assert.Throws<ArgumentException>(() => new SimulatedGpu(new SimulatedGpuOptions { VramSize = 128UL << 20 }));
        var e = Assert.Throws<ArgumentException>(() => new SimulatedGpu(new SimulatedGpuOptions { Bar1Size = 3UL << 28 }));
        Assert.Contains("power of two", e.Message);
    }

    [Fact]
    public void Sparse_vram_costs_only_what_is_touched()
    {
        var gpu = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get("GB100") });
        gpu.Gsp.Boot();
        Assert.True(gpu.Vram.ResidentBytes <= 2 * SparseVram.ChunkSize, $"{gpu.Vram.ResidentBytes} bytes resident after boot");
        Assert.Equal(0UL, gpu.Vram.Read64(100UL << 30));
        gpu.Vram.Fill(5UL << 30, 1UL << 20, 0); // zero over unwritten memory allocates nothing
        Assert.True(gpu.Vram.ResidentBytes <= 2 * SparseVram.ChunkSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.Vram.Read64(192UL << 30));
    }

    [Theory]
    [InlineData("GA102")]
    [InlineData("TU117")]
    [InlineData("GH100")]
    [InlineData("GB203")]
    public void Gsp_boot_builds_and_binds_the_bar1_address_space(string chip)
    {
        var info = ChipCatalog.Get(chip);
        var gpu = new SimulatedGpu(new SimulatedGpuOptions { Chip = info });
        Assert.Throws<InvalidOperationException>(() => gpu.Gsp.GetStaticInfo());
        gpu.Gsp.Boot();
        var layout = gpu.GspModel.Layout;
        var st = gpu.Gsp.GetStaticInfo();
        Assert.Equal(layout.Bar1Pdb, st.Bar1PdeBase);
        Assert.Equal(layout.Bar1InstanceBlock, gpu.VfPriv.Bar1InstanceBlock);
        Assert.True(st.Bar1PdeBase >= layout.Usable.End, "the BAR1 PD must live in reserved memory");

        // Instance block: PAGE_DIR_BASE_LO/HI point at the PDB; USE_VER2_PT_FORMAT only for MMU v2; 64 KiB big pages.
        var lo = gpu.Vram.Read32(layout.Bar1InstanceBlock + 0x200);
        var hi = gpu.Vram.Read32(layout.Bar1InstanceBlock + 0x204);
        Assert.Equal(st.Bar1PdeBase, (lo & 0xFFFF_F000UL) | ((ulong)hi << 32));
        Assert.Equal(info.MmuVersion == 2, (lo & (1u << 10)) != 0);
        Assert.NotEqual(0u, lo & (1u << 11));
        Assert.Equal(0u, lo & 3); // TARGET VID_MEM
        for (ulong i = 0; i < 4096; i += 8)
        {
            Assert.Equal(0UL, gpu.Vram.Read64(st.Bar1PdeBase + i));
        }

        gpu.Gsp.Boot(); // idempotent
        Assert.Same(st, gpu.Gsp.GetStaticInfo());
    }

    [Fact]
    public void Fb_region_table_has_usable_reserved_protected_and_empty_entries()
    {
        var layout = GspLayout.Compute(24UL << 30);
        var regions = layout.FbRegions();
        Assert.Contains(regions, r => r.IsValid && r.Reserved == 0 && !r.Protected && r.SupportCompressed && r.SupportIso);
        Assert.Contains(regions, r => r.Protected);
        Assert.Contains(regions, r => r.IsValid && r.Reserved != 0);
        Assert.Contains(regions, r => r.Limit < r.Base);
        Assert.Equal(24UL << 30, regions.Where(r => r.IsValid).Max(r => r.Limit + 1));
        var bytes = GspStaticConfigInfo.EncodeFbRegions(regions);
        Assert.Equal(8 + (16 * 48), bytes.Length);
        Assert.Equal((uint)regions.Count, BitConverter.ToUInt32(bytes, 0));
        Assert.Equal(regions[2], FbRegionInfo.Decode(bytes.AsSpan(8 + (2 * 48))));
    }
}
