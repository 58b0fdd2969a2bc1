using NovaMm.Hardware.Mmu;
using NovaMm.Hardware.Tests.Mmu;
using NovaMm.Spec.Chips;
using NovaMm.Spec.Device;
using NovaMm.Spec.PageTables;
using NovaMm.Spec.Registers;

namespace NovaMm.Hardware.Tests.Bar1;

public class Bar1ApertureTests
{
    private const ulong Arena = 0x10_0000;

    private static (SimulatedGpu Gpu, PageTreeBuilder Tree) Booted(string chip = "GA102", int polls = 2)
    {
        var gpu = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(chip), InvalidatePolls = polls });
        gpu.Gsp.Boot();
        var tree = new PageTreeBuilder(gpu.Vram, gpu.Chip.Format, gpu.GspModel.Layout.Bar1Pdb, Arena);
        return (gpu, tree);
    }

    private static void Invalidate(SimulatedGpu gpu, ulong pdb)
    {
        gpu.Bar0.Write(NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB.ForVram(pdb));
        gpu.Bar0.Write(NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB.ForAddress(pdb));
        gpu.Bar0.Write(new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(0).WithAllVa(true).WithTrigger(true));
        var polls = 0;
        while (gpu.Bar0.Read<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE>().Trigger)
        {
            Assert.True(++polls < 100);
        }
    }

    /// <summary>Binds BAR1 to <paramref name="ib"/> through the chip's bind registers and waits for the bind.</summary>
    private static void Bind(SimulatedGpu gpu, ulong ib)
    {
        if (gpu.Chip.Bar1Bind == Bar1BindKind.Bar1Block)
        {
            gpu.Bar0.Write(NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK.ForVramInstanceBlock(ib));
            while (gpu.Bar0.Read<NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS>().Bar1Busy)
            {
            }
        }
        else
        {
            gpu.Bar0.Write(NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR.ForVramInstanceBlock(ib));
            gpu.Bar0.Write(NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR.ForInstanceBlock(ib));
            while (gpu.Bar0.Read<NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR>().Busy)
            {
            }
        }
    }

    [Fact]
    public void Bar1_is_the_board_size_and_exposed_on_the_gpu()
    {
        var gpu = new SimulatedGpu(new SimulatedGpuOptions { Bar1Size = 1UL << 28 });
        Assert.Equal(1UL << 28, gpu.Bar1.Length);
        Assert.Same(gpu.Bar1Aperture, gpu.Bar1);
        Assert.Same(gpu.Faults, gpu.Gmmu.Faults);
        Assert.Same(gpu.Tlb, gpu.Gmmu.Tlb);
        Assert.False(Hardware.Bar1.Bar1Aperture.CpuAccessIsPrivileged);
    }

    [Fact]
    public void Unbound_bar1_reads_all_ones_and_logs_unbound_instance()
    {
        var gpu = new SimulatedGpu();
        Assert.Equal(0xFFFF_FFFFu, gpu.Bar1.Read32(0x1000));
        gpu.Bar1.Write32(0x1000, 1);
        var faults = gpu.Faults.Snapshot();
        Assert.Equal(2, faults.Count);
        Assert.All(faults, f => Assert.Equal(MmuFaultReason.UnboundInstance, f.Reason));
        Assert.All(faults, f => Assert.Equal(FaultSource.Bar1, f.Source));
        Assert.Equal([AccessType.Read, AccessType.Write], faults.Select(f => f.Access));
        Assert.Null(gpu.Bar1Aperture.CurrentPdb);
    }

    [Theory]
    [InlineData("GA102")]
    [InlineData("TU102")]
    [InlineData("GH100")]
    [InlineData("GB202")]
    public void After_gsp_boot_the_zeroed_root_makes_every_access_fault_with_all_ones(string chip)
    {
        var (gpu, _) = Booted(chip);
        Assert.Equal(gpu.GspModel.Layout.Bar1Pdb, gpu.Bar1Aperture.CurrentPdb);
        Assert.Equal(0xFFFF_FFFF_FFFF_FFFFUL, gpu.Bar1.Read64(0x20_0000));
        Assert.Equal(0xFF, gpu.Bar1.Read8(0x3));
        Assert.Equal(0xFFFF, gpu.Bar1.Read16(0x4));
        var f = gpu.Faults.Last!;
        Assert.Equal(MmuFaultReason.InvalidPde, f.Reason);
        Assert.Equal(gpu.Chip.Format.Root.Id, f.Level);
        Assert.Equal(gpu.GspModel.Layout.Bar1Pdb, f.Pdb);
        Assert.Equal(0x4UL, f.Va);
        Assert.Equal(3, gpu.Faults.Count);
        Assert.False(f.Privileged);
    }

    [Theory]
    [InlineData("GA102")]
    [InlineData("TU102")]
    [InlineData("GH100")]
    [InlineData("GB202")]
    public void Reads_and_writes_go_through_the_tables_under_the_gsp_root(string chip)
    {
        var (gpu, tree) = Booted(chip);
        const ulong page = 0x80_0000;
        tree.Map(0x1000, page, PageSize.Size4K);
        gpu.Vram.Write32(page + 0x100, 0xDEAD_BEEF);
        Assert.Equal(0xDEAD_BEEFu, gpu.Bar1.Read32(0x1100));
        gpu.Bar1.Write32(0x1200, 0xCAFE_BABE);
        Assert.Equal(0xCAFE_BABEu, gpu.Vram.Read32(page + 0x200));
        gpu.Bar1.Write64(0x1FF8, 0x0102_0304_0506_0708);
        Assert.Equal(0x0102_0304_0506_0708UL, gpu.Vram.Read64(page + 0xFF8));
        gpu.Bar1.Write16(0x1002, 0xBEEF);
        gpu.Bar1.Write8(0x1001, 0x42);
        Assert.Equal(0xBEEF_4200u, gpu.Vram.Read32(page) & 0xFFFF_FF00);
        Assert.Equal(0, gpu.Faults.Count);
    }

    [Fact]
    public void Writes_to_unmapped_pages_are_dropped_and_logged()
    {
        var (gpu, tree) = Booted();
        tree.Map(0x1000, 0x80_0000, PageSize.Size4K);
        gpu.Bar1.Write32(0x2000, 0x1234_5678);
        var f = gpu.Faults.Last!;
        Assert.Equal(MmuFaultReason.InvalidPte, f.Reason);
        Assert.Equal(PageTableLevel.Pt, f.Level);
        Assert.Equal(AccessType.Write, f.Access);
        Assert.Equal(0x2000UL, f.Va);
        Assert.Equal(1, gpu.Bar1Aperture.FaultedAccesses);
        Assert.Equal(0u, gpu.Vram.Read32(0x80_1000));
    }

    [Fact]
    public void Stale_tlb_serves_the_old_page_until_an_invalidate_through_the_registers()
    {
        var (gpu, tree) = Booted(polls: 3);
        var pdb = gpu.GspModel.Layout.Bar1Pdb;
        gpu.Vram.Write32(0x80_0000, 0xAAAA_AAAA);
        gpu.Vram.Write32(0x90_0000, 0xBBBB_BBBB);
        tree.Map(0x5000, 0x80_0000, PageSize.Size4K);
        Assert.Equal(0xAAAA_AAAAu, gpu.Bar1.Read32(0x5000));

        tree.Map(0x5000, 0x90_0000, PageSize.Size4K); // page-table write only: the TLB does not see it
        Assert.Equal(0xAAAA_AAAAu, gpu.Bar1.Read32(0x5000));
        gpu.Bar1.Write32(0x5004, 0x1111_1111);
        Assert.Equal(0x1111_1111u, gpu.Vram.Read32(0x80_0004));

        // An invalidate of another PDB does not help.
        Invalidate(gpu, 0x7000_0000);
        Assert.Equal(0xAAAA_AAAAu, gpu.Bar1.Read32(0x5000));

        Invalidate(gpu, pdb);
        Assert.Equal(0xBBBB_BBBBu, gpu.Bar1.Read32(0x5000));
        Assert.Equal(0, gpu.Faults.Count);
    }

    [Fact]
    public void Unmapping_without_a_flush_keeps_the_page_reachable()
    {
        var (gpu, tree) = Booted();
        tree.Map(0x5000, 0x80_0000, PageSize.Size4K);
        gpu.Bar1.Write32(0x5000, 7);
        tree.WriteRaw(0x5000, PageTableLevel.Pt, 0);
        Assert.Equal(7u, gpu.Bar1.Read32(0x5000));
        Invalidate(gpu, gpu.GspModel.Layout.Bar1Pdb);
        Assert.Equal(0xFFFF_FFFFu, gpu.Bar1.Read32(0x5000));
        Assert.Equal(MmuFaultReason.InvalidPte, gpu.Faults.Last!.Reason);
    }

    [Fact]
    public void Bulk_accesses_translate_page_by_page_across_an_unmapped_page()
    {
        var (gpu, tree) = Booted();
        tree.Map(0x10000, 0x80_0000, PageSize.Size4K);
        tree.Map(0x12000, 0x80_2000, PageSize.Size4K); // 0x11000 is not mapped
        gpu.Vram.Fill(0x80_0000, 0x3000, 0x5A);

        var buffer = new byte[0x2000];
        gpu.Bar1.ReadBlock(0x10800, buffer);
        Assert.All(buffer[..0x800], b => Assert.Equal(0x5A, b));
        Assert.All(buffer[0x800..0x1800], b => Assert.Equal(0xFF, b));
        Assert.All(buffer[0x1800..], b => Assert.Equal(0x5A, b));
        var fault = Assert.Single(gpu.Faults.Snapshot());
        Assert.Equal(0x11000UL, fault.Va);
        Assert.Equal(MmuFaultReason.InvalidPte, fault.Reason);

        var data = Enumerable.Range(0, 0x2000).Select(i => (byte)i).ToArray();
        gpu.Bar1.WriteBlock(0x10800, data);
        var back = new byte[0x3000];
        gpu.Vram.Read(0x80_0000, back);
        Assert.Equal(data[..0x800], back[0x800..0x1000]);
        Assert.All(back[0x1000..0x2000], b => Assert.Equal(0x5A, b)); // the unmapped page's would-be frame is untouched
        Assert.Equal(data[0x1800..], back[0x2000..0x2800]);

        gpu.Bar1.Fill(0x10000, 0x3000, 0xC3);
        gpu.Vram.Read(0x80_0000, back);
        Assert.All(back[..0x1000], b => Assert.Equal(0xC3, b));
        Assert.All(back[0x1000..0x2000], b => Assert.Equal(0x5A, b));
        Assert.All(back[0x2000..], b => Assert.Equal(0xC3, b));
        Assert.Equal([0x11000UL, 0x11000UL, 0x11000UL], gpu.Faults.Snapshot().Select(f => f.Va));
        Assert.Equal([AccessType.Read, AccessType.Write, AccessType.Write], gpu.Faults.Snapshot().Select(f => f.Access));
    }

    [Fact]
    public void Bulk_access_through_large_pages_spans_them_in_one_piece()
    {
        var (gpu, tree) = Booted();
        tree.Map(0x20_0000, 0x40_0000, PageSize.Size2M);
        var data = Enumerable.Range(0, 0x10000).Select(i => (byte)(i * 7)).ToArray();
        gpu.Bar1.WriteBlock(0x20_8000, data);
        var back = new byte[data.Length];
        gpu.Vram.Read(0x40_8000, back);
        Assert.Equal(data, back);
        Assert.Equal(1, gpu.Tlb.Count);
    }

    [Fact]
    public void Sparse_pages_read_zero_and_drop_writes_without_a_fault()
    {
        var (gpu, tree) = Booted();
        tree.WriteRaw(0x3000, PageTableLevel.Pt, tree.SparsePte);
        Assert.Equal(0UL, gpu.Bar1.Read64(0x3000));
        gpu.Bar1.Write64(0x3000, 0x55);
        Assert.Equal(0, gpu.Faults.Count);
        Assert.Equal(2, gpu.Bar1Aperture.SparseAccesses);
    }

    [Fact]
    public void Read_only_bar1_page_drops_writes_with_a_read_only_fault()
    {
        var (gpu, tree) = Booted();
        tree.Map(0x3000, 0x80_0000, PageSize.Size4K, new PteSpec(ReadOnly: true));
        gpu.Vram.Write32(0x80_0000, 99);
        Assert.Equal(99u, gpu.Bar1.Read32(0x3000));
        gpu.Bar1.Write32(0x3000, 1);
        Assert.Equal(99u, gpu.Vram.Read32(0x80_0000));
        Assert.Equal(MmuFaultReason.ReadOnly, gpu.Faults.Last!.Reason);
    }

    [Fact]
    public void Privileged_bar1_page_faults_because_cpu_accesses_are_not_privileged()
    {
        var (gpu, tree) = Booted();
        tree.Map(0x3000, 0x80_0000, PageSize.Size4K, new PteSpec(Privileged: true));
        Assert.Equal(0xFFFF_FFFFu, gpu.Bar1.Read32(0x3000));
        Assert.Equal(MmuFaultReason.Privilege, gpu.Faults.Last!.Reason);
    }

    [Fact]
    public void Peer_sysmem_and_beyond_vram_translations_complete_like_faults()
    {
        var (gpu, tree) = Booted();
        tree.WriteRaw(0x1000, PageTableLevel.Pt, tree.SysmemPte(0x1_0000_0000));
        tree.WriteRaw(0x2000, PageTableLevel.Pt, tree.PeerPte(1, 0x10_0000));
        tree.Map(0x3000, gpu.Vram.Size, PageSize.Size4K);
        Assert.Equal(0xFFFF_FFFFu, gpu.Bar1.Read32(0x1000));
        Assert.Equal(0xFFFF_FFFFu, gpu.Bar1.Read32(0x2000));
        gpu.Bar1.Write32(0x3000, 5);
        Assert.Equal(
            [MmuFaultReason.SysmemNotModelled, MmuFaultReason.PeerNotModelled, MmuFaultReason.VramOutOfRange],
            gpu.Faults.Snapshot().Select(f => f.Reason));
        Assert.All(gpu.Faults.Snapshot(), f => Assert.Equal(PageTableLevel.Pt, f.Level));
        Assert.True(gpu.Bar1Aperture.Translate(0x1000, AccessType.Read).IsSuccess);
    }

    [Fact]
    public void Out_of_bar_and_misaligned_accesses_throw()
    {
        var (gpu, _) = Booted();
        var len = gpu.Bar1.Length;
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.Bar1.Read32(len));
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.Bar1.Write64(len - 4, 0));
        Assert.Throws<ArgumentException>(() => gpu.Bar1.Read32(0x1002));
        Assert.Throws<ArgumentException>(() => gpu.Bar1.Write16(0x1001, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.Bar1.ReadBlock(len - 8, new byte[16]));
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.Bar1.Fill(len, 1, 0));
        Assert.Equal(0, gpu.Faults.Count);
    }

    [Fact]
    public void Instance_block_with_invalid_target_or_128k_big_pages_is_unbound()
    {
        var (gpu, _) = Booted();
        var ib = gpu.GspModel.Layout.Bar1InstanceBlock;
        var pdb = PageDirectoryBase.ForVram(new Spec.Addresses.VramAddress(gpu.GspModel.Layout.Bar1Pdb), bigPageSize64K: false);
        gpu.Vram.Write32(ib + InstanceBlock.PageDirBaseLoOffset, pdb.Lo);
        Bind(gpu, ib); // the bind latches the PDB words
        gpu.Bar1.Read32(0);
        Assert.Equal(MmuFaultReason.UnboundInstance, gpu.Faults.Last!.Reason);
        gpu.Vram.Write32(ib + InstanceBlock.PageDirBaseLoOffset, PageDirectoryBase.Invalid.Lo);
        Bind(gpu, ib);
        gpu.Bar1.Read32(0);
        Assert.Equal(MmuFaultReason.UnboundInstance, gpu.Faults.Last!.Reason);
        gpu.Vram.Write32(ib + InstanceBlock.PageDirBaseLoOffset, PageDirectoryBase.ForSysmem(0x1000).Lo);
        Bind(gpu, ib);
        gpu.Bar1.Read32(0);
        Assert.Equal(MmuFaultReason.SysmemNotModelled, gpu.Faults.Last!.Reason);
        Assert.Null(gpu.Bar1Aperture.CurrentPdb);
    }

    [Fact]
    public void V3_chip_accepts_either_value_of_the_ver2_bit()
    {
        var (gpu, tree) = Booted("GH100");
        var ib = gpu.GspModel.Layout.Bar1InstanceBlock;
        tree.Map(0x1000, 0x80_0000, PageSize.Size4K);
        foreach (var ver2 in new[] { false, true })
        {
            var pdb = PageDirectoryBase.ForVram(new Spec.Addresses.VramAddress(gpu.GspModel.Layout.Bar1Pdb), useVer2PtFormat: ver2);
            gpu.Vram.Write32(ib + InstanceBlock.PageDirBaseLoOffset, pdb.Lo);
            Bind(gpu, ib);
            Assert.Equal(gpu.GspModel.Layout.Bar1Pdb, gpu.Bar1Aperture.CurrentPdb);
            gpu.Bar1.Write32(0x1000, 3);
        }

        Assert.Equal(0, gpu.Faults.Count);
    }

    [Fact]
    public void Same_commands_give_the_same_faults_and_bytes()
    {
        static string Run()
        {
            var (gpu, tree) = Booted();
            tree.Map(0x1000, 0x80_0000, PageSize.Size4K);
            gpu.Bar1.Write32(0x1000, 0xABCD);
            gpu.Bar1.Read32(0x2000);
            gpu.Bar1.Read32(0x40_0000);
            return string.Join("\n", gpu.Faults.Snapshot()) + gpu.Bar1.Read32(0x1000);
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Rebinding_bar1_switches_the_address_space_at_the_next_access()
    {
        var (gpu, tree) = Booted();
        tree.Map(0x1000, 0x80_0000, PageSize.Size4K);
        gpu.Vram.Write32(0x80_0000, 1);
        gpu.Vram.Write32(0x90_0000, 2);
        Assert.Equal(1u, gpu.Bar1.Read32(0x1000));

        const ulong ib = 0x40_0000;
        const ulong root = 0x40_1000;
        var pdb = PageDirectoryBase.ForVram(new Spec.Addresses.VramAddress(root));
        gpu.Vram.Write32(ib + InstanceBlock.PageDirBaseLoOffset, pdb.Lo);
        gpu.Vram.Write32(ib + InstanceBlock.PageDirBaseHiOffset, pdb.Hi);
        new PageTreeBuilder(gpu.Vram, gpu.Chip.Format, root, 0x50_0000).Map(0x1000, 0x90_0000, PageSize.Size4K);
        gpu.Bar0.Write(NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK.ForVramInstanceBlock(ib));
        while (gpu.Bar0.Read<NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS>().Bar1Busy)
        {
        }

        Assert.Equal(root, gpu.Bar1Aperture.CurrentPdb);
        Assert.Equal(2u, gpu.Bar1.Read32(0x1000));
        Assert.Equal(0, gpu.Faults.Count);
    }

    [Fact]
    public void Concurrent_bar1_accesses_keep_data_and_fault_counts_consistent()
    {
        var (gpu, tree) = Booted();
        for (ulong i = 0; i < 8; i++)
        {
            tree.Map(0x10_0000 + (i * 0x2000), 0x80_0000 + (i * 0x1000), PageSize.Size4K); // odd pages stay unmapped
        }

        Parallel.For(0, 8, new ParallelOptions { CancellationToken = TestContext.Current.CancellationToken }, t =>
        {
            var mapped = 0x10_0000 + ((ulong)t * 0x2000);
            for (uint k = 0; k < 100; k++)
            {
                gpu.Bar1.Write32(mapped + ((k % 1024) * 4), k);
                Assert.Equal(k, gpu.Bar1.Read32(mapped + ((k % 1024) * 4)));
                Assert.Equal(0xFFFF_FFFFu, gpu.Bar1.Read32(mapped + 0x1000));
            }
        });

        Assert.Equal(800, gpu.Faults.Count);
        Assert.Equal(800, gpu.Bar1Aperture.FaultedAccesses);
        Assert.Equal(Enumerable.Range(1, 800).Select(i => (long)i), gpu.Faults.Snapshot().Select(f => f.Sequence).Order());
    }

    [Theory]
    [InlineData("GA102")]
    [InlineData("GH100")]
    public void Pdb_words_changed_in_vram_take_effect_only_at_the_next_bind(string chip)
    {
        var (gpu, tree) = Booted(chip);
        tree.Map(0x1000, 0x80_0000, PageSize.Size4K);
        gpu.Vram.Write32(0x80_0000, 1);
        var ib = gpu.GspModel.Layout.Bar1InstanceBlock;
        var oldRoot = gpu.GspModel.Layout.Bar1Pdb;

        // Point the bound instance block at another root, without a bind: BAR1 keeps the root it latched.
        const ulong root = 0x40_1000;
        new PageTreeBuilder(gpu.Vram, gpu.Chip.Format, root, 0x50_0000).Map(0x1000, 0x90_0000, PageSize.Size4K);
        gpu.Vram.Write32(0x90_0000, 2);
        var pdb = PageDirectoryBase.ForVram(new Spec.Addresses.VramAddress(root), useVer2PtFormat: gpu.Chip.MmuVersion == 2);
        gpu.Vram.Write32(ib + InstanceBlock.PageDirBaseLoOffset, pdb.Lo);
        gpu.Vram.Write32(ib + InstanceBlock.PageDirBaseHiOffset, pdb.Hi);
        Assert.Equal(oldRoot, gpu.Bar1Aperture.CurrentPdb);
        Assert.Equal(1u, gpu.Bar1.Read32(0x1000));

        // Even invalid words do not unbind it.
        gpu.Vram.Write32(ib + InstanceBlock.PageDirBaseLoOffset, PageDirectoryBase.Invalid.Lo);
        Assert.Equal(1u, gpu.Bar1.Read32(0x1000));
        Assert.Equal(0, gpu.Faults.Count);

        // A bind of the same instance block fetches the words again.
        gpu.Vram.Write32(ib + InstanceBlock.PageDirBaseLoOffset, pdb.Lo);
        Bind(gpu, ib);
        Assert.Equal(root, gpu.Bar1Aperture.CurrentPdb);
        Assert.Equal(new Hardware.Units.Bar1Binding(ib, root, null), gpu.VfPriv.Bar1Binding);
        Assert.Equal(2u, gpu.Bar1.Read32(0x1000));
        Assert.Equal(0, gpu.Faults.Count);
    }

    [Fact]
    public void A_bind_to_an_instance_block_that_names_no_pdb_faults_until_a_rebind_even_if_the_words_are_fixed()
    {
        var (gpu, tree) = Booted();
        tree.Map(0x1000, 0x80_0000, PageSize.Size4K);
        const ulong ib = 0x40_0000; // zero: PDB target INVALID
        Bind(gpu, ib);
        Assert.Equal(new Hardware.Units.Bar1Binding(ib, 0, MmuFaultReason.UnboundInstance), gpu.VfPriv.Bar1Binding);
        Assert.Equal(0xFFFF_FFFFu, gpu.Bar1.Read32(0x1000));
        var pdb = PageDirectoryBase.ForVram(new Spec.Addresses.VramAddress(gpu.GspModel.Layout.Bar1Pdb));
        gpu.Vram.Write32(ib + InstanceBlock.PageDirBaseLoOffset, pdb.Lo);
        gpu.Vram.Write32(ib + InstanceBlock.PageDirBaseHiOffset, pdb.Hi);
        Assert.Equal(0xFFFF_FFFFu, gpu.Bar1.Read32(0x1000));
        Assert.Equal([MmuFaultReason.UnboundInstance, MmuFaultReason.UnboundInstance], gpu.Faults.Snapshot().Select(f => f.Reason));
        Bind(gpu, ib);
        Assert.Equal(0u, gpu.Bar1.Read32(0x1000));
        Assert.Equal(2, gpu.Faults.Count);
    }

    [Fact]
    public void A_bind_in_physical_mode_unbinds()
    {
        var (gpu, _) = Booted();
        gpu.Bar0.Write(new NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK(0));
        Assert.Null(gpu.VfPriv.Bar1Binding);
        Assert.Null(gpu.Bar1Aperture.CurrentPdb);
        Assert.Equal(0xFFFF_FFFFu, gpu.Bar1.Read32(0x1000));
        Assert.Equal(MmuFaultReason.UnboundInstance, gpu.Faults.Last!.Reason);
    }

    [Fact]
    public void Bulk_access_over_contiguous_pages_counts_one_tlb_hit_per_page_and_stops_runs_at_discontinuities()
    {
        var (gpu, tree) = Booted();
        for (ulong p = 0; p < 8; p++)
        {
            // Pages 0-3 contiguous, 4-7 contiguous elsewhere, in reverse frame order in the middle.
            var pa = p < 4 ? 0x80_0000 + (p * 0x1000) : 0x90_0000 + ((7 - p) * 0x1000);
            tree.Map(0x10_0000 + (p * 0x1000), pa, PageSize.Size4K);
        }

        var data = Enumerable.Range(0, 0x8000).Select(i => (byte)(i * 13)).ToArray();
        gpu.Bar1.WriteBlock(0x10_0000, data); // 8 misses, 8 walks
        Assert.Equal(8, gpu.Tlb.Misses);
        var back = new byte[0x8000];
        gpu.Bar1.ReadBlock(0x10_0000, back); // 8 hits
        Assert.Equal(data, back);
        Assert.Equal(8, gpu.Tlb.Hits);
        Assert.Equal(8, gpu.Gmmu.Walks);
        for (ulong p = 0; p < 8; p++)
        {
            var pa = p < 4 ? 0x80_0000 + (p * 0x1000) : 0x90_0000 + ((7 - p) * 0x1000);
            var page = new byte[0x1000];
            gpu.Vram.Read(pa, page);
            Assert.Equal(data.AsSpan((int)p * 0x1000, 0x1000).ToArray(), page);
        }

        var odd = new byte[0x2801];
        gpu.Bar1.ReadBlock(0x10_2FFF, odd);
        Assert.Equal(data.AsSpan(0x2FFF, 0x2801).ToArray(), odd);
        Assert.Equal(0, gpu.Faults.Count);
    }

    [Fact]
    public void Bulk_access_after_a_cached_page_goes_read_only_faults_only_the_denied_writes()
    {
        var (gpu, tree) = Booted();
        tree.Map(0x1000, 0x80_0000, PageSize.Size4K);
        tree.Map(0x2000, 0x80_1000, PageSize.Size4K, new PteSpec(ReadOnly: true));
        tree.Map(0x3000, 0x80_2000, PageSize.Size4K);
        var buffer = new byte[0x3000];
        gpu.Bar1.ReadBlock(0x1000, buffer); // all three cached
        gpu.Bar1.WriteBlock(0x1000, Enumerable.Repeat((byte)0x77, 0x3000).ToArray());
        var back = new byte[0x3000];
        gpu.Vram.Read(0x80_0000, back);
        Assert.All(back[..0x1000], b => Assert.Equal(0x77, b));
        Assert.All(back[0x1000..0x2000], b => Assert.Equal(0, b));
        Assert.All(back[0x2000..], b => Assert.Equal(0x77, b));
        var fault = Assert.Single(gpu.Faults.Snapshot());
        Assert.Equal((0x2000UL, MmuFaultReason.ReadOnly, AccessType.Write), (fault.Va, fault.Reason, fault.Access));
    }
}
