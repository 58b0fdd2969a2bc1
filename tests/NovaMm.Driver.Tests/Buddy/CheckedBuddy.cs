using NovaMm.Driver.Buddy;

namespace NovaMm.Driver.Tests.Buddy;

/// <summary>
/// Wraps a <see cref="GpuBuddy"/> for tests: every call is followed by <see cref="BuddyInvariants.Check"/>, and every
/// failed allocation is checked to leave the allocations and <c>avail</c> unchanged (docs/buddy-trace.md, "State after a
/// failed call").
/// </summary>
internal sealed class CheckedBuddy
{
    public const ulong K = 1024;
    public const ulong M = 1024 * 1024;
    public const ulong G = 1024 * 1024 * 1024;

    private int _steps;

    public CheckedBuddy(ulong size, ulong chunk, ulong baseOffset = 0, int checkEvery = 1)
    {
        Mm = new GpuBuddy(size, chunk, baseOffset);
        CheckEvery = checkEvery;
        BuddyInvariants.Check(Mm);
    }

    public GpuBuddy Mm { get; }

    /// <summary>Run the full checker every N steps (1 = every step).</summary>
    public int CheckEvery { get; set; }

    public ulong Avail => Mm.Avail;

    public ulong ClearAvail => Mm.ClearAvail;

    public void Step()
    {
        if (++_steps % CheckEvery == 0)
        {
            BuddyInvariants.Check(Mm);
        }
    }

    public List<BuddyBlock> Alloc(ulong start, ulong end, ulong size, ulong min, BuddyFlags flags = BuddyFlags.None)
    {
        ulong availBefore = Mm.Avail;
        bool ok = Mm.TryAlloc(start, end, size, min, flags, out List<BuddyBlock>? blocks, out BuddyErrorCode err);
        Step();
        Assert.True(ok, $"alloc(0x{start:x}, 0x{end:x}, 0x{size:x}, 0x{min:x}, {flags}) failed: {(ok ? "" : err.ToString())}");
        ulong total = 0;
        foreach (BuddyBlock b in blocks!)
        {
            Assert.True(b.IsAllocated);
            total += b.Size;
        }

        Assert.Equal(availBefore - total, Mm.Avail);
        return blocks;
    }

    /// <summary>Allocation that must fail; checks that no allocation and no avail changed.</summary>
    public BuddyErrorCode Fail(ulong start, ulong end, ulong size, ulong min, BuddyFlags flags = BuddyFlags.None)
    {
        List<(ulong, int)> before = AllocatedSnapshot(Mm);
        ulong availBefore = Mm.Avail;
        bool ok = Mm.TryAlloc(start, end, size, min, flags, out List<BuddyBlock>? blocks, out BuddyErrorCode err);
        Step();
        Assert.False(ok, $"alloc(0x{start:x}, 0x{end:x}, 0x{size:x}, 0x{min:x}, {flags}) unexpectedly succeeded: {(ok ? string.Join(' ', blocks!) : "")}");
        Assert.Equal(availBefore, Mm.Avail);
        Assert.Equal(before, AllocatedSnapshot(Mm));
        return err;
    }

    public void Free(List<BuddyBlock> blocks, BuddyFlags flags = BuddyFlags.None)
    {
        Mm.FreeList(blocks, flags);
        Step();
    }

    public void FreeBlock(BuddyBlock block)
    {
        Mm.FreeBlock(block);
        Step();
    }

    public void ResetClear(bool isClear)
    {
        Mm.ResetClear(isClear);
        Step();
    }

    public void Fini()
    {
        Mm.Fini();
        BuddyInvariants.Check(Mm);
        Assert.Equal(Mm.Size, Mm.Avail);
    }

    /// <summary>Every allocated block as (offset, order), in address order.</summary>
    public static List<(ulong, int)> AllocatedSnapshot(GpuBuddy mm)
    {
        var result = new List<(ulong, int)>();
        var stack = new Stack<BuddyBlock>();
        for (int i = mm.RootBlocks.Count - 1; i >= 0; i--)
        {
            stack.Push(mm.RootBlocks[i]);
        }

        while (stack.Count > 0)
        {
            BuddyBlock b = stack.Pop();
            if (b.State == BlockState.Split)
            {
                stack.Push(b.Right!);
                stack.Push(b.Left!);
            }
            else if (b.State == BlockState.Allocated)
            {
                result.Add((b.Offset, b.Order));
            }
        }

        return result;
    }

    /// <summary>Full structural snapshot (every block with state and clear flag) for "nothing changed" checks.</summary>
    public static List<(ulong, int, BlockState, bool)> FullSnapshot(GpuBuddy mm)
    {
        var result = new List<(ulong, int, BlockState, bool)>();
        var stack = new Stack<BuddyBlock>();
        for (int i = mm.RootBlocks.Count - 1; i >= 0; i--)
        {
            stack.Push(mm.RootBlocks[i]);
        }

        while (stack.Count > 0)
        {
            BuddyBlock b = stack.Pop();
            result.Add((b.Offset, b.Order, b.State, b.IsClear));
            if (b.State == BlockState.Split)
            {
                stack.Push(b.Right!);
                stack.Push(b.Left!);
            }
        }

        return result;
    }

    public static ulong Total(IEnumerable<BuddyBlock> blocks) => blocks.Aggregate(0UL, (s, b) => s + b.Size);

    /// <summary>Seed for randomised tests: NOVAMM_SEED if set, else the given default.</summary>
    public static int Seed(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("NOVAMM_SEED"), out int s) ? s : fallback;
}
