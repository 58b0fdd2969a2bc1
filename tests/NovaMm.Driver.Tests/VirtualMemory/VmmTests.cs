using NovaMm.Driver.PageTables;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;

namespace NovaMm.Driver.Tests.VirtualMemory;

public class VmmTests
{
    public static TheoryData<string, ulong> ChipsAndVas()
    {
        var data = new TheoryData<string, ulong>();
        foreach (var chip in ChipCatalog.All)
        {
            var top = chip.Format.VaLimit;
            foreach (var va in new[] { 0UL, (512UL << 20) - 0x1000, 512UL << 20, 4UL << 30, 128UL << 40, top - 0x4000 })
            {
                if (va < top)
                {
                    data.Add(chip.Name, va);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ChipsAndVas))]
    public void Maps_walks_and_unmaps_at_vas_across_the_width(string chip, ulong va)
    {
        var kit = new VmmTestKit(chip);
        using var vmm = kit.NewVmm();
        var before = kit.Gpu.Mm.FreeBytes;
        var pages = kit.Pages(3);
        var freeWithPages = kit.Gpu.Mm.FreeBytes;
        var m = vmm.Map(new MapRequest { Size = 3 * GpuPage.Size, Va = new GpuVa(va) }, pages);
        for (var i = 0; i < 3; i++)
        {
            var w = vmm.Walk(new GpuVa(va + ((ulong)i * 4096) + 0x123));
            Assert.Equal(WalkStatus.Mapped, w.Status);
            Assert.Equal(pages[i].Value + 0x123, w.PhysicalAddress!.Value.Value);
            Assert.Equal(GpuPage.Size, w.PageSize);
            Assert.Equal(kit.Gpu.Chip.Format.Levels.Count, w.Steps.Count);
            var hw = kit.Hw.Gmmu.Translate(vmm.Pdb.Value, vmm.Format, va + ((ulong)i * 4096) + 0x123, Hardware.Mmu.AccessType.Write, privileged: false);
            Assert.Equal(pages[i].Value + 0x123, hw.Translation!.PhysicalAddress); // the hardware agrees
        }

        vmm.Unmap(m);
        Assert.Equal(WalkStatus.TableMissing, vmm.Walk(new GpuVa(va)).Status);
        Assert.False(kit.Hw.Gmmu.Translate(vmm.Pdb.Value, vmm.Format, va, Hardware.Mmu.AccessType.Read, privileged: false).IsSuccess);
        Assert.Equal(0, vmm.PageTablePages);
        Assert.Equal(freeWithPages, kit.Gpu.Mm.FreeBytes);
        Assert.True(before > freeWithPages);
    }

    [Theory]
    [InlineData("TU102", 64UL << 10)]
    [InlineData("TU102", 2UL << 20)]
    [InlineData("GA102", 512UL << 20)]
    [InlineData("GH100", 64UL << 10)]
    [InlineData("GH100", 2UL << 20)]
    [InlineData("GH100", 512UL << 20)]
    [InlineData("GB202", 2UL << 20)]
    public void Large_pages_map_at_their_level(string chip, ulong pageSize)
    {
        var kit = new VmmTestKit(chip);
        using var vmm = kit.NewVmm();
        var pages = kit.Pages(2, pageSize);
        var va = new GpuVa(pageSize * 8);
        var m = vmm.Map(new MapRequest { Size = 2 * pageSize, PageSize = pageSize, Va = va }, pages);
        var w = vmm.Walk(new GpuVa(va.Value + pageSize + 0x10));
        Assert.Equal(WalkStatus.Mapped, w.Status);
        Assert.Equal(pageSize, w.PageSize);
        Assert.Equal(pages[1].Value + 0x10, w.PhysicalAddress!.Value.Value);
        vmm.Unmap(m);
        Assert.Equal(0, vmm.PageTablePages);
    }

    [Fact]
    public void Pages_of_256_GiB_on_blackwell()
    {
        var kit = new VmmTestKit("GB100", vram: 512UL << 30);
        using var vmm = kit.NewVmm();
        var m = vmm.Map(new MapRequest { Size = 256UL << 30, PageSize = 256UL << 30, Va = new GpuVa(1UL << 40) }, [new VramAddress(0)]);
        var w = vmm.Walk(new GpuVa((1UL << 40) + 0x12345678));
        Assert.Equal(256UL << 30, w.PageSize);
        Assert.Equal(0x12345678UL, w.PhysicalAddress!.Value.Value);
        vmm.Unmap(m);
        var turing = new VmmTestKit("TU102");
        using var v2 = turing.NewVmm();
        Assert.Contains("not supported", Assert.Throws<ArgumentException>(() => v2.Prepare(new MapRequest { Size = 512UL << 20, PageSize = 512UL << 20 })).Message);
    }

    [Fact]
    public void Mixed_page_sizes_share_a_dual_pde()
    {
        var kit = new VmmTestKit("GA102");
        using var vmm = kit.NewVmm();
        var big = vmm.Map(new MapRequest { Size = 64UL << 10, PageSize = 64UL << 10, Va = new GpuVa(0x20_0000) }, kit.Pages(1, 64UL << 10));
        var small = kit.Pages(1);
        var s = vmm.Map(new MapRequest { Size = 4096, Va = new GpuVa(0x21_0000) }, small);
        Assert.Equal(64UL << 10, vmm.Walk(new GpuVa(0x20_8000)).PageSize);
        Assert.Equal(small[0].Value, vmm.ReadMapping(new GpuVa(0x21_0000))!.Value.Value);
        var pd0 = vmm.Walk(new GpuVa(0x21_0000)).Steps.Single(st => st.Level.IsDual);
        Assert.NotEqual(0UL, pd0.Low);
        Assert.NotEqual(0UL, pd0.High!.Value);
        vmm.Unmap(big);
        Assert.Equal(small[0].Value, vmm.ReadMapping(new GpuVa(0x21_0000))!.Value.Value);
        vmm.Unmap(s);
        Assert.Equal(0, vmm.PageTablePages);
    }

    [Fact]
    public void Mapping_over_a_live_mapping_is_refused_unless_replacing()
    {
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm();
        var a = kit.Pages(4);
        var m = vmm.Map(new MapRequest { Size = 2 * 4096, Va = new GpuVa(0x10_0000) }, a[..2]);
        var snap = kit.Snapshot(vmm);
        var e = Assert.Throws<NovaMmException>(() => vmm.Map(new MapRequest { Size = 4096, Va = new GpuVa(0x10_1000) }, a[2..3]));
        Assert.Equal(ErrorCode.Busy, e.Code);
        Assert.Contains("overlaps live mapping", e.Message);
        Assert.Equal(snap, kit.Snapshot(vmm));

        // Replace: the new mapping takes the range, the old one is gone.
        Assert.Equal(ErrorCode.Busy, Assert.Throws<NovaMmException>(() => vmm.Map(new MapRequest { Size = 4096, Va = new GpuVa(0x10_1000), Replace = true }, a[2..3])).Code);
        var r = vmm.Map(new MapRequest { Size = 2 * 4096, Va = new GpuVa(0x10_0000), Replace = true }, a[2..4]);
        Assert.True(m.IsUnmapped);
        Assert.Equal(a[3].Value, vmm.ReadMapping(new GpuVa(0x10_1000))!.Value.Value);
        Assert.Throws<NovaMmException>(() => vmm.Unmap(m));
        vmm.Unmap(r);
        Assert.Equal(0, vmm.PageTablePages);
    }

    [Fact]
    public void Automatic_placement_is_aligned_and_disjoint()
    {
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm(vaEnd: 1UL << 32);
        var a = vmm.Map(new MapRequest { Size = 4096 }, kit.Pages(1));
        var b = vmm.Map(new MapRequest { Size = 2UL << 20, PageSize = 2UL << 20 }, kit.Pages(1, 2UL << 20));
        var c = vmm.Map(new MapRequest { Size = 3 * 4096 }, kit.Pages(3));
        Assert.Equal(0UL, b.Va.Value % (2UL << 20));
        var ranges = new[] { a, b, c }.OrderBy(m => m.Va.Value).ToArray();
        for (var i = 1; i < ranges.Length; i++)
        {
            Assert.True(ranges[i - 1].End.Value <= ranges[i].Va.Value);
        }
    }

    [Fact]
    public void Bad_requests_name_the_value_and_change_nothing()
    {
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm(vaEnd: 1UL << 30);
        var p = kit.Pages(2);
        var snap = kit.Snapshot(vmm);
        Assert.Contains("0x1001", Assert.Throws<ArgumentException>(() => vmm.Prepare(new MapRequest { Size = 0x1001 })).Message);
        Assert.Contains("0x3000", Assert.Throws<ArgumentException>(() => vmm.Prepare(new MapRequest { Size = 0x1000, PageSize = 0x3000 })).Message);
        Assert.Contains("0x1800", Assert.Throws<ArgumentException>(() => vmm.Prepare(new MapRequest { Size = 0x1000, Va = new GpuVa(0x1800) })).Message);
        Assert.Contains("outside", Assert.Throws<ArgumentException>(() => vmm.Prepare(new MapRequest { Size = 0x2000, Va = new GpuVa((1UL << 30) - 0x1000) })).Message);
        Assert.Throws<ArgumentException>(() => vmm.Map(new MapRequest { Size = 0x2000 }, p[..1]));
        Assert.Throws<ArgumentException>(() => vmm.Map(new MapRequest { Size = 0x1000 }, [new VramAddress(0x1234)]));
        Assert.Throws<ArgumentException>(() => vmm.Map(new MapRequest { Size = 0x1000 }, [new VramAddress(kit.Gpu.FbLayout.TotalFbEnd)]));
        Assert.Equal(ErrorCode.NoSpace, Assert.Throws<NovaMmException>(() => vmm.Prepare(new MapRequest { Size = 2UL << 30 })).Code is var c ? c : c);
        Assert.Equal(snap, kit.Snapshot(vmm));
    }

    [Fact]
    public void Exact_page_table_count()
    {
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm();
        var rnd = new Random(1234);
        for (var i = 0; i < 40; i++)
        {
            var pageSize = new[] { 4096UL, 64UL << 10, 2UL << 20 }[rnd.Next(3)];
            var count = (ulong)rnd.Next(1, 700);
            var va = ((ulong)rnd.NextInt64(0, 1L << 40) / pageSize) * pageSize;
            if (!vmm.Mappings.All(m => m.End.Value <= va || va + (count * pageSize) <= m.Va.Value) || pageSize * count > (64UL << 20))
            {
                continue;
            }

            var need = vmm.PageTablePagesNeeded(new GpuVa(va), count * pageSize, pageSize);
            var tablesBefore = vmm.PageTablePages;
            using var prep = vmm.Prepare(new MapRequest { Size = count * pageSize, PageSize = pageSize, Va = new GpuVa(va) });
            Assert.Equal(need, prep.PtPagesAllocated);
            Assert.Equal(tablesBefore + need, vmm.PageTablePages);
            Assert.Equal(0, vmm.PageTablePagesNeeded(new GpuVa(va), count * pageSize, pageSize));
            var pages = Enumerable.Range(0, (int)count).Select(k => new VramAddress(((ulong)k % 16) * pageSize)).ToArray();
            vmm.Execute(prep, pages);
        }

        foreach (var m in vmm.Mappings)
        {
            vmm.Unmap(m);
        }

        Assert.Equal(0, vmm.PageTablePages);
    }

    [Fact]
    public void Execute_allocates_nothing_and_flushes_once()
    {
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm();
        var pages = kit.Pages(600);
        var prep = vmm.Prepare(new MapRequest { Size = 600 * 4096UL, Va = new GpuVa(0x7FF_0000) });
        var allocations = kit.Gpu.Mm.Allocations;
        var flushes = kit.Gpu.Tlb.Flushes;
        var m = vmm.Execute(prep, pages);
        Assert.Equal(allocations, kit.Gpu.Mm.Allocations);
        Assert.Equal(flushes + 1, kit.Gpu.Tlb.Flushes);
        Assert.Throws<ArgumentException>(() => vmm.Execute(prep, pages));
        vmm.Unmap(m);
        Assert.Equal(flushes + 2, kit.Gpu.Tlb.Flushes);
    }

    [Fact]
    public void A_cancelled_preparation_returns_everything()
    {
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm();
        var snap = kit.Snapshot(vmm);
        var prep = vmm.Prepare(new MapRequest { Size = 5 * 4096, Va = new GpuVa(0x1234_5000) });
        Assert.True(prep.PtPagesAllocated > 0);
        prep.Dispose();
        Assert.Equal(snap, kit.Snapshot(vmm));
    }

    [Fact]
    public void Failure_at_every_page_table_allocation_rolls_back_completely()
    {
        foreach (var chip in new[] { "GA102", "GH100" })
        {
            var kit = new VmmTestKit(chip);
            using var vmm = kit.NewVmm();
            var pages = kit.Pages(3);
            vmm.Map(new MapRequest { Size = 4096, Va = new GpuVa(0x4000_0000) }, pages[..1]);
            var request = new MapRequest { Size = 2 * 4096, Va = new GpuVa((2UL << 40) - 0x1000) }; // straddles everything
            var needed = vmm.PageTablePagesNeeded(request.Va!.Value, request.Size, request.PageSize);
            Assert.True(needed >= 6, $"{needed} tables");
            for (var failAt = 0; failAt < needed; failAt++)
            {
                var snap = kit.Snapshot(vmm);
                var n = 0;
                kit.Gpu.Mm.FailAllocation = _ => n++ == failAt;
                var e = Assert.Throws<NovaMmException>(() => vmm.Map(request, pages[1..]));
                Assert.Equal(ErrorCode.NoMemory, e.Code);
                kit.Gpu.Mm.FailAllocation = null;
                Assert.Equal(snap, kit.Snapshot(vmm));
            }

            var ok = vmm.Map(request, pages[1..]);
            Assert.Equal(needed, ok.PtPagesAllocated);
        }
    }

    [Fact]
    public void The_rollback_snapshot_sees_a_leaked_page_and_a_changed_entry()
    {
        // Negative control for the rollback tests: the snapshot must notice what a broken rollback would leave.
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm();
        var snap = kit.Snapshot(vmm);
        var leaked = kit.Gpu.Mm.AllocatePage();
        Assert.NotEqual(snap, kit.Snapshot(vmm));
        kit.Gpu.Mm.Free(leaked);
        Assert.Equal(snap, kit.Snapshot(vmm));
        var old = kit.Hw.Vram.Read64(vmm.Pdb.Value);
        kit.Hw.Vram.Write64(vmm.Pdb.Value, 0x2);
        Assert.NotEqual(snap, kit.Snapshot(vmm));
        kit.Hw.Vram.Write64(vmm.Pdb.Value, old);
        var prep = vmm.Prepare(new MapRequest { Size = 4096, Va = new GpuVa(0x1000) });
        Assert.NotEqual(snap, kit.Snapshot(vmm));
        prep.Dispose();
        Assert.Equal(snap, kit.Snapshot(vmm));
    }

    [Fact]
    public void A_flush_timeout_during_map_or_unmap_rolls_back()
    {
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm();
        var pages = kit.Pages(2);
        var prep = vmm.Prepare(new MapRequest { Size = 2 * 4096, Va = new GpuVa(0x8000_0000) });
        var snap = kit.Snapshot(vmm);
        kit.Hw.VfPriv.InvalidateNeverCompletes = true;
        Assert.Equal(ErrorCode.TimedOut, Assert.Throws<NovaMmException>(() => vmm.Execute(prep, pages)).Code);
        kit.Hw.VfPriv.InvalidateNeverCompletes = false;
        Assert.Equal(snap, kit.Snapshot(vmm));
        var m = vmm.Execute(prep, pages);

        var mapped = kit.Snapshot(vmm);
        kit.Hw.VfPriv.InvalidateNeverCompletes = true;
        Assert.Equal(ErrorCode.TimedOut, Assert.Throws<NovaMmException>(() => vmm.Unmap(m)).Code);
        kit.Hw.VfPriv.InvalidateNeverCompletes = false;
        Assert.Equal(mapped, kit.Snapshot(vmm));
        Assert.Equal(pages[1].Value, vmm.ReadMapping(new GpuVa(0x8000_1000))!.Value.Value);
        vmm.Unmap(m);
    }

    [Fact]
    public void A_map_whose_flush_times_out_leaks_nothing()
    {
        var kit = new VmmTestKit();
        var free = kit.Gpu.Mm.FreeBytes;
        var vmm = kit.NewVmm();
        var pages = kit.Pages(1);
        var va = vmm.FreeVaBytes;
        kit.Hw.VfPriv.InvalidateNeverCompletes = true;
        Assert.Equal(ErrorCode.TimedOut, Assert.Throws<NovaMmException>(() => vmm.Map(new MapRequest { Size = 4096, Va = new GpuVa(0x5000) }, pages)).Code);
        kit.Hw.VfPriv.InvalidateNeverCompletes = false;
        Assert.Equal(va, vmm.FreeVaBytes); // the VA came back even though the tables could not be freed yet
        Assert.Empty(vmm.Mappings);
        var m = vmm.Map(new MapRequest { Size = 4096, Va = new GpuVa(0x5000) }, pages);
        Assert.Equal(0, m.PtPagesAllocated); // the tables left behind are reused
        vmm.Dispose();
        Assert.Equal(free - 4096, kit.Gpu.Mm.FreeBytes); // only the data page is still allocated
    }

    [Fact]
    public void Dispose_frees_every_table_and_the_root()
    {
        var kit = new VmmTestKit();
        var free = kit.Gpu.Mm.FreeBytes;
        var vmm = kit.NewVmm();
        var pages = kit.Pages(4);
        var afterPages = kit.Gpu.Mm.FreeBytes;
        vmm.Map(new MapRequest { Size = 4096, Va = new GpuVa(0) }, pages[..1]);
        vmm.Map(new MapRequest { Size = 3 * 4096, Va = new GpuVa(1UL << 45) }, pages[1..]);
        vmm.Dispose();
        Assert.Equal(afterPages + 4096, kit.Gpu.Mm.FreeBytes); // every table and the root
        Assert.Equal(free - (5 * 4096), afterPages);
        Assert.Throws<ObjectDisposedException>(() => vmm.Prepare(new MapRequest { Size = 4096 }));
    }

    [Fact]
    public void A_borrowed_root_is_left_clean()
    {
        var kit = new VmmTestKit();
        var vmm = new Vmm(kit.Gpu.Mm, new VmmOptions { Format = kit.Gpu.Chip.Format, Pdb = kit.Gpu.Bar1Pdb, VaEnd = 256UL << 20, HubTlbOnly = true });
        vmm.Map(new MapRequest { Size = 4096 }, kit.Pages(1));
        vmm.Dispose();
        for (ulong i = 0; i < 4096; i += 8)
        {
            Assert.Equal(0UL, kit.Hw.Vram.Read64(kit.Gpu.Bar1Pdb.Value + i));
        }
    }

    [Fact]
    public void A_preparation_racing_into_another_ones_plan_would_lose_a_mapping()
    {
        // Negative control for the concurrency test: force the interleaving that _prepareLock forbids across
        // threads (the lock is re-entrant, so the same thread gets in) and show the read-back check catches it.
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm();
        var pages = kit.Pages(2);
        Mapping? b = null;
        vmm.AfterPlanForTesting = () =>
        {
            vmm.AfterPlanForTesting = null;
            b = vmm.Map(new MapRequest { Size = 4096, Va = new GpuVa(0x4000_1000) }, pages[1..]);
        };
        vmm.Map(new MapRequest { Size = 4096, Va = new GpuVa(0x4000_0000) }, pages[..1]);
        Assert.NotNull(b);
        Assert.NotEqual(pages[1], vmm.ReadMapping(b.Va)); // B's tables were replaced by A's: the check sees it
    }

    [Fact]
    public void The_same_race_from_another_thread_waits_for_the_first_preparation()
    {
        var kit = new VmmTestKit();
        using var vmm = kit.NewVmm();
        var pages = kit.Pages(2);
        Mapping? b = null;
        Thread? other = null;
        vmm.AfterPlanForTesting = () =>
        {
            vmm.AfterPlanForTesting = null;
            other = new Thread(() => b = vmm.Map(new MapRequest { Size = 4096, Va = new GpuVa(0x4000_1000) }, pages[1..]));
            other.Start();
            Thread.Sleep(100); // B is now blocked on the preparation lock (or not yet started): it cannot get in
        };
        var a = vmm.Map(new MapRequest { Size = 4096, Va = new GpuVa(0x4000_0000) }, pages[..1]);
        other!.Join();
        Assert.Equal(pages[0], vmm.ReadMapping(a.Va));
        Assert.Equal(pages[1], vmm.ReadMapping(b!.Va));
    }

    [Fact]
    public void Eight_threads_share_one_vmm_and_one_gpumm()
    {
        var kit = new VmmTestKit();
        using var shared = kit.NewVmm();
        var others = Enumerable.Range(0, 3).Select(_ => kit.NewVmm()).ToArray();
        var pages = kit.Pages(64);
        Parallel.For(0, 8, t =>
        {
            var rnd = new Random(t);
            var vmm = t < 5 ? shared : others[t - 5];
            var mine = new List<Mapping>();
            for (var i = 0; i < 150; i++)
            {
                if (mine.Count > 0 && rnd.Next(3) == 0)
                {
                    var m = mine[rnd.Next(mine.Count)];
                    mine.Remove(m);
                    vmm.Unmap(m);
                    continue;
                }

                var n = rnd.Next(1, 5);
                var chosen = Enumerable.Range(0, n).Select(_ => pages[rnd.Next(pages.Length)]).ToArray();
                var mapping = vmm.Map(new MapRequest { Size = (ulong)n * 4096 }, chosen);
                mine.Add(mapping);
                for (var k = 0; k < n; k++)
                {
                    Assert.Equal(chosen[k].Value, vmm.ReadMapping(new GpuVa(mapping.Va.Value + ((ulong)k * 4096)))!.Value.Value);
                }
            }

            foreach (var m in mine)
            {
                vmm.Unmap(m);
            }
        });
        Assert.Equal(0, shared.PageTablePages);
        Assert.All(others, o => Assert.Equal(0, o.PageTablePages));
    }
}

public class WalkerPrecedenceTests
{
    [Theory]
    [InlineData("GA102", 0x8UL)]   // v2 sparse big PTE
    [InlineData("GA102", 0x20UL)]  // v2 "no valid 4 KiB page"
    [InlineData("GH100", 0x8UL)]   // v3 PCF SPARSE
    [InlineData("GH100", 0x18UL)]  // v3 PCF NO_VALID_4KB_PAGE
    public void A_sparse_or_no_small_pages_big_pte_hides_the_small_table_like_the_gmmu(string chip, ulong bigPte)
    {
        var kit = new VmmTestKit(chip);
        using var vmm = kit.NewVmm();
        var pages = kit.Pages(2);
        var small = vmm.Map(new MapRequest { Size = 4096, Va = new GpuVa(0x21_0000) }, pages[..1]);
        var big = vmm.Map(new MapRequest { Size = 64UL << 10, PageSize = 64UL << 10, Va = new GpuVa(0x22_0000) }, [kit.Pages(1, 64UL << 10)[0]]);

        // Overwrite the big PTE covering 0x21_0000 (index 1 of the big table) with the special encoding.
        var bigEntry = vmm.Walk(new GpuVa(0x22_0000)).Last.EntryAddress;
        var covering = new VramAddress(bigEntry.Value - 8);
        kit.Hw.Vram.Write64(covering.Value, bigPte);
        var w = vmm.Walk(new GpuVa(0x21_0000));
        Assert.Equal(PageTables.WalkStatus.Unmapped, w.Status);
        Assert.False(kit.Hw.Gmmu.Walk(vmm.Pdb.Value, vmm.Format, 0x21_0000, Hardware.Mmu.AccessType.Read, true).IsSuccess);

        // A plain invalid big PTE lets the small table decide, for both walkers.
        kit.Hw.Vram.Write64(covering.Value, 0);
        Assert.Equal(pages[0].Value, vmm.ReadMapping(new GpuVa(0x21_0000))!.Value.Value);
        Assert.Equal(pages[0].Value, kit.Hw.Gmmu.Walk(vmm.Pdb.Value, vmm.Format, 0x21_0000, Hardware.Mmu.AccessType.Read, true).Translation!.PhysicalAddress);
        vmm.Unmap(small);
        vmm.Unmap(big);
    }
}

public class SparseMappingTests
{
    [Theory]
    [InlineData("GA102", 4096UL)]
    [InlineData("GA102", 65536UL)]
    [InlineData("GA102", 2097152UL)]
    [InlineData("GH100", 4096UL)]
    [InlineData("GH100", 65536UL)]
    [InlineData("GB202", 2097152UL)]
    public void Sparse_ranges_read_zero_drop_writes_and_do_not_fault(string chip, ulong pageSize)
    {
        var kit = new VmmTestKit(chip);
        using var vmm = kit.NewVmm();
        var va = new GpuVa(pageSize * 64);
        var m = vmm.MapSparse(4 * pageSize, pageSize, va);
        Assert.True(m.IsSparse);
        Assert.Equal(4UL, m.PteCount);
        var walk = vmm.Walk(new GpuVa(va.Value + pageSize + 0x10));
        Assert.Equal(PageTables.WalkStatus.Unmapped, walk.Status);
        Assert.True(walk.Sparse);
        var t = kit.Hw.Gmmu.Translate(vmm.Pdb.Value, vmm.Format, va.Value + 0x10, Hardware.Mmu.AccessType.Read, false);
        Assert.Equal("sparse", t.Fault!.ReasonName);
        Assert.Equal(0, kit.Hw.Faults.Count); // sparse is not a fault
        vmm.Unmap(m);
        Assert.Equal(0, vmm.PageTablePages);
        Assert.Equal("invalid-pde", kit.Hw.Gmmu.Translate(vmm.Pdb.Value, vmm.Format, va.Value, Hardware.Mmu.AccessType.Read, false).Fault!.ReasonName);
    }

    [Fact]
    public void Sparse_through_bar1_reads_zero_and_drops_writes()
    {
        var kit = new VmmTestKit();
        var bar = kit.Gpu.BarUser.Vmm;
        var m = bar.MapSparse(8192, va: new GpuVa(0x10_0000));
        kit.Hw.Bar1.Write32(0x10_0004, 0xFFFF_FFFF);
        Assert.Equal(0u, kit.Hw.Bar1.Read32(0x10_0004));
        Assert.Equal(0, kit.Hw.Faults.Count);
        Assert.Throws<ArgumentException>(() => bar.Map(new MapRequest { Size = 4096, Sparse = true }, kit.Pages(1)));
        bar.Unmap(m);
    }
}
