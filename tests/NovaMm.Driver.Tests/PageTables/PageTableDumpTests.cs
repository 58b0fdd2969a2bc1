using NovaMm.Driver.PageTables;
using NovaMm.Driver.Tests.VirtualMemory;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Hardware;
using NovaMm.Hardware.Images;
using NovaMm.Hardware.Mmu;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;
using NovaMm.Spec.PageTables;

namespace NovaMm.Driver.Tests.PageTableDumps;

/// <summary>The page-table dumper on hand-built trees (every page size, both MMU versions) and on driver-built ones.</summary>
public class PageTableDumpTests
{
    private const ulong K4 = PageSize.Size4K;
    private const ulong K64 = PageSize.Size64K;
    private const ulong M2 = PageSize.Size2M;
    private const ulong M512 = PageSize.Size512M;
    private const ulong G256 = PageSize.Size256G;

    private static SimulatedGpu Hw(string chip) => new(new SimulatedGpuOptions { Chip = ChipCatalog.Get(chip), VramSize = 1UL << 30 });

    private static PageTableDumpResult Dump(TreeBuilder t, ulong vaStart = 0, ulong? vaEnd = null)
    {
        using var w = t.Pramin().Acquire();
        return PageTableDump.Dump(w, new VramAddress(t.Pdb), t.Format, vaStart, vaEnd);
    }

    private static (ulong Va, ulong VaEnd, ulong Pa, ulong Page, bool Ro) Shape(MappedRange m) => (m.VaStart, m.VaEnd, m.PaStart, m.PageSize, m.Attributes.ReadOnly);

    /// <summary>One tree with 4K/64K/2M (and 512M, 256G where the format has them), coalescing and dual-PDE precedence.</summary>
    private static (TreeBuilder Tree, List<(ulong Va, ulong VaEnd, ulong Pa, ulong Page, bool Ro)> Expected) Build(SimulatedGpu hw)
    {
        var t = new TreeBuilder(hw);
        var ro = new MapAttributes { ReadOnly = true };
        var expected = new List<(ulong, ulong, ulong, ulong, bool)>();

        // 16 small pages, VA and PA contiguous: one range.
        for (var i = 0UL; i < 16; i++)
        {
            t.Map(i * K4, K4, 0x1000_0000 + (i * K4));
        }

        expected.Add((0, 0x1_0000, 0x1000_0000, K4, false));

        // Two more, contiguous in both, but read-only: a new range.
        t.Map(0x1_0000, K4, 0x1001_0000, ro);
        t.Map(0x1_1000, K4, 0x1001_1000, ro);
        expected.Add((0x1_0000, 0x1_2000, 0x1001_0000, K4, true));

        // The same attributes, but the physical address jumps: a new range.
        t.Map(0x1_2000, K4, 0x1010_0000, ro);
        expected.Add((0x1_2000, 0x1_3000, 0x1010_0000, K4, true));

        // A big page (PT big index 2).
        t.Map(0x2_0000, K64, 0x1100_0000);
        expected.Add((0x2_0000, 0x3_0000, 0x1100_0000, K64, false));

        // A sparse big PTE hides the small PTEs below it (the GMMU stops at the big PTE).
        t.Sparse(PageTableLevel.PtBig, 0x3_0000);
        for (var i = 0UL; i < 16; i++)
        {
            t.Map(0x3_0000 + (i * K4), K4, 0x1020_0000 + (i * K4));
        }

        // A plain invalid big PTE lets the small one decide.
        t.Map(0x4_0000, K4, 0x1030_0000);
        expected.Add((0x4_0000, 0x4_1000, 0x1030_0000, K4, false));

        // A valid big PTE wins over a valid small PTE under it.
        t.Map(0x5_0000, K4, 0x1040_0000);
        t.Map(0x5_0000, K64, 0x1101_0000);
        expected.Add((0x5_0000, 0x6_0000, 0x1101_0000, K64, false));

        // Two 2 MiB PTEs in PD0, contiguous: one range of two pages.
        t.Map(0x20_0000, M2, 0x1200_0000);
        t.Map(0x40_0000, M2, 0x1220_0000);
        expected.Add((0x20_0000, 0x60_0000, 0x1200_0000, M2, false));

        if (t.Format.PageSizes.Contains(M512))
        {
            t.Map(0x2000_0000, M512, 0x2000_0000);
            expected.Add((0x2000_0000, 0x4000_0000, 0x2000_0000, M512, false));
        }

        if (t.Format.PageSizes.Contains(G256))
        {
            t.Map(0x400_0000_0000, G256, 0);
            expected.Add((0x400_0000_0000, 0x440_0000_0000, 0, G256, false));
        }

        // Far up the VA space (another root entry).
        var high = t.Format.VaLimit - (2 * M2);
        t.Map(high, K4, 0x1050_0000);
        expected.Add((high, high + K4, 0x1050_0000, K4, false));
        return (t, expected);
    }

    [Theory]
    [InlineData("TU102")]
    [InlineData("GA102")]
    [InlineData("GH100")]
    [InlineData("GB202")]
    public void Hand_built_tree_gives_the_exact_coalesced_ranges(string chip)
    {
        var hw = Hw(chip);
        var (t, expected) = Build(hw);
        var result = Dump(t);
        Assert.Empty(result.Problems);
        Assert.Equal(expected, result.Mappings.Select(Shape).ToList());

        // Every page of every range translates on the hardware GMMU exactly so; the hidden ones fault.
        foreach (var m in result.Mappings)
        {
            for (var va = m.VaStart; va < m.VaEnd; va += Math.Max(m.PageSize, m.Size / 8))
            {
                var tr = hw.Gmmu.Translate(new VramAddress(t.Pdb), t.Format, new GpuVa(va + 0x10), AccessType.Read, privileged: true);
                Assert.True(tr.IsSuccess, $"{chip} VA 0x{va:x}: {tr}");
                Assert.Equal(m.PaStart + (va - m.VaStart) + 0x10, tr.Translation!.PhysicalAddress);
                Assert.Equal(m.PageSize, tr.Translation.PageSize);
            }
        }

        var hidden = hw.Gmmu.Translate(new VramAddress(t.Pdb), t.Format, new GpuVa(0x3_8000), AccessType.Read, privileged: true);
        Assert.Equal(MmuFaultReason.Sparse, hidden.Fault!.Reason);
        Assert.Equal([new SparseRange(0x3_0000, 0x4_0000)], result.Sparse);
        if (t.Format.Version == MmuVersion.V3)
        {
            Assert.All(result.Mappings, m => Assert.NotNull(m.Attributes.PcfName));
        }
        else
        {
            Assert.All(result.Mappings, m => Assert.Null(m.Attributes.PcfName));
        }
    }

    [Fact]
    public void Tree_model_has_levels_indices_va_ranges_and_both_dual_halves()
    {
        var (t, _) = Build(Hw("GA102"));
        var result = Dump(t);
        var root = Assert.Single(result.Roots, n => n.Index == 0);
        Assert.Equal(PageTableLevel.Pd3, root.Level.Id);
        Assert.Equal((0UL, 1UL << 47), (root.VaStart, root.VaEnd));
        var pd0 = root.Children.Single().Children.Single(n => n.Index == 0).Children.Single(n => n.Index == 0);
        Assert.Equal(PageTableLevel.Pd0, pd0.Level.Id);
        Assert.NotNull(pd0.High);
        Assert.Equal(34, pd0.RawHex.Length); // 0x + 32 digits
        Assert.Contains(pd0.Children, n => n.Level.Id == PageTableLevel.PtBig && n.Index == 2 && n.VaStart == 0x2_0000 && n.VaEnd == 0x3_0000);
        Assert.Contains(pd0.Children, n => n.Level.Id == PageTableLevel.PtBig && n.Index == 3 && n.Decoded is DecodedPte { Sparse: true });
        Assert.Equal(16 + 3 + 16 + 1 + 1, pd0.Children.Count(n => n.Level.Id == PageTableLevel.Pt));
        var large = root.Children.Single().Children.Single(n => n.Index == 0).Children.Single(n => n.Index == 1);
        Assert.Equal((0x20_0000UL, 0x40_0000UL), (large.VaStart, large.VaEnd));
        Assert.IsType<DecodedPte>(large.Decoded);
        Assert.Empty(large.Children);
    }

    [Theory]
    [InlineData("GA102")]
    [InlineData("GH100")]
    public void Sparse_entries_at_every_level_become_coalesced_sparse_ranges(string chip)
    {
        var hw = Hw(chip);
        var t = new TreeBuilder(hw);
        t.Map(0, K4, 0x1000_0000);
        t.Sparse(PageTableLevel.Pt, 0x1000);
        t.Sparse(PageTableLevel.Pt, 0x2000);
        t.Sparse(PageTableLevel.Pd0, 0x20_0000);
        t.Sparse(PageTableLevel.Pd0, 0x40_0000);
        t.Sparse(PageTableLevel.Pd1, 0x2000_0000);
        var result = Dump(t);
        Assert.Equal([new SparseRange(0x1000, 0x3000), new SparseRange(0x20_0000, 0x60_0000), new SparseRange(0x2000_0000, 0x4000_0000)], result.Sparse);
        foreach (var va in new ulong[] { 0x1000, 0x2fff, 0x20_0000, 0x5f_ffff, 0x3000_0000 })
        {
            Assert.Equal(MmuFaultReason.Sparse, hw.Gmmu.Translate(new VramAddress(t.Pdb), t.Format, new GpuVa(va), AccessType.Read, privileged: true).Fault!.Reason);
        }

        Assert.Single(result.Mappings);
    }

    [Fact]
    public void Va_range_limits_the_walk()
    {
        var (t, expected) = Build(Hw("GH100"));
        var result = Dump(t, 0x1_0000, 0x3_0000);
        Assert.Equal(expected.Where(e => e.Va >= 0x1_0000 && e.Va < 0x3_0000).ToList(), result.Mappings.Select(Shape).ToList());
        Assert.Single(result.Roots);
        Assert.Throws<ArgumentOutOfRangeException>(() => Dump(t, 0, t.Format.VaLimit + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dump(t, 5, 5));
    }

    [Fact]
    public void Shared_outside_and_sysmem_tables_are_reported_not_followed()
    {
        var hw = Hw("GA102");
        var t = new TreeBuilder(hw);
        t.Map(0, K4, 0x1000_0000);
        var (pd2, pd2Table) = t.TableFor(t.Format.Level(PageTableLevel.Pd2), 0);
        var pd1Table = ((DecodedPde)EntryCodec.Decode(t.Format, pd2, hw.Vram.Read64(pd2Table), 0)).Next.Address;
        var at = (int i) => pd2Table + ((ulong)i * 8);
        hw.Vram.Write64(at(1), EntryCodec.Pde(t.Format, TableRef.Vram(new VramAddress(pd1Table)))); // shared with entry 0
        hw.Vram.Write64(at(2), EntryCodec.Pde(t.Format, TableRef.Vram(new VramAddress(0x1F_FFFF_F000)))); // far outside 1 GiB
        hw.Vram.Write64(at(3), EntryCodec.Pde(t.Format, TableRef.Sysmem(0x1000)));
        hw.Vram.Write64(t.Pdb + 8, EntryCodec.Pde(t.Format, TableRef.Vram(new VramAddress(t.Pdb)))); // the root as its own PD2: a loop
        var result = Dump(t);
        Assert.Contains(result.Problems, p => p.Contains("already visited", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Contains("0x1ffffff000", StringComparison.Ordinal) && p.Contains("outside VRAM", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Contains("system memory", StringComparison.Ordinal));
        Assert.Equal((0UL, K4, 0x1000_0000UL, K4, false), Shape(result.Mappings[0]));
    }

    [Fact]
    public void Thousands_of_pages_coalesce_or_not_as_their_addresses_say()
    {
        var t = new TreeBuilder(Hw("GB202"));
        for (var i = 0UL; i < 4096; i++)
        {
            t.Map(0x1_0000_0000 + (i * K4), K4, 0x1000_0000 + (i * K4));
            t.Map(0x2_0000_0000 + (i * K4), K4, 0x2000_0000 + ((i ^ 1) * K4)); // pairs swapped: never contiguous
        }

        var result = Dump(t);
        Assert.Equal(1 + 4096, result.Mappings.Count);
        Assert.Equal((0x1_0000_0000UL, 0x1_0100_0000UL, 0x1000_0000UL, K4, false), Shape(result.Mappings[0]));
        Assert.Equal(8192UL, result.MappedPages);
        Assert.Equal(0x2000_1000UL, result.Mappings[1].PaStart);
    }

    [Theory]
    [InlineData("GA102")]
    [InlineData("GH100")]
    public void Driver_built_tree_dumps_the_same_live_and_from_an_image(string chip)
    {
        var kit = new VmmTestKit(chip);
        using var vmm = kit.NewVmm();
        var maps = new List<Mapping>
        {
            vmm.Map(kit.Gpu.Mm.Allocate(40 * K4)),
            vmm.Map(kit.Gpu.Mm.Allocate(4 * K64, new Driver.Memory.VramAllocOptions { MinBlockSize = K64 }), K64, attributes: new MapAttributes { ReadOnly = true }),
            vmm.Map(kit.Gpu.Mm.Allocate(2 * M2, new Driver.Memory.VramAllocOptions { MinBlockSize = M2 }), M2, new GpuVa(0x1_0000_0000)),
        };
        PageTableDumpResult live;
        using (var w = kit.Gpu.Pramin.Acquire())
        {
            live = PageTableDump.Dump(w, vmm.Pdb, vmm.Format);
        }

        Assert.Empty(live.Problems);
        Assert.Equal(maps.Aggregate(0UL, (s, m) => s + m.Size), live.MappedBytes);
        foreach (var m in live.Mappings)
        {
            for (var va = m.VaStart; va < m.VaEnd; va += m.PageSize)
            {
                var tr = kit.Hw.Gmmu.Translate(vmm.Pdb, vmm.Format, new GpuVa(va), AccessType.Read, privileged: true);
                Assert.Equal(m.PaStart + (va - m.VaStart), tr.Translation!.PhysicalAddress);
            }
        }

        using var ms = new MemoryStream();
        VramImage.Write(ms, kit.Hw.Vram, VramImageHeader.For(kit.Hw.Chip, kit.Hw.Vram.Size, vmm.Pdb));
        using var image = VramImage.Read(ms.ToArray());
        var layout = ImageBar0.LayoutFor(image.Header);
        var pramin = new Driver.Pramin.Pramin(new ImageBar0(image, layout), layout, image.VramSize);
        using (var w = pramin.Acquire())
        {
            var fromImage = PageTableDump.Dump(w, vmm.Pdb, vmm.Format);
            Assert.Equal(live.Mappings, fromImage.Mappings);
            Assert.Equal(live.TablesRead, fromImage.TablesRead);
            foreach (var m in maps)
            {
                Assert.Equal(vmm.Walk(m.Va).PhysicalAddress, PageTableWalker.Walk(w, vmm.Pdb, vmm.Format, m.Va).PhysicalAddress);
            }
        }
    }
}
