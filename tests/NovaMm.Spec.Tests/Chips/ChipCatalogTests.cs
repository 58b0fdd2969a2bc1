using NovaMm.Spec.Chips;
using NovaMm.Spec.Registers;

namespace NovaMm.Spec.Tests.Chips;

public class ChipCatalogTests
{
    [Fact]
    public void Catalog_has_the_24_chips_with_unique_ids()
    {
        string[] names =
        [
            "TU102", "TU104", "TU106", "TU116", "TU117", "GA100", "GA102", "GA103", "GA104", "GA106", "GA107",
            "AD102", "AD103", "AD104", "AD106", "AD107", "GH100", "GB100", "GB102", "GB202", "GB203", "GB205", "GB206", "GB207",
        ];
        Assert.Equal(names, ChipCatalog.All.Select(c => c.Name));
        Assert.Equal(24, ChipCatalog.All.Select(c => c.ChipId).Distinct().Count());
    }

    [Theory]
    [InlineData("TU102", 0x162u, 2, 49)]
    [InlineData("TU117", 0x167u, 2, 49)]
    [InlineData("TU116", 0x168u, 2, 49)]
    [InlineData("GA102", 0x172u, 2, 49)]
    [InlineData("AD107", 0x197u, 2, 49)]
    [InlineData("GH100", 0x180u, 3, 57)]
    [InlineData("GB100", 0x1A0u, 3, 57)]
    [InlineData("GB207", 0x1B7u, 3, 57)]
    public void Ids_and_mmu(string name, uint id, int mmu, int vaBits)
    {
        var c = ChipCatalog.Get(name);
        Assert.Equal(id, c.ChipId);
        Assert.Equal(mmu, c.MmuVersion);
        Assert.Equal(vaBits, c.VaBits);
        Assert.Equal(c, ChipCatalog.FindById(id));
    }

    [Fact]
    public void Per_generation_registers_are_data()
    {
        foreach (var c in ChipCatalog.All)
        {
            var expectedWindow = c.Architecture switch
            {
                Architecture.Hopper => PraminWindowLayout.XalEpHopper,
                Architecture.BlackwellGB10x or Architecture.BlackwellGB20x => PraminWindowLayout.XalEpBlackwell,
                _ => PraminWindowLayout.PbusBar0Window,
            };
            Assert.Same(expectedWindow, c.PraminWindow);
            Assert.Equal(c.MmuVersion == 2 ? Bar1BindKind.Bar1Block : Bar1BindKind.FuncBar1BlockLowHigh, c.Bar1Bind);
            var oldSizeRegister = c.Name.StartsWith("TU", StringComparison.Ordinal) || c.Name == "GA100";
            Assert.Equal(oldSizeRegister ? VramSizeRegisterKind.LocalMemoryRange : VramSizeRegisterKind.UsableFbSizeInMb, c.VramSizeRegister);
        }
    }

    [Fact]
    public void Default_boards_are_as_the_issue_names_them()
    {
        Assert.Equal(24UL << 30, ChipCatalog.Get("GA102").DefaultBoard.VramSize);
        Assert.Equal(256UL << 20, ChipCatalog.Get("GA102").DefaultBoard.Bar1Size);
        Assert.Equal(80UL << 30, ChipCatalog.Get("GH100").DefaultBoard.VramSize);
        Assert.Equal(128UL << 30, ChipCatalog.Get("GH100").DefaultBoard.Bar1Size);
        Assert.Equal(192UL << 30, ChipCatalog.Get("GB100").DefaultBoard.VramSize);
        Assert.Equal("GA102", ChipCatalog.Default.Name);
        foreach (var c in ChipCatalog.All)
        {
            Assert.True(c.DefaultBoard.VramSize <= c.MaxVramSize, c.Name);
            Assert.Equal(0UL, c.DefaultBoard.Bar1Size & (c.DefaultBoard.Bar1Size - 1));
        }
    }

    [Fact]
    public void Boot_values_match_real_parts()
    {
        Assert.Equal(0xB72000A1u, ChipCatalog.Get("GA102").Boot0);
        Assert.Equal(0x170000A1u, ChipCatalog.Get("GA100").Boot0);
        Assert.Equal(0x164000A1u, ChipCatalog.Get("TU104").Boot0);
        Assert.Equal(0x180000A1u, ChipCatalog.Get("GH100").Boot0);
        Assert.Equal(0x192000A1u, ChipCatalog.Get("AD102").Boot0);
        Assert.Equal(0x172u, new NV_PMC_BOOT_42(ChipCatalog.Get("GA102").Boot42).ChipId);
    }

    [Fact]
    public void Max_vram_is_the_lesser_of_pte_and_pramin_reach()
    {
        Assert.Equal(128UL << 30, ChipCatalog.Get("GA102").MaxVramSize);
        Assert.Equal(256UL << 30, ChipCatalog.Get("GH100").MaxVramSize);
        Assert.Equal(512UL << 30, ChipCatalog.Get("GB100").MaxVramSize);
    }

    [Fact]
    public void Unknown_chip_is_an_error_naming_it()
    {
        var e = Assert.Throws<ArgumentException>(() => ChipCatalog.Get("GZ999"));
        Assert.Contains("GZ999", e.Message);
        Assert.Null(ChipCatalog.FindById(0x1C4));
    }
}
