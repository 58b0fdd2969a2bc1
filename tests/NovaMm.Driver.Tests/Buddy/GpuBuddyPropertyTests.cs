using CsCheck;
using NovaMm.Driver.Buddy;
using static NovaMm.Driver.Tests.Buddy.CheckedBuddy;

namespace NovaMm.Driver.Tests.Buddy;

/// <summary>
/// CsCheck property test: random sequences of alloc (every flag, windows, exact ranges, offset-aligned and invalid
/// requests), free (cleared or not), trim and reset_clear. After each operation: all invariants hold, the caller's
/// lists are exactly the allocator's allocated blocks, a failed allocation changed no allocation and no avail, and a
/// failed trim changed nothing at all.
/// </summary>
public sealed class GpuBuddyPropertyTests
{
    private sealed record Op(int Kind, ulong A, ulong B, ulong C, ulong D, ulong E);

    private static readonly Gen<Op> GenOp =
        Gen.Select(Gen.Int[0, 99], Gen.ULong, Gen.ULong, Gen.ULong, Gen.ULong, (k, a, b, c, d) => new Op(k, a, b, c, d, a ^ (c >> 7)));

    private static readonly Gen<(int Pages, int ChunkShift, Op[] Ops)> GenCase =
        Gen.Select(Gen.Int[1, 300], Gen.Int[0, 2], GenOp.Array[1, 120]);

    [Fact]
    public void RandomOperationSequencesKeepInvariantsAndFailureSemantics()
    {
        GenCase.Sample(c => Run(c.Pages, c.ChunkShift, c.Ops), iter: 400, threads: 1, seed: Environment.GetEnvironmentVariable("NOVAMM_CSCHECK_SEED"));
    }

    private static void Run(int pages, int chunkShift, Op[] ops)
    {
        ulong chunk = 4 * K << chunkShift;
        var mm = new GpuBuddy((ulong)pages * chunk, chunk);
        ulong mmSize = mm.Size;
        var live = new List<List<BuddyBlock>>();
        foreach (Op op in ops)
        {
            if (op.Kind < 45 || live.Count == 0)
            {
                Alloc(mm, op, chunk, mmSize, live);
            }
            else if (op.Kind < 75)
            {
                int i = (int)(op.A % (ulong)live.Count);
                List<BuddyBlock> list = live[i];
                live.RemoveAt(i);
                ulong before = mm.Avail;
                ulong total = Total(list);
                mm.FreeList(list, op.B % 2 == 0 ? BuddyFlags.Cleared : BuddyFlags.None);
                Assert.Equal(before + total, mm.Avail);
                Assert.Empty(list);
            }
            else if (op.Kind < 92)
            {
                List<BuddyBlock> list = live[(int)(op.A % (ulong)live.Count)];
                ulong blockSize = list[0].Size;
                ulong newSize = (op.B % 8) switch
                {
                    0 => blockSize,
                    1 => 0,
                    2 => blockSize + chunk,
                    3 => chunk + 1,
                    _ => (1 + (op.C % Math.Max(1, blockSize / chunk))) * chunk,
                };
                ulong? start = (op.D % 3) switch
                {
                    0 => null,
                    1 => list[0].Offset + (op.E % Math.Max(1, blockSize / chunk) * chunk),
                    _ => op.E % (mmSize + chunk),
                };
                List<(ulong, int, BlockState, bool)> snap = FullSnapshot(mm);
                string listBefore = string.Join(' ', list);
                ulong availBefore = mm.Avail;
                ulong clearBefore = mm.ClearAvail;
                if (mm.TryTrim(list, newSize, start, out _))
                {
                    Assert.Equal(list.Count == 1 && list[0].Size == blockSize ? blockSize : newSize, Total(list));
                }
                else
                {
                    Assert.Equal(snap, FullSnapshot(mm));
                    Assert.Equal(listBefore, string.Join(' ', list));
                    Assert.Equal(availBefore, mm.Avail);
                    Assert.Equal(clearBefore, mm.ClearAvail);
                }
            }
            else
            {
                ulong before = mm.Avail;
                mm.ResetClear(op.A % 2 == 0);
                Assert.Equal(before, mm.Avail);
            }

            BuddyInvariants.Check(mm);
            List<(ulong, int)> expected = live.SelectMany(l => l).Select(b => (b.Offset, b.Order)).Order().ToList();
            Assert.Equal(expected, AllocatedSnapshot(mm));
        }

        foreach (List<BuddyBlock> l in live)
        {
            mm.FreeList(l);
        }

        mm.Fini();
        BuddyInvariants.Check(mm);
    }

    private static void Alloc(GpuBuddy mm, Op op, ulong chunk, ulong mmSize, List<List<BuddyBlock>> live)
    {
        ulong pages = mmSize / chunk;
        ulong sizePages = op.A % 3 == 0 ? 1 + (op.A / 3 % 8) : 1 + (op.A / 3 % pages);
        ulong size = sizePages * chunk;
        int maxShift = System.Numerics.BitOperations.Log2(pages) + 1;
        ulong min = chunk << (int)(op.B % 4 == 0 ? op.B / 4 % (ulong)(maxShift + 1) : 0);
        var flags = (BuddyFlags)(op.C & 0x3f);
        ulong start = 0;
        ulong end = 0;
        switch (op.D % 6)
        {
            case 0:
            case 1:
                break;
            case 2:
                start = op.E % Math.Max(1, (mmSize - Math.Min(mmSize, size)) / Math.Max(min, chunk) + 1) * Math.Max(min, chunk);
                end = start + size;
                break;
            case 3:
                start = op.E % pages * chunk;
                end = start + ((1 + (op.E / 7 % (pages - (start / chunk)))) * chunk);
                break;
            case 4:
                start = op.E % pages * chunk;
                end = op.E % 5 == 0 ? 0 : op.E / 3 % pages * chunk;
                break;
            default:
                // Invalid: misaligned, beyond the end, bad minimum.
                switch (op.E % 4)
                {
                    case 0: size += 1; break;
                    case 1: end = mmSize + chunk; break;
                    case 2: min = chunk * 3; break;
                    default: start = mmSize; break;
                }

                break;
        }

        if (op.B % 7 == 0 && min > size)
        {
            size = 1UL << System.Numerics.BitOperations.Log2(size); // offset-aligned request
        }

        List<(ulong, int)> before = AllocatedSnapshot(mm);
        ulong availBefore = mm.Avail;
        if (mm.TryAlloc(start, end, size, min, flags, out List<BuddyBlock>? blocks, out BuddyErrorCode err))
        {
            Assert.NotEmpty(blocks);
            Assert.All(blocks, b => Assert.True(b.IsAllocated));
            Assert.Equal(availBefore - Total(blocks), mm.Avail);
            if ((flags & BuddyFlags.Contiguous) == 0 || start + size == end)
            {
                Assert.True(Total(blocks) >= size || min > size);
            }

            live.Add(blocks);
        }
        else
        {
            Assert.NotEqual(BuddyErrorCode.Enomem, err);
            Assert.Equal(availBefore, mm.Avail);
            Assert.Equal(before, AllocatedSnapshot(mm));
        }
    }
}
