using CsCheck;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Hardware.Mmu;
using NovaMm.Spec.Addresses;

namespace NovaMm.Driver.Tests.VirtualMemory;

/// <summary>The runs-based map path (<see cref="Vmm.MapRuns"/>, <see cref="Vmm.ExecuteRuns"/>) and its failures.</summary>
public class VmmRunsTests
{
    private static VramRange Run(ulong start, ulong size) => new(new VramAddress(start), size);

    [Theory]
    [InlineData("GA102")]
    [InlineData("GH100")]
    public void Runs_back_the_mapping_in_order_across_leaf_tables(string chip)
    {
        var kit = new VmmTestKit(chip);
        using var vmm = kit.NewVmm();
        var pool = kit.Gpu.Mm.Allocate(16UL << 20, new Driver.Memory.VramAllocOptions { MinBlockSize = 16UL << 20 }).Start.Value;

        // 3 runs, the second one before the first in VRAM; the mapping straddles a 2 MiB leaf-table boundary.
        VramRange[] runs = [Run(pool + (8UL << 20), 1UL << 20), Run(pool, 12 * 4096), Run(pool + (4UL << 20), (2UL << 20) - (12 * 4096))];
        var va = (1UL << 33) + (1UL << 20);
        var m = vmm.MapRuns(new MapRequest { Size = 3UL << 20, Va = new GpuVa(va) }, runs);

        Assert.Equal(runs, m.Runs);
        Assert.Equal((int)((3UL << 20) / 4096), m.Pages.Count);
        var expected = runs.SelectMany(r => Enumerable.Range(0, (int)(r.Size / 4096)).Select(i => r.Start.Value + ((ulong)i * 4096))).ToArray();
        Assert.Equal(expected, m.Pages.Select(p => p.Value));
        for (var i = 0; i < expected.Length; i += 37)
        {
            Assert.Equal(expected[i], m.Pages[i].Value);
            var at = va + ((ulong)i * 4096) + 0x18;
            Assert.Equal(expected[i] + 0x18, vmm.ReadMapping(new GpuVa(at))!.Value.Value);
            Assert.Equal(expected[i] + 0x18, kit.Hw.Gmmu.Translate(vmm.Pdb.Value, vmm.Format, at, AccessType.Read, privileged: false).Translation!.PhysicalAddress);
        }

        vmm.Unmap(m);
        Assert.Equal(0, vmm.PageTablePages);
    }

    [Fact]
    public void Adjacent_runs_are_merged_and_a_page_list_becomes_runs()
    {
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm();
        var pool = kit.Gpu.Mm.Allocate(1UL << 20, new Driver.Memory.VramAllocOptions { MinBlockSize = 1UL << 20 }).Start.Value;
        var a = vmm.MapRuns(new MapRequest { Size = 4 * 4096 }, [Run(pool, 4096), Run(pool + 4096, 3 * 4096)]);
        Assert.Equal([Run(pool, 4 * 4096)], a.Runs);
        var b = vmm.Map(new MapRequest { Size = 3 * 4096 }, [new VramAddress(pool + 0x10000), new VramAddress(pool + 0x11000), new VramAddress(pool + 0x8000)]);
        Assert.Equal([Run(pool + 0x10000, 2 * 4096), Run(pool + 0x8000, 4096)], b.Runs);
        Assert.Equal([pool + 0x10000, pool + 0x11000, pool + 0x8000], b.Pages.Select(p => p.Value));
    }

    [Fact]
    public void Map_of_an_allocation_maps_its_blocks_as_runs()
    {
        var kit = new VmmTestKit("GH100");
        using var vmm = kit.NewVmm();
        var holes = Enumerable.Range(0, 6).Select(_ => kit.Gpu.Mm.Allocate(64UL << 10)).ToArray();
        kit.Gpu.Mm.Free(holes[1]);
        kit.Gpu.Mm.Free(holes[3]);
        var allocation = kit.Gpu.Mm.Allocate(256UL << 10, new Driver.Memory.VramAllocOptions { MinBlockSize = 64UL << 10 });
        var m = vmm.Map(allocation, 64UL << 10);
        Assert.Equal(allocation.Frames().Where((_, i) => i % 16 == 0).Select(f => f.Address), m.Pages);
        for (var i = 0; i < m.Pages.Count; i++)
        {
            Assert.Equal(m.Pages[i].Value + 0x40, vmm.ReadMapping(new GpuVa(m.Va.Value + ((ulong)i << 16) + 0x40))!.Value.Value);
        }
    }

    public static TheoryData<string, ulong[]> BadRuns() => new()
    {
        { "past the end of the mapping", [0, 0x3000] },
        { "short of the mapping", [0, 0x1000] },
        { "not page aligned", [0x800, 0x2000] },
        { "not a multiple of the page", [0, 0x1800, 0x4000, 0x800] },
        { "empty", [0, 0x2000, 0x8000, 0] },
    };

    [Theory]
    [MemberData(nameof(BadRuns))]
    public void A_bad_run_is_refused_and_the_preparation_stays_pending(string why, ulong[] runs)
    {
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm();
        var pool = kit.Gpu.Mm.Allocate(1UL << 20, new Driver.Memory.VramAllocOptions { MinBlockSize = 1UL << 20 }).Start.Value;
        var before = kit.Snapshot(vmm);
        var prep = vmm.Prepare(new MapRequest { Size = 0x2000, Va = new GpuVa(0x10_0000) });
        var prepared = kit.Snapshot(vmm);
        var list = Enumerable.Range(0, runs.Length / 2).Select(i => Run(pool + runs[2 * i], runs[(2 * i) + 1])).ToArray();
        Assert.Throws<ArgumentException>(() => vmm.ExecuteRuns(prep, list));
        Assert.False(prep.IsDone, why);
        Assert.Equal(prepared, kit.Snapshot(vmm));
        var m = vmm.ExecuteRuns(prep, [Run(pool, 0x2000)]);
        Assert.Equal(pool + 0x1000, vmm.ReadMapping(new GpuVa(0x10_1000))!.Value.Value);
        vmm.Unmap(m);
        prep.Dispose();
        Assert.Equal(before, kit.Snapshot(vmm));
    }

    [Fact]
    public void Runs_outside_vram_or_for_a_sparse_mapping_are_refused()
    {
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm();
        var snap = kit.Snapshot(vmm);
        var end = kit.Gpu.Pramin.Limit;
        Assert.Throws<ArgumentException>(() => vmm.MapRuns(new MapRequest { Size = 0x2000 }, [Run(end - 0x1000, 0x2000)]));
        Assert.Throws<ArgumentException>(() => vmm.MapRuns(new MapRequest { Size = 0x1000 }, [Run(end, 0x1000)]));
        Assert.Throws<ArgumentException>(() => vmm.MapRuns(new MapRequest { Size = 0x1000, Sparse = true }, [Run(0x10_0000, 0x1000)]));
        Assert.Equal(snap, kit.Snapshot(vmm));
        var sparse = vmm.MapRuns(new MapRequest { Size = 0x1000, Sparse = true }, []);
        Assert.True(sparse.IsSparse);
        Assert.Empty(sparse.Runs);
        Assert.Empty(sparse.Pages);
    }

    [Fact]
    public void A_failed_flush_rolls_back_a_runs_map_a_replace_and_an_unmap()
    {
        var kit = new VmmTestKit("GH100");
        using var vmm = kit.NewVmm();
        var pool = kit.Gpu.Mm.Allocate(16UL << 20, new Driver.Memory.VramAllocOptions { MinBlockSize = 16UL << 20 }).Start.Value;
        var va = new GpuVa((1UL << 34) + (1UL << 20)); // 4 MiB from here cross three leaf tables
        var empty = kit.Snapshot(vmm);

        var prep = vmm.Prepare(new MapRequest { Size = 4UL << 20, Va = va });
        var prepared = kit.Snapshot(vmm);
        kit.Hw.VfPriv.InvalidateNeverCompletes = true;
        Assert.Equal(ErrorCode.TimedOut, Assert.Throws<NovaMmException>(() => vmm.ExecuteRuns(prep, [Run(pool, 4UL << 20)])).Code);
        kit.Hw.VfPriv.InvalidateNeverCompletes = false;
        Assert.Equal(prepared, kit.Snapshot(vmm));
        var old = vmm.ExecuteRuns(prep, [Run(pool, 4UL << 20)]);
        var mapped = kit.Snapshot(vmm);

        // Replacing it fails at the flush: the old mapping's entries come back.
        var replace = vmm.Prepare(new MapRequest { Size = 4UL << 20, Va = va, Replace = true });
        var replacing = kit.Snapshot(vmm);
        kit.Hw.VfPriv.InvalidateNeverCompletes = true;
        Assert.Equal(ErrorCode.TimedOut, Assert.Throws<NovaMmException>(() => vmm.ExecuteRuns(replace, [Run(pool + (8UL << 20), 4UL << 20)])).Code);
        kit.Hw.VfPriv.InvalidateNeverCompletes = false;
        Assert.Equal(replacing, kit.Snapshot(vmm));
        Assert.Equal(pool + 0x5000, vmm.ReadMapping(new GpuVa(va.Value + 0x5000))!.Value.Value);
        replace.Dispose();
        Assert.Equal(mapped, kit.Snapshot(vmm));

        // Unmapping fails at the flush: every entry, and the directory entries of the tables it would free, come back.
        kit.Hw.VfPriv.InvalidateNeverCompletes = true;
        Assert.Equal(ErrorCode.TimedOut, Assert.Throws<NovaMmException>(() => vmm.Unmap(old)).Code);
        kit.Hw.VfPriv.InvalidateNeverCompletes = false;
        Assert.Equal(mapped, kit.Snapshot(vmm));
        Assert.False(old.IsUnmapped);
        vmm.Unmap(old);
        Assert.Equal(empty, kit.Snapshot(vmm));
    }

    [Fact]
    public void Runs_and_pages_write_the_same_vram_property()
    {
        // Any split of a page list into runs, any page size and attributes: MapRuns writes exactly what the
        // page-list path writes (a second, identical GPU), and unmapping leaves both as they were.
        var gen = Gen.Select(Gen.Int[0, 2], Gen.Int[1, 40], Gen.Int[0, int.MaxValue], Gen.Bool);
        gen.Sample((pageSizeIndex, pages, seed, ro) =>
        {
            var pageSize = new[] { 4096UL, 64UL << 10, 2UL << 20 }[pageSizeIndex];
            pages = pageSizeIndex == 2 ? Math.Min(pages, 6) : pages;
            var rnd = new Random(seed);
            var (a, b) = (new VmmTestKit("GH100"), new VmmTestKit("GH100"));
            using var va = a.NewVmm();
            using var vb = b.NewVmm();
            var poolA = a.Gpu.Mm.Allocate(64UL << 20, new Driver.Memory.VramAllocOptions { MinBlockSize = 64UL << 20 }).Start.Value;
            var poolB = b.Gpu.Mm.Allocate(64UL << 20, new Driver.Memory.VramAllocOptions { MinBlockSize = 64UL << 20 }).Start.Value;
            Assert.Equal(poolA, poolB);
            var slots = Enumerable.Range(0, (int)((64UL << 20) / pageSize)).OrderBy(_ => rnd.Next()).Take(pages).ToArray();
            var list = slots.Select(s => new VramAddress(poolA + ((ulong)s * pageSize))).ToArray();
            var runs = new List<VramRange>();
            foreach (var p in list)
            {
                if (runs.Count > 0 && runs[^1].End == p && rnd.Next(2) == 0)
                {
                    runs[^1] = new VramRange(runs[^1].Start, runs[^1].Size + pageSize);
                }
                else
                {
                    runs.Add(new VramRange(p, pageSize));
                }
            }

            var before = a.Snapshot(va);
            var request = new MapRequest
            {
                Size = (ulong)pages * pageSize,
                PageSize = pageSize,
                Va = new GpuVa((1UL << 35) + ((ulong)rnd.Next(0, 1024) * pageSize)),
                Attributes = new Driver.PageTables.MapAttributes { ReadOnly = ro, Kind = (byte)rnd.Next(0, 16) },
            };
            var ma = va.Map(request, list);
            var mb = vb.MapRuns(request, runs);
            Assert.Equal(a.Snapshot(va), b.Snapshot(vb));
            Assert.Equal(ma.Pages, mb.Pages);
            va.Unmap(ma);
            vb.Unmap(mb);
            Assert.Equal(before, a.Snapshot(va));
            Assert.Equal(a.Snapshot(va), b.Snapshot(vb));
        }, iter: 20, threads: 1);
    }

    [Fact]
    public void Many_mappings_with_explicit_vas_still_find_every_overlap()
    {
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm();
        var pool = kit.Gpu.Mm.Allocate(8UL << 20, new Driver.Memory.VramAllocOptions { MinBlockSize = 8UL << 20 }).Start.Value;
        var maps = new List<Mapping>();
        for (var i = 0UL; i < 2000; i++)
        {
            maps.Add(vmm.MapRuns(new MapRequest { Size = 4096, Va = new GpuVa((1UL << 32) + (i * 0x3000)) }, [Run(pool + (i * 4096), 4096)]));
        }

        Assert.Equal(2000, vmm.MappingCount);
        foreach (var i in new ulong[] { 0, 1, 999, 1999 })
        {
            var at = (1UL << 32) + (i * 0x3000);
            var e = Assert.Throws<NovaMmException>(() => vmm.MapRuns(new MapRequest { Size = 0x2000, Va = new GpuVa(at - 0x1000) }, [Run(pool, 0x2000)]));
            Assert.Equal(ErrorCode.Busy, e.Code);
            Assert.Contains($"0x{at:x}", e.Message, StringComparison.Ordinal);
            var gap = vmm.MapRuns(new MapRequest { Size = 0x2000, Va = new GpuVa(at + 0x1000) }, [Run(pool, 0x2000)]);
            vmm.Unmap(gap);
        }

        var wide = vmm.Prepare(new MapRequest { Size = 0x9000, Va = new GpuVa(1UL << 32), Replace = true });
        Assert.Equal(maps.Take(3), wide.Replaced);
        wide.Dispose();
        foreach (var m in maps)
        {
            vmm.Unmap(m);
        }

        Assert.Equal(0, vmm.PageTablePages);
    }

    [Fact]
    public void Scrubbed_tables_come_back_cleared_and_dirty_pages_are_zeroed_before_use()
    {
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm();
        var pool = kit.Gpu.Mm.Allocate(1UL << 20, new Driver.Memory.VramAllocOptions { MinBlockSize = 1UL << 20 }).Start.Value;

        // Dirty memory full of 0xFF (every byte a valid-looking entry) freed without clearing: a page table built there
        // must be zeroed, or the GMMU would translate its other slots.
        var dirty = Enumerable.Range(0, 8).Select(_ => kit.Gpu.Mm.AllocatePage()).ToArray();
        using (var w = kit.Gpu.Pramin.Acquire())
        {
            foreach (var d in dirty)
            {
                w.Fill(d.Start, 4096, 0xFF);
            }
        }

        kit.Gpu.Mm.FreeAll(dirty);
        var va = 1UL << 36;
        var m = vmm.MapRuns(new MapRequest { Size = 4096, Va = new GpuVa(va) }, [Run(pool, 4096)]);
        Assert.NotEmpty(vmm.PageTables().Select(t => t.Address).Intersect(dirty.Select(d => d.Start))); // the test reuses dirty pages
        Assert.Equal(pool, kit.Hw.Gmmu.Translate(vmm.Pdb.Value, vmm.Format, va, AccessType.Read, privileged: false).Translation!.PhysicalAddress);
        foreach (var other in new[] { va + 0x1000, va + 0x10_0000, va + (1UL << 30), va - 0x1000 })
        {
            Assert.False(kit.Hw.Gmmu.Translate(vmm.Pdb.Value, vmm.Format, other, AccessType.Read, privileged: false).IsSuccess);
        }

        // The unmap scrubs the tables and frees them as known-zero; the next page-table pages are those, still zero.
        var tables = vmm.PageTables().Skip(1).Select(t => t.Address.Value).ToHashSet();
        vmm.Unmap(m);
        var again = kit.Gpu.Mm.AllocatePages(tables.Count);
        Assert.All(again, p => Assert.True(p.IsCleared));
        Assert.Equal(tables, again.Select(p => p.Start.Value).ToHashSet());
        using (var w = kit.Gpu.Pramin.Acquire())
        {
            var words = new ulong[512];
            foreach (var p in again)
            {
                w.Read64Span(p.Start, words);
                Assert.All(words, x => Assert.Equal(0UL, x));
            }
        }

        kit.Gpu.Mm.FreeAll(again);
    }
}
