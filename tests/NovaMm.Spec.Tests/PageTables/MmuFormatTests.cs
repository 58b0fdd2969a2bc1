using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Spec.Tests.PageTables;

/// <summary>Geometry and the VA splits of docs/page-tables.md.</summary>
public class MmuFormatTests
{
    [Fact]
    public void V2_va_split_matches_the_golden_vectors()
    {
        var f = MmuFormat.V2Turing;
        var va = new GpuVa(0x1_A5F3_C9B7_E123);
        Assert.Equal(3, f.IndexOf(PageTableLevel.Pd3, va));
        Assert.Equal(0x097, f.IndexOf(PageTableLevel.Pd2, va));
        Assert.Equal(0x19E, f.IndexOf(PageTableLevel.Pd1, va));
        Assert.Equal(0x4D, f.IndexOf(PageTableLevel.Pd0, va));
        Assert.Equal(0x17E, f.IndexOf(PageTableLevel.Pt, va));
        Assert.Equal(0x17, f.IndexOf(PageTableLevel.PtBig, va));
        Assert.Equal(0x123UL, va.Value % PageSize.Size4K);
        Assert.Equal(0xE123UL, va.Value % PageSize.Size64K);
        Assert.Equal(0x17E123UL, va.Value % PageSize.Size2M);
    }

    [Fact]
    public void V3_va_split_matches_the_golden_vectors()
    {
        var va = new GpuVa(0x1AB_A5F3_C9B7_E123);
        foreach (var f in new[] { MmuFormat.V3Hopper, MmuFormat.V3Blackwell })
        {
            Assert.Equal(1, f.IndexOf(PageTableLevel.Pd4, va));
            Assert.Equal(0x157, f.IndexOf(PageTableLevel.Pd3, va));
            Assert.Equal(0x097, f.IndexOf(PageTableLevel.Pd2, va));
            Assert.Equal(0x19E, f.IndexOf(PageTableLevel.Pd1, va));
            Assert.Equal(0x4D, f.IndexOf(PageTableLevel.Pd0, va));
            Assert.Equal(0x17E, f.IndexOf(PageTableLevel.Pt, va));
        }
    }

    [Fact]
    public void Nova_v7_index_layout_is_not_used()
    {
        // nova v7 used VA[20:12] for the v3 dual level and VA[29:21] for the v2 one (docs/page-tables.md, nova-core v7).
        var va = new GpuVa(0x2000_0000 | 0x1000); // 512 MiB + 4 KiB
        Assert.Equal(0, MmuFormat.V2Turing.IndexOf(PageTableLevel.Pd0, va)); // v7 would give 256, beyond the 256-entry table
        Assert.Equal(1, MmuFormat.V2Turing.IndexOf(PageTableLevel.Pd1, va));
        Assert.Equal(0, MmuFormat.V3Hopper.IndexOf(PageTableLevel.Pd0, va)); // v7 would give 1
    }

    public static TheoryData<string, string> LevelTables => new()
    {
        { "V2Turing", "PD3 48:47 4 8 32 -|PD2 46:38 512 8 4096 -|PD1 37:29 512 8 4096 -|PD0 28:21 256 16 4096 2M|PT 20:12 512 8 4096 4K" },
        { "V2Ampere", "PD3 48:47 4 8 32 -|PD2 46:38 512 8 4096 -|PD1 37:29 512 8 4096 512M|PD0 28:21 256 16 4096 2M|PT 20:12 512 8 4096 4K" },
        { "V3Hopper", "PD4 56:56 2 8 16 -|PD3 55:47 512 8 4096 -|PD2 46:38 512 8 4096 -|PD1 37:29 512 8 4096 512M|PD0 28:21 256 16 4096 2M|PT 20:12 512 8 4096 4K" },
        { "V3Blackwell", "PD4 56:56 2 8 16 -|PD3 55:47 512 8 4096 -|PD2 46:38 512 8 4096 256G|PD1 37:29 512 8 4096 512M|PD0 28:21 256 16 4096 2M|PT 20:12 512 8 4096 4K" },
    };

    [Theory]
    [MemberData(nameof(LevelTables))]
    public void Level_tables(string name, string expected)
    {
        var f = MmuFormat.All.Single(x => x.Name == name);
        var actual = string.Join('|', f.Levels.Select(l => $"{l.Name} {l.VaBits} {l.EntryCount} {l.EntrySize} {l.TableSize} {(l.PteSize is { } s ? PageSize.Format(s) : "-")}"));
        Assert.Equal(expected, actual);
        Assert.Single(f.Levels, l => l.IsDual);
        Assert.True(f.DualLevel.IsDual);
        Assert.Equal(PageTableLevel.Pd0, f.DualLevel.Id);

        var big = f.BigPageTable;
        Assert.Equal((PageTableLevel.PtBig, "20:16", 32, 8, 256UL, PageSize.Size64K, 256UL),
            (big.Id, big.VaBits.ToString(), big.EntryCount, big.EntrySize, big.TableSize, big.PteSize!.Value, big.AllocationSize));
    }

    [Fact]
    public void Versions_va_bits_and_page_sizes()
    {
        Assert.Equal((MmuVersion.V2, 49), (MmuFormat.V2Turing.Version, MmuFormat.V2Turing.VaBits));
        Assert.Equal((MmuVersion.V2, 49), (MmuFormat.V2Ampere.Version, MmuFormat.V2Ampere.VaBits));
        Assert.Equal((MmuVersion.V3, 57), (MmuFormat.V3Hopper.Version, MmuFormat.V3Hopper.VaBits));
        Assert.Equal((MmuVersion.V3, 57), (MmuFormat.V3Blackwell.Version, MmuFormat.V3Blackwell.VaBits));
        Assert.Equal(new[] { "4K", "64K", "2M" }, MmuFormat.V2Turing.PageSizes.Select(PageSize.Format));
        Assert.Equal(new[] { "4K", "64K", "2M", "512M" }, MmuFormat.V2Ampere.PageSizes.Select(PageSize.Format));
        Assert.Equal(new[] { "4K", "64K", "2M", "512M" }, MmuFormat.V3Hopper.PageSizes.Select(PageSize.Format));
        Assert.Equal(new[] { "4K", "64K", "2M", "512M", "256G" }, MmuFormat.V3Blackwell.PageSizes.Select(PageSize.Format));
    }

    [Fact]
    public void Every_level_covers_exactly_its_va_bits_and_levels_tile_the_va()
    {
        foreach (var f in MmuFormat.All)
        {
            Assert.Equal(f.VaBits - 1, f.Root.VaBits.Hi);
            for (var i = 0; i + 1 < f.Levels.Count; i++)
            {
                Assert.Equal(f.Levels[i].VaBits.Lo - 1, f.Levels[i + 1].VaBits.Hi);
                Assert.Same(f.Levels[i + 1], f.Next(f.Levels[i]));
            }

            Assert.Equal(12, f.SmallPageTable.VaBits.Lo);
            Assert.Equal(f.DualLevel.VaBits.Lo - 1, f.BigPageTable.VaBits.Hi);
            Assert.Null(f.Next(f.SmallPageTable));
            Assert.Null(f.Next(f.BigPageTable));
            foreach (var l in f.AllLevels.Where(l => l.PteSize.HasValue))
            {
                Assert.Equal(l.EntryCoverage, l.PteSize!.Value);
                Assert.Same(l, f.LevelForPageSize(l.PteSize.Value));
            }

            foreach (var l in f.AllLevels)
            {
                Assert.True(l.TableSize <= l.AllocationSize);
            }
        }
    }

    [Fact]
    public void Level_for_page_size()
    {
        Assert.Equal(PageTableLevel.Pt, MmuFormat.V2Turing.LevelForPageSize(PageSize.Size4K).Id);
        Assert.Equal(PageTableLevel.PtBig, MmuFormat.V2Turing.LevelForPageSize(PageSize.Size64K).Id);
        Assert.Equal(PageTableLevel.Pd0, MmuFormat.V2Turing.LevelForPageSize(PageSize.Size2M).Id);
        Assert.Equal(PageTableLevel.Pd1, MmuFormat.V2Ampere.LevelForPageSize(PageSize.Size512M).Id);
        Assert.Equal(PageTableLevel.Pd2, MmuFormat.V3Blackwell.LevelForPageSize(PageSize.Size256G).Id);
        var ex = Assert.Throws<ArgumentException>(() => MmuFormat.V2Turing.LevelForPageSize(PageSize.Size512M));
        Assert.Contains("512M", ex.Message);
        Assert.Throws<ArgumentException>(() => MmuFormat.V3Hopper.LevelForPageSize(PageSize.Size256G));
        Assert.Throws<ArgumentException>(() => MmuFormat.V3Hopper.LevelForPageSize(8192));
        Assert.False(MmuFormat.V2Ampere.TryGetLevelForPageSize(PageSize.Size256G, out _));
    }

    [Fact]
    public void Entry_address_uses_the_entry_size()
    {
        var f = MmuFormat.V2Turing;
        var va = new GpuVa(0x1_A5F3_C9B7_E123);
        var table = new VramAddress(0x10_0000);
        Assert.Equal(new VramAddress(0x10_0000 + (0x4D * 16)), f.EntryAddress(table, PageTableLevel.Pd0, va));
        Assert.Equal(new VramAddress(0x10_0000 + (0x17E * 8)), f.EntryAddress(table, PageTableLevel.Pt, va));
        Assert.Equal(new VramAddress(0x10_0000 + (0x17 * 8)), f.EntryAddress(table, f.BigPageTable, va));
        Assert.Equal(new VramAddress(0x10_0000 + (3 * 8)), f.EntryAddress(table, f.Root, va));
    }

    [Fact]
    public void Bad_inputs()
    {
        var ex = Assert.Throws<ArgumentException>(() => MmuFormat.V2Ampere.Level(PageTableLevel.Pd4));
        Assert.Contains("Pd4", ex.Message);
        Assert.Throws<ArgumentException>(() => MmuFormat.V2Turing.IndexOf(PageTableLevel.Pd4, new GpuVa(0)));
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => MmuFormat.V2Turing.IndexOf(PageTableLevel.Pt, new GpuVa(1UL << 49)));
        Assert.Contains("0x2000000000000", range.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => MmuFormat.V3Hopper.IndexOf(PageTableLevel.Pt, new GpuVa(1UL << 57)));
        Assert.Equal(511, MmuFormat.V3Hopper.IndexOf(PageTableLevel.Pt, new GpuVa((1UL << 57) - 1)));
        Assert.Equal(3, MmuFormat.V2Turing.IndexOf(PageTableLevel.Pd3, new GpuVa((1UL << 49) - 1)));
        Assert.Throws<ArgumentException>(() => MmuFormat.V2Turing.Next(MmuFormat.V3Hopper.Levels[0]));
    }

    [Fact]
    public void Level_names_parse()
    {
        foreach (var level in Enum.GetValues<PageTableLevel>())
        {
            Assert.Equal(level, PageTableLevels.Parse(level.CliName()));
            Assert.Equal(level, PageTableLevels.Parse(level.DisplayName()));
        }

        Assert.Equal("pt-big", PageTableLevel.PtBig.CliName());
        var ex = Assert.Throws<ArgumentException>(() => PageTableLevels.Parse("pd5"));
        Assert.Contains("pd5", ex.Message);
        Assert.False(PageTableLevels.TryParse(null, out _));
    }
}
