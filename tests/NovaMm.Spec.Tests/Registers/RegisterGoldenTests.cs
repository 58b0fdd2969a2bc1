using NovaMm.Spec.Registers;

namespace NovaMm.Spec.Tests.Registers;

/// <summary>Golden vectors from docs/registers.md (and the BOOT words of docs/chips.md).</summary>
public class RegisterGoldenTests
{
    [Theory]
    [InlineData(0x164000A1u, 0x16u, 0x4u, 0x164u)] // TU104 (gpu-admin-tools GPU_MAP)
    [InlineData(0x170000A1u, 0x17u, 0x0u, 0x170u)] // GA100
    [InlineData(0xB72000A1u, 0x17u, 0x2u, 0x172u)] // GA102: bits 31:29 = 0b101, never compare whole words
    [InlineData(0xB77000A1u, 0x17u, 0x7u, 0x177u)] // GA107
    [InlineData(0x192000A1u, 0x19u, 0x2u, 0x192u)] // AD102
    [InlineData(0x194000A1u, 0x19u, 0x4u, 0x194u)] // AD104
    [InlineData(0x180000A1u, 0x18u, 0x0u, 0x180u)] // GH100
    [InlineData(0x162000A1u, 0x16u, 0x2u, 0x162u)] // TU102 (nouveau log)
    [InlineData(0xB74000A1u, 0x17u, 0x4u, 0x174u)] // GA104 (nouveau log)
    public void Boot0_decodes_real_values(uint raw, uint arch, uint impl, uint chipset)
    {
        var r = new NV_PMC_BOOT_0(raw);
        Assert.Equal(arch, r.Architecture);
        Assert.Equal(impl, r.Implementation);
        Assert.Equal(chipset, r.Chipset);
        Assert.Equal(0xAu, r.MajorRevision);
        Assert.Equal(1u, r.MinorRevision);
    }

    [Fact]
    public void Boot0_architecture_1_is_the_sixth_bit()
    {
        var r = new NV_PMC_BOOT_0(0).WithArchitecture(0x21);
        Assert.Equal(0x0100_0100u | 0, r.Raw & 0x1F00_0100u);
        Assert.Equal(0x21u, r.Architecture);
    }

    [Fact]
    public void Boot42_fields_and_chip_id()
    {
        var r = new NV_PMC_BOOT_42(0).WithChipId(0x1B2).WithRevision(0xA, 1);
        Assert.Equal(0x1B2A_1000u, r.Raw);
        Assert.Equal(0x1Bu, r.Architecture);
        Assert.Equal(2u, r.Implementation);
        Assert.Equal(0x1B2u, r.ChipId);
        Assert.Equal(0x2A_1000u, new NV_PMC_BOOT_42(0x2A_1000u).Raw & 0xFF_FFFF);
        // 6-bit architecture 29:24: a value with bit 29 set decodes past 0x1F.
        Assert.Equal(0x21u, new NV_PMC_BOOT_42(0x2100_0000u).Architecture);
    }

    [Theory]
    [InlineData(0x1230_0000UL, 0x1230u)]   // nouveau policy: VRAM 0x1234_5678 -> window 0x1230 (1 MiB aligned)
    [InlineData(0x3_0000_0000UL, 0x30000u)] // VRAM 0x3_0000_1234 -> window 0x30000
    [InlineData(0x1_2345_0000UL, 0x12345u)] // nova worked example: write8 at 0x1_2345_6789
    public void Pbus_window_encodes_base_shift_16(ulong vramBase, uint raw)
    {
        var r = NV_PBUS_BAR0_WINDOW.ForVramBase(vramBase);
        Assert.Equal(raw, r.Raw);
        Assert.Equal(vramBase, r.VramBase);
        Assert.True(r.TargetsVram);
        Assert.Equal(0u, r.Target);
    }

    [Fact]
    public void Window_registers_have_the_documented_reach()
    {
        Assert.Equal(1UL << 40, PraminWindowLayout.PbusBar0Window.Reach);
        Assert.Equal(1UL << 38, PraminWindowLayout.XalEpHopper.Reach);
        Assert.Equal(1UL << 39, PraminWindowLayout.XalEpBlackwell.Reach);
        Assert.Equal(0x3F_FFFF_0000UL, PraminWindowLayout.XalEpHopper.MaxBase);
        Assert.Equal(0x7F_FFFF_0000UL, PraminWindowLayout.XalEpBlackwell.MaxBase);
        Assert.True(PraminWindowLayout.PbusBar0Window.HasTarget);
        Assert.False(PraminWindowLayout.XalEpHopper.HasTarget);
        Assert.Throws<ArgumentOutOfRangeException>(() => NV_XAL_EP_BAR0_WINDOW.ForVramBase(1UL << 38));
        Assert.Equal(0x3F_FFFFu, NV_XAL_EP_BAR0_WINDOW.ForVramBase(0x3F_FFFF_0000UL).Raw);
        Assert.Throws<ArgumentException>(() => NV_PBUS_BAR0_WINDOW.ForVramBase(0x1_2345_6000));
    }

    [Fact]
    public void Sysmem_target_is_not_vram()
    {
        var (vramBase, toVram) = PraminWindowLayout.PbusBar0Window.Decode(new NV_PBUS_BAR0_WINDOW(0).WithBase(0x10).WithTarget(NV_PBUS_BAR0_WINDOW.TARGET_SYS_MEM_COHERENT).Raw);
        Assert.Equal(0x10_0000UL, vramBase);
        Assert.False(toVram);
    }

    [Theory]
    [InlineData(0x1234_5000UL, 0x0012_3450u, 0u)]
    [InlineData(0x1234_5600_0000UL, 0x3456_0000u, 0x12u)]
    public void Invalidate_pdb_vectors(ulong pdb, uint lo, uint hi)
    {
        Assert.Equal(lo, NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB.ForVram(pdb).Raw);
        Assert.Equal(hi, NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB.ForAddress(pdb).Raw);
        Assert.Equal(pdb, NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB.ForVram(pdb).AddressLow | NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB.ForAddress(pdb).AddressHigh);
    }

    [Fact]
    public void Invalidate_trigger_words()
    {
        var pteOnly = new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(0).WithAllVa(true).WithCacheLevel(1).WithTrigger(true);
        Assert.Equal(0x8100_0001u, pteOnly.Raw);
        var root = new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(0).WithAllVa(true).WithCacheLevel(5).WithTrigger(true);
        Assert.Equal(0x8500_0001u, root.Raw);
        Assert.Equal(0x8000_0003u, new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(0).WithAllVa(true).WithAllPdb(true).WithTrigger(true).Raw);
    }

    [Theory]
    [InlineData(0x208u, 8192UL)]
    [InlineData(0x28Au, 40960UL)]
    public void Local_memory_range_vectors(uint raw, ulong mib)
    {
        Assert.Equal(mib << 20, new NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE(raw).SizeBytes);
        Assert.Equal(raw, NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE.TryEncode(mib << 20)!.Value.Raw);
    }

    [Fact]
    public void Local_memory_range_ecc_and_unencodable_sizes()
    {
        Assert.Equal((8192UL / 16 * 15) << 20, new NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE(0x4000_0208).SizeBytes);
        Assert.Null(NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE.TryEncode(1001UL << 20)); // 1001 MiB: odd and > 63
        Assert.Equal(11UL << 30, NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE.TryEncode(11UL << 30)!.Value.SizeBytes);
        Assert.Equal(24576u, NV_USABLE_FB_SIZE_IN_MB.TryEncode(24UL << 30)!.Value.Raw);
    }

    [Fact]
    public void Bar1_bind_encodings()
    {
        // nouveau writes 0x80000000 | (inst >> 12): virtual mode, video memory.
        Assert.Equal(0x8000_0000u | (0x5F7B_00000u >> 12), NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK.ForVramInstanceBlock(0x5F7B_00000).Raw);
        var low = NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR.ForVramInstanceBlock(0x13_F7B0_0000);
        Assert.Equal(0xF7B0_0200u, low.Raw);
        Assert.Equal(0x13u, NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR.ForInstanceBlock(0x13_F7B0_0000).Raw);
        Assert.Throws<ArgumentException>(() => NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK.ForVramInstanceBlock(0x1001));
    }
}
