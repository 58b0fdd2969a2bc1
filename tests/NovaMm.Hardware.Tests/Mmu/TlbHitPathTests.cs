using NovaMm.Hardware.Mmu;
using NovaMm.Spec.PageTables;

namespace NovaMm.Hardware.Tests.Mmu;

/// <summary>The TLB's fast slots and <see cref="Gmmu.TryTranslate"/>: the same answers, counters and faults as the table.</summary>
public class TlbHitPathTests
{
    private static TlbEntry Entry(ulong pdb, ulong va, ulong size, ulong pa) => new(pdb, va, size, pa, 0, false, false, false, 0);

    [Fact]
    public void Try_translate_answers_like_translate_and_counts_the_same()
    {
        var rig = new GmmuRig(MmuFormat.V2Ampere);
        rig.Tree.Map(0x5000, 0xA000, PageSize.Size4K);
        rig.Tree.Map(0x40_0000, 0x80_0000, PageSize.Size2M);

        Assert.True(rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, 0x5010, AccessType.Read, false, out var miss));
        Assert.Equal(new TranslatedPage(0xA010, 0xFF0, PteAperture.Video, TlbHit: false), miss);
        Assert.True(rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, 0x5FF8, AccessType.Write, false, out var hit));
        Assert.Equal(new TranslatedPage(0xAFF8, 8, PteAperture.Video, TlbHit: true), hit);
        Assert.True(rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, 0x41_2345, AccessType.Read, false, out var big));
        Assert.Equal(0x81_2345UL, big.PhysicalAddress);
        Assert.Equal(0x20_0000UL - 0x1_2345, big.BytesToPageEnd);
        Assert.True(rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, 0x5F_FFFF, AccessType.Read, false, out var bigHit));
        Assert.Equal(new TranslatedPage(0x9F_FFFF, 1, PteAperture.Video, TlbHit: true), bigHit);

        Assert.Equal(2, rig.Gmmu.Walks);
        Assert.Equal(2, rig.Tlb.Hits);
        Assert.Equal(2, rig.Tlb.Misses);
        Assert.Equal(rig.Translate(0x5010).Translation!.PhysicalAddress, miss.PhysicalAddress);
        Assert.Equal(3, rig.Tlb.Hits);
        Assert.Equal(0, rig.Faults.Count);
    }

    [Fact]
    public void Try_translate_of_a_fault_logs_it_once_and_answers_false()
    {
        var rig = new GmmuRig(MmuFormat.V3Hopper);
        rig.Tree.Map(0x5000, 0xA000, PageSize.Size4K, new PteSpec(ReadOnly: true));
        Assert.True(rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, 0x5000, AccessType.Read, false, out _));

        // A cached read-only page: the write is denied from the TLB, logged once, and counted as one hit.
        Assert.False(rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, 0x5000, AccessType.Write, false, out var denied));
        Assert.Equal(default, denied);
        Assert.Equal(MmuFaultReason.ReadOnly, rig.Faults.Last!.Reason);
        Assert.Equal(1, rig.Faults.Count);
        Assert.Equal(1, rig.Tlb.Hits);

        Assert.False(rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, 0x9000, AccessType.Read, false, out _));
        Assert.Equal(MmuFaultReason.InvalidPte, rig.Faults.Last!.Reason);
        Assert.False(rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, rig.Format.VaLimit, AccessType.Read, false, out _));
        Assert.Equal(MmuFaultReason.VaOutOfRange, rig.Faults.Last!.Reason);
        Assert.Equal(3, rig.Faults.Count);
    }

    [Fact]
    public void Try_translate_serves_a_stale_page_until_the_pdb_is_invalidated()
    {
        var rig = new GmmuRig(MmuFormat.V2Ampere);
        rig.Tree.Map(0x5000, 0xA000, PageSize.Size4K);
        Assert.True(rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, 0x5000, AccessType.Read, false, out _));
        rig.Tree.Map(0x5000, 0xB000, PageSize.Size4K);
        Assert.True(rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, 0x5000, AccessType.Read, false, out var stale));
        Assert.Equal(new TranslatedPage(0xA000, 0x1000, PteAperture.Video, TlbHit: true), stale);
        rig.Tlb.InvalidatePdb(GmmuRig.Root);
        Assert.True(rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, 0x5000, AccessType.Read, false, out var fresh));
        Assert.Equal(new TranslatedPage(0xB000, 0x1000, PteAperture.Video, TlbHit: false), fresh);
        rig.Tlb.InvalidateAll();
        rig.Tree.Map(0x5000, 0xC000, PageSize.Size4K);
        Assert.Equal(0xC000UL, rig.Translate(0x5000).Translation!.PhysicalAddress);
    }

    [Fact]
    public void A_hit_allocates_nothing()
    {
        var rig = new GmmuRig(MmuFormat.V2Ampere);
        rig.Tree.Map(0x5000, 0xA000, PageSize.Size4K);
        Assert.True(rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, 0x5000, AccessType.Read, false, out _));
        Assert.True(rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, 0x5008, AccessType.Read, false, out _));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var sum = 0UL;
        for (var i = 0UL; i < 1000; i++)
        {
            rig.Gmmu.TryTranslate(GmmuRig.Root, rig.Format, 0x5000 + (i & 0xFF8), AccessType.Read, false, out var t);
            sum += t.PhysicalAddress;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.NotEqual(0UL, sum);
    }

    [Fact]
    public void A_larger_page_inserted_later_wins_over_a_smaller_one_the_fast_slot_holds()
    {
        var tlb = new GmmuTlb();
        tlb.Insert(Entry(0x1000, 0x20_3000, PageSize.Size4K, 0xA000));
        Assert.Equal(0xA000UL, tlb.Lookup(0x1000, 0x20_3000)!.PhysicalBase); // now in the fast slot
        Assert.Equal(0xA000UL, tlb.Lookup(0x1000, 0x20_3008)!.PhysicalBase);
        tlb.Insert(Entry(0x1000, 0x20_0000, PageSize.Size2M, 0x4000_0000));
        Assert.Equal(0x4000_0000UL, tlb.Lookup(0x1000, 0x20_3000)!.PhysicalBase); // probes go largest first
        Assert.Equal(3, tlb.Hits);
        Assert.Equal(0, tlb.Misses);
    }

    [Fact]
    public void A_replaced_entry_is_answered_at_once()
    {
        var tlb = new GmmuTlb();
        tlb.Insert(Entry(0x1000, 0x5000, PageSize.Size4K, 0xA000));
        Assert.Equal(0xA000UL, tlb.Lookup(0x1000, 0x5000)!.PhysicalBase);
        tlb.Insert(Entry(0x1000, 0x5000, PageSize.Size4K, 0xB000));
        Assert.Equal(0xB000UL, tlb.Lookup(0x1000, 0x5000)!.PhysicalBase);
        Assert.Equal(1, tlb.Count);
    }

    [Fact]
    public void Invalidating_one_pdb_empties_its_fast_slots_and_keeps_the_others()
    {
        var tlb = new GmmuTlb();
        tlb.Insert(Entry(0x1000, 0x5000, PageSize.Size4K, 0xA000));
        tlb.Insert(Entry(0x2000, 0x5000, PageSize.Size4K, 0xB000));
        Assert.NotNull(tlb.Lookup(0x1000, 0x5000));
        Assert.NotNull(tlb.Lookup(0x2000, 0x5000));
        tlb.InvalidatePdb(0x1000);
        Assert.Null(tlb.Lookup(0x1000, 0x5000));
        Assert.Equal(0xB000UL, tlb.Lookup(0x2000, 0x5000)!.PhysicalBase);
        tlb.InvalidateAll();
        Assert.Null(tlb.Lookup(0x2000, 0x5000));
        Assert.Equal(0, tlb.Count);
        Assert.Equal(2, tlb.Misses);
    }

    [Fact]
    public void Entries_whose_fast_slots_collide_are_both_answered()
    {
        var tlb = new GmmuTlb();
        var far = 0x5000UL + (1024UL << 12); // the same fast slot as 0x5000
        tlb.Insert(Entry(0x1000, 0x5000, PageSize.Size4K, 0xA000));
        tlb.Insert(Entry(0x1000, far, PageSize.Size4K, 0xB000));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0xA000UL, tlb.Lookup(0x1000, 0x5000)!.PhysicalBase);
            Assert.Equal(0xB000UL, tlb.Lookup(0x1000, far)!.PhysicalBase);
        }

        Assert.Null(tlb.Lookup(0x2000, 0x5000));
    }

    [Fact]
    public void Concurrent_hits_are_all_counted()
    {
        var tlb = new GmmuTlb();
        tlb.Insert(Entry(0x1000, 0x5000, PageSize.Size4K, 0xA000));
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                Assert.NotNull(tlb.Lookup(0x1000, 0x5000));
            }
        });
        Assert.Equal(40_000, tlb.Hits);
    }
}
