using NovaMm.Hardware.Mmu;
using NovaMm.Spec.PageTables;

namespace NovaMm.Hardware.Tests.Mmu;

public class GmmuTranslateTests
{
    public static TheoryData<string, ulong, ulong> PageCases()
    {
        var data = new TheoryData<string, ulong, ulong>();
        foreach (var format in MmuFormat.All)
        {
            ulong[] points = [0, 0x1FFF_F000, 0x2000_0000, 0x1_0000_0000, 0x8000_0000_0000, format.VaLimit - 1];
            foreach (var size in format.PageSizes)
            {
                foreach (var p in points)
                {
                    data.Add(format.Name, size, p);
                }
            }
        }

        return data;
    }

    private static ulong PhysicalBase(ulong size) => size switch
    {
        PageSize.Size4K => 0x1234_5000,
        PageSize.Size64K => 0x2345_0000,
        PageSize.Size2M => 0x4020_0000,
        PageSize.Size512M => 0x6000_0000,
        _ => 0x40_0000_0000,
    };

    private static MmuFormat Named(string name) => MmuFormat.All.Single(f => f.Name == name);

    [Theory]
    [MemberData(nameof(PageCases))]
    public void Every_page_size_translates_at_the_bottom_middle_and_top_of_the_va_space(string formatName, ulong size, ulong point)
    {
        var rig = new GmmuRig(Named(formatName));
        var page = point & ~(size - 1);
        var pa = PhysicalBase(size);
        rig.Tree.Map(page, pa, size, new PteSpec(Kind: 6));
        var va = page + (size / 2) + 0x18;

        var first = rig.Translate(va);
        Assert.True(first.IsSuccess, first.ToString());
        var t = first.Translation!;
        Assert.Equal(pa + (size / 2) + 0x18, t.PhysicalAddress);
        Assert.Equal(size, t.PageSize);
        Assert.Equal(PteAperture.Video, t.Aperture);
        Assert.Equal(6, t.Kind);
        Assert.Equal(rig.Format.LevelForPageSize(size).Id, t.Level);
        Assert.False(t.TlbHit);
        Assert.Equal(pa, t.PageBase);

        var second = rig.Translate(va + 8, AccessType.Write);
        Assert.True(second.Translation!.TlbHit);
        Assert.Equal(pa + (size / 2) + 0x20, second.Translation.PhysicalAddress);
        Assert.Equal(1, rig.Gmmu.Walks);
        Assert.Equal(0, rig.Faults.Count);
    }

    [Fact]
    public void Walk_reads_the_golden_indices_of_the_documented_va_split()
    {
        // docs/page-tables.md, Golden vectors: VER2 VA 0x1_A5F3_C9B7_E123 -> PD3 3, PD2 0x097, PD1 0x19E, PD0 0x4D, PT 0x17E (offset 0x123).
        var rig = new GmmuRig(MmuFormat.V2Ampere);
        const ulong va = 0x1_A5F3_C9B7_E123;
        rig.Tree.Map(va & ~0xFFFUL, 0x1234_5000, PageSize.Size4K);
        var r = rig.Gmmu.Walk(GmmuRig.Root, rig.Format, va, AccessType.Read, false);
        Assert.Equal(0x1234_5123UL, r.Translation!.PhysicalAddress);
        Assert.Equal([PageTableLevel.Pd3, PageTableLevel.Pd2, PageTableLevel.Pd1, PageTableLevel.Pd0, PageTableLevel.Pt], r.Steps.Select(s => s.Level));
        Assert.Equal(GmmuRig.Root + (3 * 8), r.Steps[0].EntryAddress);
        int[] indices = [3, 0x097, 0x19E, 0x4D, 0x17E];
        int[] sizes = [8, 8, 8, 16, 8];
        for (var i = 1; i < 5; i++)
        {
            Assert.Equal(indices[i] * sizes[i], (int)(r.Steps[i].EntryAddress & 0xFFF));
        }

        Assert.Equal(0, rig.Tlb.Count);
        Assert.Equal(0, rig.Faults.Count);
    }

    [Fact]
    public void Walk_reads_the_golden_indices_of_the_v3_va_split()
    {
        // docs/page-tables.md, Golden vectors: VER3 VA 0x1AB_A5F3_C9B7_E123 -> PD4 1, PD3 0x157, PD2 0x097, PD1 0x19E, PD0 0x4D, PT 0x17E.
        var rig = new GmmuRig(MmuFormat.V3Hopper);
        const ulong va = 0x1AB_A5F3_C9B7_E123;
        rig.Tree.Map(va & ~0xFFFUL, 0x1234_5000, PageSize.Size4K);
        var r = rig.Gmmu.Walk(GmmuRig.Root, rig.Format, va, AccessType.Read, false);
        Assert.Equal(0x1234_5123UL, r.Translation!.PhysicalAddress);
        int[] indices = [1, 0x157, 0x097, 0x19E, 0x4D, 0x17E];
        int[] sizes = [8, 8, 8, 8, 16, 8];
        Assert.Equal(6, r.Steps.Count);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(indices[i] * sizes[i], (int)(r.Steps[i].EntryAddress & 0xFFF));
        }
    }

    [Theory]
    [InlineData("V2Turing")]
    [InlineData("V3Hopper")]
    public void A_pte_in_a_level_that_cannot_hold_one_is_a_pde_size_fault(string formatName)
    {
        var rig = new GmmuRig(Named(formatName));
        var (level, size) = formatName == "V2Turing" ? (PageTableLevel.Pd1, PageSize.Size512M) : (PageTableLevel.Pd2, PageSize.Size256G);
        Assert.Throws<ArgumentException>(() => rig.Format.LevelForPageSize(size));
        var pte = rig.Tree.VramPte(0);
        var entry = rig.Tree.WriteRaw(0x40_0000_0000, level, pte);
        var r = rig.Translate(0x40_0000_1000);
        Assert.Equal(MmuFaultReason.PdeSize, r.Fault!.Reason);
        Assert.Equal(level, r.Fault.Level);
        Assert.Equal(entry, r.Fault.EntryAddress);
        Assert.Equal("pde-size", r.Fault.ReasonName);
        Assert.Equal(1, rig.Faults.Count);
    }

    [Theory]
    [InlineData("V2Ampere")]
    [InlineData("V3Blackwell")]
    public void Empty_root_is_an_invalid_pde_at_the_root(string formatName)
    {
        var rig = new GmmuRig(Named(formatName));
        var r = rig.Translate(0x1000, AccessType.Write);
        Assert.False(r.IsSuccess);
        var f = r.Fault!;
        Assert.Equal(MmuFaultReason.InvalidPde, f.Reason);
        Assert.Equal(rig.Format.Root.Id, f.Level);
        Assert.Equal(AccessType.Write, f.Access);
        Assert.Equal(GmmuRig.Root, f.Pdb);
        Assert.Equal(0x1000UL, f.Va);
        Assert.Equal(GmmuRig.Root, f.EntryAddress);
        Assert.Equal(f, rig.Faults.Last);
        Assert.Equal(1, rig.Faults.Last!.Sequence);
        Assert.Single(r.Steps);
    }

    [Theory]
    [InlineData("V2Turing")]
    [InlineData("V3Blackwell")]
    public void Va_at_the_format_limit_is_out_of_range(string formatName)
    {
        var rig = new GmmuRig(Named(formatName));
        var r = rig.Translate(rig.Format.VaLimit);
        Assert.Equal(MmuFaultReason.VaOutOfRange, r.Fault!.Reason);
        Assert.Null(r.Fault.Level);
        Assert.Equal(0x3, r.Fault.Reason.HardwareFaultType());
        Assert.Equal(1, rig.Faults.Count);
        Assert.Equal(0, rig.Gmmu.Walks);
    }

    [Theory]
    [InlineData("V2Ampere")]
    [InlineData("V3Hopper")]
    public void Valid_big_pte_wins_over_a_valid_small_pte(string formatName)
    {
        var rig = new GmmuRig(Named(formatName));
        rig.Tree.Map(0x20_0000, 0x5000_0000, PageSize.Size64K);
        rig.Tree.Map(0x20_3000, 0x7000_3000, PageSize.Size4K);
        var r = rig.Translate(0x20_3010);
        Assert.Equal(0x5000_3010UL, r.Translation!.PhysicalAddress);
        Assert.Equal(PageSize.Size64K, r.Translation.PageSize);
        Assert.Equal(PageTableLevel.PtBig, r.Translation.Level);
    }

    [Theory]
    [InlineData("V2Ampere")]
    [InlineData("V3Hopper")]
    public void No_valid_4k_page_big_pte_stops_the_walk_before_the_small_ptes(string formatName)
    {
        var rig = new GmmuRig(Named(formatName));
        var big = rig.Tree.WriteRaw(0x20_0000, PageTableLevel.PtBig, rig.Tree.NoValidSmallPagesPte);
        rig.Tree.Map(0x20_3000, 0x7000_3000, PageSize.Size4K);
        Assert.Equal(rig.Tree.IsV3 ? 0x18UL : 0x20UL, rig.Tree.NoValidSmallPagesPte);
        var r = rig.Translate(0x20_3010);
        Assert.Equal(MmuFaultReason.NoValid4KPage, r.Fault!.Reason);
        Assert.Equal("no-valid-4k-page", r.Fault.ReasonName);
        Assert.Equal(PageTableLevel.PtBig, r.Fault.Level);
        Assert.Equal(big, r.Fault.EntryAddress);
        Assert.DoesNotContain(r.Steps, s => s.Level == PageTableLevel.Pt);
    }

    [Theory]
    [InlineData("V2Ampere")]
    [InlineData("V3Hopper")]
    public void Plain_invalid_big_pte_lets_the_small_pte_decide(string formatName)
    {
        var rig = new GmmuRig(Named(formatName));
        rig.Tree.WriteRaw(0x20_0000, PageTableLevel.PtBig, 0);
        rig.Tree.Map(0x20_3000, 0x7000_3000, PageSize.Size4K);
        var ok = rig.Translate(0x20_3010);
        Assert.Equal(0x7000_3010UL, ok.Translation!.PhysicalAddress);
        Assert.Equal(PageSize.Size4K, ok.Translation.PageSize);
        Assert.Contains(ok.Steps, s => s.Level == PageTableLevel.PtBig);

        var missing = rig.Translate(0x20_4000);
        Assert.Equal(MmuFaultReason.InvalidPte, missing.Fault!.Reason);
        Assert.Equal(PageTableLevel.Pt, missing.Fault.Level);
    }

    [Theory]
    [InlineData("V2Ampere")]
    [InlineData("V3Hopper")]
    public void Sparse_big_pte_stops_the_walk_without_a_fault(string formatName)
    {
        var rig = new GmmuRig(Named(formatName));
        rig.Tree.WriteRaw(0x20_0000, PageTableLevel.PtBig, rig.Tree.SparsePte);
        rig.Tree.Map(0x20_3000, 0x7000_3000, PageSize.Size4K);
        var r = rig.Translate(0x20_3010);
        Assert.Equal(MmuFaultReason.Sparse, r.Fault!.Reason);
        Assert.Equal(PageTableLevel.PtBig, r.Fault.Level);
        Assert.Equal(0, rig.Faults.Count);
        Assert.Equal(1, rig.Gmmu.SparseAccesses);
        Assert.Equal(0, rig.Tlb.Count);
    }

    [Theory]
    [InlineData("V2Ampere")]
    [InlineData("V3Hopper")]
    public void Big_pt_without_small_pt_and_invalid_big_pte_is_an_invalid_pte(string formatName)
    {
        var rig = new GmmuRig(Named(formatName));
        rig.Tree.WriteRaw(0x20_0000, PageTableLevel.PtBig, 0);
        var r = rig.Translate(0x20_3010);
        Assert.Equal(MmuFaultReason.InvalidPte, r.Fault!.Reason);
        Assert.Equal(PageTableLevel.PtBig, r.Fault.Level);
    }

    [Theory]
    [InlineData("V2Ampere", PageTableLevel.Pt)]
    [InlineData("V2Ampere", PageTableLevel.Pd0)]
    [InlineData("V2Ampere", PageTableLevel.Pd1)]
    [InlineData("V2Ampere", PageTableLevel.Pd2)]
    [InlineData("V3Blackwell", PageTableLevel.Pt)]
    [InlineData("V3Blackwell", PageTableLevel.Pd0)]
    [InlineData("V3Blackwell", PageTableLevel.Pd1)]
    [InlineData("V3Blackwell", PageTableLevel.Pd3)]
    public void Sparse_entries_are_not_faults(string formatName, PageTableLevel level)
    {
        var rig = new GmmuRig(Named(formatName));
        if (level == PageTableLevel.Pt)
        {
            rig.Tree.WriteRaw(0x4000_0000, level, rig.Tree.SparsePte);
        }
        else if (level == PageTableLevel.Pd0)
        {
            var (lo, hi) = rig.Tree.SparseDual;
            rig.Tree.WriteRaw(0x4000_0000, level, lo, hi);
        }
        else
        {
            rig.Tree.WriteRaw(0x4000_0000, level, rig.Tree.SparsePde);
        }

        var r = rig.Translate(0x4000_0000, AccessType.Write);
        Assert.Equal(MmuFaultReason.Sparse, r.Fault!.Reason);
        Assert.Equal(level, r.Fault.Level);
        Assert.False(r.Fault.Reason.IsFault());
        Assert.Equal(0, rig.Faults.Count);
    }

    [Theory]
    [InlineData("V2Turing")]
    [InlineData("V3Hopper")]
    public void Read_only_pages_fault_writes_and_atomics(string formatName)
    {
        var rig = new GmmuRig(Named(formatName));
        rig.Tree.Map(0x1000, 0x9000, PageSize.Size4K, new PteSpec(ReadOnly: true));
        Assert.True(rig.Translate(0x1000).IsSuccess);
        Assert.Equal(TranslationFlags.ReadOnly, rig.Translate(0x1000).Translation!.Flags & TranslationFlags.ReadOnly);
        var w = rig.Translate(0x1008, AccessType.Write);
        Assert.Equal(MmuFaultReason.ReadOnly, w.Fault!.Reason);
        Assert.Equal("read-only", w.Fault.ReasonName);
        Assert.Equal(PageTableLevel.Pt, w.Fault.Level);
        Assert.Equal(MmuFaultReason.ReadOnly, rig.Translate(0x1008, AccessType.Atomic).Fault!.Reason);
        Assert.Equal(2, rig.Faults.Count);
    }

    [Theory]
    [InlineData("V2Turing")]
    [InlineData("V3Hopper")]
    public void Privileged_pages_fault_non_privileged_accesses(string formatName)
    {
        var rig = new GmmuRig(Named(formatName));
        rig.Tree.Map(0x20_0000, 0x40_0000, PageSize.Size2M, new PteSpec(Privileged: true));
        var denied = rig.Translate(0x20_0000);
        Assert.Equal(MmuFaultReason.Privilege, denied.Fault!.Reason);
        Assert.Equal(PageTableLevel.Pd0, denied.Fault.Level);
        Assert.False(denied.Fault.Privileged);
        var ok = rig.Translate(0x20_0000, AccessType.Write, privileged: true);
        Assert.True(ok.IsSuccess);
        Assert.True((ok.Translation!.Flags & TranslationFlags.Privileged) != 0);
        // The TLB answers the next one and still checks the cached PRIVILEGE bit.
        var cached = rig.Translate(0x20_1000);
        Assert.Equal(MmuFaultReason.Privilege, cached.Fault!.Reason);
        Assert.Empty(cached.Steps);
    }

    [Theory]
    [InlineData("V2Turing")]
    [InlineData("V3Hopper")]
    public void Atomic_disabled_pages_fault_only_atomics(string formatName)
    {
        var rig = new GmmuRig(Named(formatName));
        rig.Tree.Map(0x1_0000, 0x2_0000, PageSize.Size64K, new PteSpec(NoAtomic: true));
        Assert.True(rig.Translate(0x1_0000, AccessType.Write).IsSuccess);
        var a = rig.Translate(0x1_0000, AccessType.Atomic);
        Assert.Equal(MmuFaultReason.Atomic, a.Fault!.Reason);
        Assert.Equal("atomic", a.Fault.ReasonName);
        Assert.Equal(PageTableLevel.PtBig, a.Fault.Level);
    }

    [Theory]
    [InlineData("V2Ampere")]
    [InlineData("V3Hopper")]
    public void A_pde_to_system_memory_is_not_modelled(string formatName)
    {
        var rig = new GmmuRig(Named(formatName));
        rig.Tree.WriteRaw(0, PageTableLevel.Pd1, rig.Tree.SysmemPde(0x8000_0000));
        var r = rig.Translate(0x1000);
        Assert.Equal(MmuFaultReason.SysmemNotModelled, r.Fault!.Reason);
        Assert.Equal("sysmem-not-modelled", r.Fault.ReasonName);
        Assert.Equal(PageTableLevel.Pd1, r.Fault.Level);
    }

    [Fact]
    public void A_table_beyond_vram_faults_with_vram_out_of_range()
    {
        var rig = new GmmuRig(MmuFormat.V2Ampere, vramSize: 64UL << 20);
        rig.Tree.WriteRaw(0, PageTableLevel.Pd1, PdeV2.ForVram(new Spec.Addresses.VramAddress(1UL << 30)).Raw);
        var r = rig.Translate(0x1000);
        Assert.Equal(MmuFaultReason.VramOutOfRange, r.Fault!.Reason);
        Assert.Equal(PageTableLevel.Pd0, r.Fault.Level);
    }

    [Theory]
    [InlineData("V2Ampere")]
    [InlineData("V3Hopper")]
    public void Peer_and_sysmem_ptes_translate_with_their_aperture(string formatName)
    {
        var rig = new GmmuRig(Named(formatName));
        rig.Tree.WriteRaw(0x1000, PageTableLevel.Pt, rig.Tree.SysmemPte(0xAB_CDE1_0000));
        rig.Tree.WriteRaw(0x2000, PageTableLevel.Pt, rig.Tree.PeerPte(3, 0x10_0000));
        var sys = rig.Translate(0x1010).Translation!;
        Assert.Equal(PteAperture.SystemCoherent, sys.Aperture);
        Assert.Equal(0xAB_CDE1_0010UL, sys.PhysicalAddress);
        Assert.Equal("sys-coh", sys.ApertureName);
        var peer = rig.Translate(0x2010).Translation!;
        Assert.Equal(PteAperture.Peer, peer.Aperture);
        Assert.Equal(3, peer.PeerId);
        Assert.Equal(0x10_0010UL, peer.PhysicalAddress);
        Assert.Equal("peer3", peer.ApertureName);
        Assert.Equal(3, rig.Translate(0x2020).Translation!.PeerId);
    }

    [Fact]
    public void V3_pcf_bits_become_flags_and_mapping_nowhere_is_an_invalid_pte()
    {
        var rig = new GmmuRig(MmuFormat.V3Hopper);
        rig.Tree.WriteRaw(0x1000, PageTableLevel.Pt, PteV3.ForVram(new Spec.Addresses.VramAddress(0x5000), PtePcf.PrivilegeRoNoAtomicUncachedAcd).Raw);
        var t = rig.Translate(0x1000, privileged: true).Translation!;
        Assert.Equal(
            TranslationFlags.ReadOnly | TranslationFlags.Privileged | TranslationFlags.AtomicDisabled | TranslationFlags.Volatile | TranslationFlags.AccessCountingDisabled,
            t.Flags);
        rig.Tree.WriteRaw(0x2000, PageTableLevel.Pt, PteV3.MappingNowhere.Raw);
        Assert.Equal(MmuFaultReason.InvalidPte, rig.Translate(0x2000).Fault!.Reason);
    }

    [Fact]
    public void Faults_are_not_cached_but_translations_are_stale_until_invalidated()
    {
        var rig = new GmmuRig(MmuFormat.V2Ampere);
        Assert.Equal(MmuFaultReason.InvalidPde, rig.Translate(0x5000).Fault!.Reason);
        rig.Tree.Map(0x5000, 0xA000, PageSize.Size4K);
        Assert.Equal(0xA000UL, rig.Translate(0x5000).Translation!.PhysicalAddress);
        rig.Tree.Map(0x5000, 0xB000, PageSize.Size4K);
        var stale = rig.Translate(0x5000).Translation!;
        Assert.True(stale.TlbHit);
        Assert.Equal(0xA000UL, stale.PhysicalAddress);
        rig.Tlb.InvalidatePdb(GmmuRig.Root);
        Assert.Equal(0xB000UL, rig.Translate(0x5000).Translation!.PhysicalAddress);
    }

    [Fact]
    public void Reason_names_are_unique_kebab_strings_and_parse_back()
    {
        var names = MmuFaultReasons.All.Select(r => r.Name()).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.Matches("^[a-z0-9]+(-[a-z0-9]+)*$", n));
        foreach (var r in MmuFaultReasons.All)
        {
            Assert.True(MmuFaultReasons.TryParse(r.Name().ToUpperInvariant(), out var back));
            Assert.Equal(r, back);
        }

        Assert.False(MmuFaultReasons.TryParse("nope", out _));
        Assert.Equal(
            ["invalid-pde", "pde-size", "invalid-pte", "sparse", "no-valid-4k-page", "va-out-of-range", "unbound-instance", "privilege", "read-only", "atomic", "sysmem-not-modelled", "peer-not-modelled", "vram-out-of-range"],
            names);
    }

    [Fact]
    public void Fault_log_is_bounded_numbered_and_clearable()
    {
        var log = new FaultLog(capacity: 2);
        for (var i = 0; i < 3; i++)
        {
            log.Record(new MmuFault((ulong)i, 0, AccessType.Read, MmuFaultReason.InvalidPte, PageTableLevel.Pt));
        }

        Assert.Equal(2, log.Count);
        Assert.Equal(3, log.TotalRecorded);
        Assert.Equal(1, log.Dropped);
        Assert.Equal([2L, 3L], log.Snapshot().Select(f => f.Sequence));
        Assert.Equal(2UL, log.Last!.Va);
        Assert.Equal(2, log.Drain().Count);
        Assert.Equal(0, log.Count);
        log.Record(new MmuFault(9, 0, AccessType.Read, MmuFaultReason.InvalidPte, null));
        log.Clear();
        Assert.Equal(0, log.Count);
        Assert.Equal(4, log.TotalRecorded);
        Assert.Contains("invalid-pte", new MmuFault(0x1000, 0x2000, AccessType.Write, MmuFaultReason.InvalidPte, PageTableLevel.Pt).ToString(), StringComparison.Ordinal);
    }
}
