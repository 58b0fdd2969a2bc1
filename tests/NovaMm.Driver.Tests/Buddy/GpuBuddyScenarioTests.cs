using NovaMm.Driver.Buddy;
using static NovaMm.Driver.Tests.Buddy.CheckedBuddy;

namespace NovaMm.Driver.Tests.Buddy;

/// <summary>
/// Rust-binding doctests (rust/kernel/gpu/buddy.rs@4a57e091), the old drm_buddy tests (drivers/gpu/drm/tests/drm_buddy_test.c),
/// nova's VA examples (nova-mm v7 mm/vmm.rs alloc_vfn_range), and details of drivers/gpu/buddy.c that docs/buddy.md
/// describes: reset_clear's skipped node, the exact-range SPLIT rule, failed-call semantics.
/// </summary>
public sealed class GpuBuddyScenarioTests
{
    private const ulong Ps = 4 * K;

    [Fact]
    public void Doctest1_SimpleAllocationIsTopmost()
    {
        var mm = new CheckedBuddy(1 * G, 4 * K);
        Assert.Equal(1 * G, mm.Mm.Size);
        Assert.Equal(1 * G, mm.Mm.RequestedSize);
        Assert.Equal(4 * K, mm.Mm.ChunkSize);
        List<BuddyBlock> blocks = mm.Alloc(0, 0, 16 * M, 16 * M);
        Assert.Equal((1 * G) - (16 * M), mm.Avail);
        BuddyBlock b = Assert.Single(blocks);
        Assert.Equal((1 * G) - (16 * M), b.Offset);
        Assert.Equal(12, b.Order);
        Assert.Equal(16 * M, b.Size);
        mm.Free(blocks);
        Assert.Equal(1 * G, mm.Avail);
        mm.Fini();
    }

    [Fact]
    public void Doctest2_TopDown()
    {
        var mm = new CheckedBuddy(1 * G, 4 * K);
        List<BuddyBlock> blocks = mm.Alloc(0, 0, 16 * M, 16 * M, BuddyFlags.TopDown);
        BuddyBlock b = Assert.Single(blocks);
        Assert.Equal((1 * G) - (16 * M), b.Offset);
        Assert.Equal(12, b.Order);
        Assert.Equal(16 * M, b.Size);
        mm.Free(blocks);
        Assert.Equal(1 * G, mm.Avail);
        mm.Fini();
    }

    [Fact]
    public void Doctest3_RangeFillsTheHoles()
    {
        var mm = new CheckedBuddy(1 * G, 4 * K);
        List<BuddyBlock> a = mm.Alloc(0, 4 * M, 4 * M, 4 * M, BuddyFlags.Range);
        List<BuddyBlock> b = mm.Alloc(8 * M, 12 * M, 4 * M, 4 * M, BuddyFlags.Range);
        Assert.Equal((1 * G) - (8 * M), mm.Avail);
        List<BuddyBlock> c = mm.Alloc(0, 16 * M, 8 * M, 4 * M, BuddyFlags.Range);
        Assert.Equal(2, c.Count);
        Assert.All(c, x => Assert.Equal(4 * M, x.Size));
        Assert.Equal([4 * M, 12 * M], c.Select(x => x.Offset).ToArray());
        Assert.Equal((1 * G) - (16 * M), mm.Avail);
        mm.Free(a);
        mm.Free(b);
        mm.Free(c);
        mm.Fini();
    }

    [Fact]
    public void Doctest4_ContiguousFailsInFragmentedSpace()
    {
        var mm = new CheckedBuddy(16 * M, 4 * K);
        List<BuddyBlock> a = mm.Alloc(0, 4 * M, 4 * M, 4 * M, BuddyFlags.Range);
        List<BuddyBlock> b = mm.Alloc(8 * M, 12 * M, 4 * M, 4 * M, BuddyFlags.Range);
        Assert.Equal(BuddyErrorCode.Enospc, mm.Fail(0, 0, 8 * M, 4 * M, BuddyFlags.Contiguous));
        var ex = Assert.Throws<BuddyException>(() => mm.Mm.Alloc(0, 0, 8 * M, 4 * M, BuddyFlags.Contiguous));
        Assert.Equal(BuddyErrorCode.Enospc, ex.ErrorCode);
        mm.Free(a);
        mm.Free(b);
        mm.Fini();
    }

    [Fact]
    public void BaseOffset_AddsToAddressNotToOffsetOrRange()
    {
        const ulong baseOffset = 0x1_0000_0000;
        var mm = new CheckedBuddy(1 * G, 4 * K, baseOffset);
        Assert.Equal(baseOffset, mm.Mm.BaseOffset);
        BuddyBlock b = Assert.Single(mm.Alloc(0, 0, 16 * M, 16 * M));
        Assert.Equal((1 * G) - (16 * M), b.Offset);
        Assert.Equal(baseOffset + (1 * G) - (16 * M), b.Address);
        BuddyBlock r = Assert.Single(mm.Alloc(4 * M, 8 * M, 4 * M, 4 * M, BuddyFlags.Range)); // allocator-relative range
        Assert.Equal(4 * M, r.Offset);
        Assert.Equal(baseOffset + (4 * M), r.Address);
    }

    [Fact]
    public void RequestedSizeIsKeptWhileSizeIsChunkRounded()
    {
        var mm = new GpuBuddy((16 * M) + 123, 4 * K);
        Assert.Equal((16 * M) + 123, mm.RequestedSize);
        Assert.Equal(16 * M, mm.Size);
        Assert.Equal(1, mm.RootCount);
    }

    [Fact]
    public void OldSmoke()
    {
        bool stress = Environment.GetEnvironmentVariable("NOVAMM_STRESS") == "1";
        var rng = new Random(Seed(0x5a0e));
        for (int round = 0; round < 3; round++)
        {
            int maxPagesLog = stress ? 21 : 11;
            ulong pages = (ulong)rng.NextInt64(2, (1L << maxPagesLog) + 1);
            int e = rng.Next(0, System.Numerics.BitOperations.Log2(pages));
            ulong chunk = Ps << e;
            ulong mmSize = pages * Ps / chunk * chunk;
            var mm = new CheckedBuddy(mmSize, chunk, checkEvery: stress ? 4096 : 1);
            int[] orders = Enumerable.Range(0, mm.Mm.MaxOrder + 1).OrderBy(_ => rng.Next()).ToArray();
            foreach (int startOrder in orders)
            {
                BuddyInvariants.Check(mm.Mm);
                var blocks = new List<BuddyBlock>();
                ulong total = 0;
                int order = startOrder;
                while (total < mm.Mm.Size)
                {
                    ulong size = chunk << order;
                    if (!mm.Mm.TryAlloc(0, mm.Mm.Size, size, size, BuddyFlags.None, out List<BuddyBlock>? got, out BuddyErrorCode err))
                    {
                        mm.Step();
                        Assert.NotEqual(BuddyErrorCode.Enomem, err);
                        Assert.True(order > 0, $"allocation of order 0 failed with {err}");
                        order--;
                        continue;
                    }

                    mm.Step();
                    BuddyBlock b = Assert.Single(got);
                    Assert.Equal(order, b.Order);
                    total += b.Size;
                    blocks.Add(b);
                }

                Assert.Equal(mm.Mm.Size, total);
                Assert.Equal(0UL, mm.Avail);
                mm.Free(blocks);
                BuddyInvariants.Check(mm.Mm);
            }

            mm.Fini();
        }
    }

    [Fact]
    public void OldRange_PrimeSizedExactRanges()
    {
        var rng = new Random(Seed(0x7a9e));
        int[] primes = [1, 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97];
        for (int round = 0; round < 3; round++)
        {
            ulong chunk = Ps << rng.Next(0, 3);
            ulong mmSize = (ulong)rng.NextInt64(64, 4096) * chunk;
            var mm = new CheckedBuddy(mmSize, chunk);
            var all = new List<BuddyBlock>();
            ulong offset = 0;
            int p = 0;
            while (offset < mmSize)
            {
                ulong size = Math.Min((ulong)primes[p % primes.Length] * chunk, mmSize - offset);
                p++;
                List<BuddyBlock> got = mm.Alloc(offset, offset + size, size, chunk, BuddyFlags.Range);
                Assert.Equal(offset, got[0].Offset);
                for (int i = 1; i < got.Count; i++)
                {
                    Assert.Equal(got[i - 1].Offset + got[i - 1].Size, got[i].Offset);
                }

                Assert.Equal(size, Total(got));
                all.AddRange(got);
                offset += size;
            }

            Assert.Equal(0UL, mm.Avail);
            mm.Free(all);
            mm.Fini();
        }
    }

    [Fact]
    public void ResetClear_PostOrderWalkSkipsTheSecondOfFour()
    {
        // Four order-0 clear blocks inserted in ascending offset order; their buddies stay allocated.
        var mm = new CheckedBuddy(64 * K, Ps);
        var pages = new List<BuddyBlock>[16];
        for (ulong i = 0; i < 16; i++)
        {
            pages[i] = mm.Alloc(i * Ps, (i + 1) * Ps, Ps, Ps);
        }

        foreach (int i in new[] { 0, 2, 4, 6 })
        {
            mm.Free(pages[i], BuddyFlags.Cleared);
        }

        Assert.Equal(4 * Ps, mm.ClearAvail);
        mm.ResetClear(false);

        // The walk moved the 1st, 4th and 3rd block and left the 2nd (page 2) clear.
        Assert.Equal(Ps, mm.ClearAvail);
        foreach (int i in new[] { 0, 2, 4, 6 })
        {
            pages[i] = mm.Alloc((ulong)i * Ps, ((ulong)i + 1) * Ps, Ps, Ps);
            Assert.Equal(i == 2, pages[i][0].IsClear);
        }

        foreach (List<BuddyBlock> l in pages)
        {
            mm.Free(l);
        }

        mm.Fini();
    }

    [Fact]
    public void ResetClear_SingleBlockPerTreeMovesEverything()
    {
        var mm = new CheckedBuddy(64 * K, Ps);
        List<BuddyBlock> a = mm.Alloc(0, 0, 5 * Ps, Ps);
        mm.Free(a, BuddyFlags.Cleared);
        mm.ResetClear(true);
        Assert.Equal(mm.Avail, mm.ClearAvail);
        mm.ResetClear(false);
        Assert.Equal(0UL, mm.ClearAvail);
        mm.Fini();
    }

    private static (CheckedBuddy Mm, List<BuddyBlock>[] Pages) ThirtyTwoPagesWithThreeToEightFree(bool page16Clear)
    {
        var mm = new CheckedBuddy(32 * Ps, Ps);
        var pages = new List<BuddyBlock>[32];
        for (ulong i = 0; i < 32; i++)
        {
            pages[i] = mm.Alloc(i * Ps, (i + 1) * Ps, Ps, Ps);
        }

        for (int i = 3; i <= 8; i++)
        {
            mm.Free(pages[i]);
        }

        if (page16Clear)
        {
            mm.Free(pages[16], BuddyFlags.Cleared);
        }

        return (mm, pages);
    }

    [Fact]
    public void ExactRange_SplitBlockWithoutClearMemoryStopsTheWalk()
    {
        (CheckedBuddy mm, _) = ThirtyTwoPagesWithThreeToEightFree(page16Clear: false);
        Assert.Equal(0UL, mm.ClearAvail);
        Assert.Equal(BuddyErrorCode.Enospc, mm.Fail(0, 0, 6 * Ps, Ps, BuddyFlags.Contiguous));
    }

    [Fact]
    public void ExactRange_SplitBlockWithClearMemoryIsDescended()
    {
        (CheckedBuddy mm, _) = ThirtyTwoPagesWithThreeToEightFree(page16Clear: true);
        List<BuddyBlock> got = mm.Alloc(0, 0, 6 * Ps, Ps, BuddyFlags.Contiguous);
        Assert.Equal("0x3000:0x1000 0x4000:0x4000 0x8000:0x1000", string.Join(' ', got));
    }

    [Fact]
    public void FailedAllocation_KeepsForceMergesButNoAllocationOrAvail()
    {
        var mm = new CheckedBuddy(64 * K, Ps);
        var pages = new List<BuddyBlock>[16];
        for (ulong i = 0; i < 16; i++)
        {
            pages[i] = mm.Alloc(i * Ps, (i + 1) * Ps, Ps, Ps);
        }

        mm.Free(pages[0], BuddyFlags.Cleared);
        mm.Free(pages[1]);
        mm.Free(pages[4], BuddyFlags.Cleared);
        mm.Free(pages[5]);
        Assert.Equal(2 * Ps, mm.ClearAvail);
        Assert.Equal(4 * Ps, mm.Avail);
        Assert.Equal(4UL, mm.Mm.GetOrderStats().Single(s => s.Order == 0).FreeBlocks);

        // An order-2 request: no order-2 block; force-merge joins both clear/dirty pairs into dirty order-1 blocks,
        // which still are not big enough, so there is no retry and the call fails.
        Assert.Equal(BuddyErrorCode.Enospc, mm.Fail(0, 64 * K, 4 * Ps, 4 * Ps));
        Assert.Equal(4 * Ps, mm.Avail);
        Assert.Equal(0UL, mm.ClearAvail); // the merges persist
        BuddyOrderStats[] stats = mm.Mm.GetOrderStats();
        Assert.Equal(0UL, stats.Single(s => s.Order == 0).FreeBlocks);
        Assert.Equal(2UL, stats.Single(s => s.Order == 1).FreeBlocks);
        Assert.Equal(0UL, stats.Single(s => s.Order == 1).ClearBlocks);
    }

    [Fact]
    public void FailedAllocation_WithEndZeroDoesNotForceMerge()
    {
        var mm = new CheckedBuddy(64 * K, Ps);
        var pages = new List<BuddyBlock>[16];
        for (ulong i = 0; i < 16; i++)
        {
            pages[i] = mm.Alloc(i * Ps, (i + 1) * Ps, Ps, Ps);
        }

        mm.Free(pages[0], BuddyFlags.Cleared);
        mm.Free(pages[1]);
        List<(ulong, int, BlockState, bool)> before = FullSnapshot(mm.Mm);
        Assert.Equal(BuddyErrorCode.Enospc, mm.Fail(0, 0, 2 * Ps, 2 * Ps));
        Assert.Equal(before, FullSnapshot(mm.Mm));
        Assert.Equal(Ps, mm.ClearAvail);
    }

    [Fact]
    public void FailedTrim_ChangesNothing()
    {
        var mm = new CheckedBuddy(1 * M, Ps);
        List<BuddyBlock> blocks = mm.Alloc(0, 0, 64 * K, 64 * K, BuddyFlags.Clear);
        List<BuddyBlock> two = mm.Alloc(0, 0, 5 * Ps, Ps);
        List<(ulong, int, BlockState, bool)> before = FullSnapshot(mm.Mm);
        string list = string.Join(' ', blocks);
        (ulong Size, ulong? Start)[] bad =
        [
            (128 * K, null), (0, null), (Ps + 1, null), (Ps, blocks[0].Offset - Ps), (Ps, blocks[0].Offset + 1),
            (Ps, blocks[0].Offset + (64 * K)), (8 * Ps, blocks[0].Offset + (60 * K)),
        ];
        foreach ((ulong size, ulong? start) in bad)
        {
            Assert.False(mm.Mm.TryTrim(blocks, size, start, out BuddyErrorCode err));
            Assert.Equal(BuddyErrorCode.Einval, err);
            Assert.Equal(before, FullSnapshot(mm.Mm));
            Assert.Equal(list, string.Join(' ', blocks));
        }

        Assert.False(mm.Mm.TryTrim(two, Ps, null, out BuddyErrorCode err2)); // two blocks in the list
        Assert.Equal(BuddyErrorCode.Einval, err2);
        Assert.Equal(before, FullSnapshot(mm.Mm));
        var ex = Assert.Throws<BuddyException>(() => mm.Mm.Trim(blocks, 128 * K));
        Assert.Contains("0x20000", ex.Message, StringComparison.Ordinal);

        // Same size: a no-op whatever START says.
        Assert.True(mm.Mm.TryTrim(blocks, 64 * K, 12345, out _));
        Assert.Equal(before, FullSnapshot(mm.Mm));
    }

    [Fact]
    public void Trim_KeepsClearFlagAndListsPiecesAscending()
    {
        var mm = new CheckedBuddy(1 * M, Ps);
        List<BuddyBlock> scratch = mm.Alloc(0, 0, 1 * M, 1 * M);
        mm.Free(scratch, BuddyFlags.Cleared);
        List<BuddyBlock> blocks = mm.Alloc(0, 0, 64 * K, 64 * K, BuddyFlags.Clear);
        ulong start = blocks[0].Offset + (4 * K);
        mm.Mm.Trim(blocks, 24 * K, start);
        mm.Step();
        Assert.Equal("0xf1000:0x1000 0xf2000:0x2000 0xf4000:0x2000 0xf6000:0x1000", string.Join(' ', blocks));
        Assert.All(blocks, b => Assert.True(b.IsClear));
        Assert.Equal(24 * K, Total(blocks));
    }

    [Fact]
    public void NovaVa_ContiguousPagesInA64KiBSpace()
    {
        // nova-mm v7 mm/vmm.rs alloc_vfn_range without a VA range: start = end = 0, min 4 KiB, CONTIGUOUS.
        var mm = new CheckedBuddy(64 * K, 4 * K);
        BuddyBlock one = Assert.Single(mm.Alloc(0, 0, Ps, Ps, BuddyFlags.Contiguous));
        Assert.Equal(15UL, one.Offset / Ps);
        mm.Free([one]);
        List<BuddyBlock> three = mm.Alloc(0, 0, 3 * Ps, Ps, BuddyFlags.Contiguous);
        Assert.Equal(12UL, three[0].Offset / Ps);
        Assert.Equal(3 * Ps, Total(three));
        BuddyBlock next = Assert.Single(mm.Alloc(0, 0, Ps, Ps, BuddyFlags.Contiguous));
        Assert.Equal(15UL, next.Offset / Ps);
    }

    [Fact]
    public void TryHarder_ListsLeftHandBlocksFirstAndIsNeverTrimmed()
    {
        // 16 pages: pages 0..4 and 10..15 allocated, 5..9 free (dirty). A contiguous 5-page request (rounded to 8)
        // finds no 8-page block; try-harder only tries free blocks of order log2(rounddown_pow2(5)) = 2, and there is
        // none ([5], [6..7], [8..9] are smaller), so it fails although 5 free pages are adjacent.
        var mm = new CheckedBuddy(16 * Ps, Ps);
        var pages = new List<BuddyBlock>[16];
        for (ulong i = 0; i < 16; i++)
        {
            pages[i] = mm.Alloc(i * Ps, (i + 1) * Ps, Ps, Ps);
        }

        for (int i = 5; i <= 9; i++)
        {
            mm.Free(pages[i]);
        }

        Assert.Equal(BuddyErrorCode.Enospc, mm.Fail(0, 0, 5 * Ps, Ps, BuddyFlags.Contiguous));

        // Free 3,4 and 10,11: now [4..7] and [8..11] exist; a 6-page request rounded to 8 pages fails on the normal
        // path and try-harder starts with the highest order-2 candidate at page 8: RHS [8..13] stops at page 12,
        // LHS takes 2 pages below page 8: [6..7]. Left-hand blocks come first.
        mm.Free(pages[3]);
        mm.Free(pages[4]);
        mm.Free(pages[10]);
        mm.Free(pages[11]);
        List<BuddyBlock> got = mm.Alloc(0, 0, 6 * Ps, Ps, BuddyFlags.Contiguous);
        Assert.Equal("0x6000:0x2000 0x8000:0x4000", string.Join(' ', got));
    }

    [Fact]
    public void Print_MatchesKernelFormat()
    {
        // Expected text produced by the user-space build of drivers/gpu/buddy.c on the same operations.
        var mm = new CheckedBuddy(20 * M, 4 * K);
        List<BuddyBlock> a = mm.Alloc(0, 0, 0x5000, 0x1000);
        Assert.Equal("0x13fc000:0x4000 0x13fb000:0x1000", string.Join(' ', a));
        mm.Alloc(0, 0, 0x100000, 0x1000, BuddyFlags.Clear);
        mm.Alloc(0, 0, 0x3000, 0x1000, BuddyFlags.Contiguous);
        mm.Free(a, BuddyFlags.Cleared);
        const string expected =
            "chunk_size: 4KiB, total: 20MiB, free: 18MiB, clear_free: 0MiB\n" +
            "order-12 free:       16 MiB, blocks: 1\n" +
            "order-11 free:        0 KiB, blocks: 0\n" +
            "order-10 free:        0 KiB, blocks: 0\n" +
            "order- 9 free:        2 MiB, blocks: 1\n" +
            "order- 8 free:        0 KiB, blocks: 0\n" +
            "order- 7 free:      512 KiB, blocks: 1\n" +
            "order- 6 free:      256 KiB, blocks: 1\n" +
            "order- 5 free:      128 KiB, blocks: 1\n" +
            "order- 4 free:       64 KiB, blocks: 1\n" +
            "order- 3 free:        0 KiB, blocks: 0\n" +
            "order- 2 free:       32 KiB, blocks: 2\n" +
            "order- 1 free:        8 KiB, blocks: 1\n" +
            "order- 0 free:       12 KiB, blocks: 3\n";
        Assert.Equal(expected, mm.Mm.Print());
        Assert.Equal(19910656UL, mm.Avail);
        Assert.Equal(20480UL, mm.ClearAvail);
        Assert.Equal("0x00000000013fc000-0x0000000001400000: 16384", GpuBuddy.FormatBlock(a.Count > 0 ? a[0] : mm.Alloc(0x13fc000, 0x1400000, 0x4000, 0x1000)[0]));
    }

    [Fact]
    public void FormatBlock_ZeroOffsetHasNoPrefixLikeC()
    {
        var mm = new GpuBuddy(64 * K, 4 * K);
        BuddyBlock b = mm.Alloc(0, Ps, Ps, Ps)[0];
        Assert.Equal("000000000000000000-0x0000000000001000: 4096", GpuBuddy.FormatBlock(b));
    }

    [Fact]
    public void Init_RejectsBadSizes()
    {
        Assert.Equal(BuddyErrorCode.Einval, Assert.Throws<BuddyException>(() => new GpuBuddy(4 * K, 8 * K)).ErrorCode);
        BuddyException small = Assert.Throws<BuddyException>(() => new GpuBuddy(1 * M, 2 * K));
        Assert.Contains("0x800", small.Message, StringComparison.Ordinal);
        BuddyException npot = Assert.Throws<BuddyException>(() => new GpuBuddy(1 * M, 12 * K));
        Assert.Contains("0x3000", npot.Message, StringComparison.Ordinal);
        Assert.Equal(7, new GpuBuddy((4 * M) + (2 * M) + (1 * M) + (512 * K) + (256 * K) + (128 * K) + (64 * K), 4 * K).RootCount);
    }

    [Fact]
    public void Alloc_ArgumentErrorsNameTheValue()
    {
        var mm = new GpuBuddy(16 * M, 4 * K);
        BuddyException e1 = Assert.Throws<BuddyException>(() => mm.Alloc(0, 0, 0x1001, Ps));
        Assert.Equal(BuddyErrorCode.Einval, e1.ErrorCode);
        Assert.Contains("0x1001", e1.Message, StringComparison.Ordinal);
        BuddyException e2 = Assert.Throws<BuddyException>(() => mm.Alloc(0, 0, Ps, 0x3000));
        Assert.Contains("0x3000", e2.Message, StringComparison.Ordinal);
        BuddyException e3 = Assert.Throws<BuddyException>(() => mm.Alloc(0, (16 * M) + Ps, Ps, Ps));
        Assert.Contains("0x1001000", e3.Message, StringComparison.Ordinal);
        BuddyException e4 = Assert.Throws<BuddyException>(() => mm.Alloc(16 * M, 0, Ps, Ps));
        Assert.Contains("0x1000000", e4.Message, StringComparison.Ordinal);
        BuddyException e5 = Assert.Throws<BuddyException>(() => mm.Alloc(Ps, 3 * Ps, 2 * Ps, 2 * Ps));
        Assert.Contains("0x2000", e5.Message, StringComparison.Ordinal); // exact range not aligned to min block
        Assert.Throws<ArgumentOutOfRangeException>(() => mm.Alloc(0, 0, Ps, Ps, (BuddyFlags)0x40));
        Assert.Equal(16 * M, mm.Avail);

        // start >= end is not rejected (gpu_buddy_alloc_blocks checks only end <= size and range_overflows(start, size,
        // size)): with RANGE nothing fits, without RANGE placement is normal.
        Assert.Equal(BuddyErrorCode.Enospc, Assert.Throws<BuddyException>(() => mm.Alloc(8 * M, 4 * M, Ps, Ps, BuddyFlags.Range)).ErrorCode);
        Assert.Equal((16 * M) - Ps, Assert.Single(mm.Alloc(8 * M, 4 * M, Ps, Ps)).Offset);

        // RANGE with end = 0 means "to the end of the space".
        Assert.Equal(0UL, Assert.Single(mm.Alloc(0, 0, Ps, Ps, BuddyFlags.Range)).Offset);
    }

    [Fact]
    public void Free_MisuseThrowsAndFreesNothing()
    {
        var mm = new GpuBuddy(1 * M, 4 * K);
        List<BuddyBlock> a = mm.Alloc(0, 0, 2 * Ps, Ps);
        BuddyBlock first = a[0];
        var dup = new List<BuddyBlock> { first, first };
        Assert.Throws<InvalidOperationException>(() => mm.FreeList(dup));
        Assert.Equal((1 * M) - (2 * Ps), mm.Avail);
        Assert.True(first.IsAllocated);
        mm.FreeList(a);
        Assert.Throws<InvalidOperationException>(() => mm.FreeBlock(first));
        Assert.Throws<InvalidOperationException>(() => mm.FreeList([first]));
        var other = new GpuBuddy(1 * M, 4 * K);
        BuddyBlock foreign = other.Alloc(0, 0, Ps, Ps)[0];
        Assert.Throws<ArgumentException>(() => mm.FreeBlock(foreign));
        Assert.Equal(1 * M, mm.Avail);
        BuddyInvariants.Check(mm);
    }

    [Fact]
    public void Fini_ThrowsWhileMemoryIsAllocated()
    {
        var mm = new GpuBuddy(1 * M, 4 * K);
        mm.Alloc(0, 0, Ps, Ps);
        Assert.Throws<InvalidOperationException>(mm.Fini);
        Assert.Throws<InvalidOperationException>(() => mm.Alloc(0, 0, Ps, Ps));
    }

    [Fact]
    public void OffsetAligned_WithRangeIsAPlainRangeWalkWithoutMinAlignment()
    {
        var mm = new CheckedBuddy(4 * M, 4 * K);
        List<BuddyBlock> first = mm.Alloc(0, 4 * M, Ps, Ps, BuddyFlags.Range);
        Assert.Equal(0UL, first[0].Offset);
        BuddyBlock b = Assert.Single(mm.Alloc(0, 4 * M, 8 * K, 1 * M, BuddyFlags.Range));
        Assert.Equal(8 * K, b.Offset); // lowest free 8 KiB slot, not 1 MiB aligned
        BuddyBlock c = Assert.Single(mm.Alloc(0, 0, 8 * K, 1 * M));
        Assert.Equal(1 * M, c.Offset); // offset-aligned path: orders first, so the free 1 MiB block at 1 MiB wins
    }
}
