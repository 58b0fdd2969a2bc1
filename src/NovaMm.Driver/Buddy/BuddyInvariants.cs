using System.Numerics;
using System.Runtime.CompilerServices;

namespace NovaMm.Driver.Buddy;

/// <summary>
/// Structural checker for <see cref="GpuBuddy"/> (a port of <c>check_mm</c> from the old KUnit suite
/// <c>drivers/gpu/drm/tests/drm_buddy_test.c</c>, extended with clear tracking and the free trees): roots back-to-back,
/// block geometry, canonical form, accounting sums, free-tree membership and keys, red-black properties and the
/// augmented subtree alignment.
/// </summary>
public static class BuddyInvariants
{
    private static long s_stamp;

    /// <summary>Checks every invariant; throws on the first violation.</summary>
    /// <param name="mm">The allocator to check.</param>
    /// <exception cref="InvalidOperationException">An invariant does not hold; the message says which.</exception>
    public static void Check(GpuBuddy mm)
    {
        ArgumentNullException.ThrowIfNull(mm);
        long stamp = Interlocked.Increment(ref s_stamp);
        ulong treeNodes = 0;
        for (int t = 0; t < 2; t++)
        {
            for (int o = 0; o <= mm.MaxOrder; o++)
            {
                FreeTree tree = mm.FreeTrees[t][o];
                CheckTree(tree, t, o, stamp);
                treeNodes += tree.Count;
            }
        }

        IReadOnlyList<BuddyBlock> roots = mm.RootBlocks;
        Require(roots.Count == BitOperations.PopCount(mm.Size), $"n_roots {roots.Count} != popcount(size 0x{mm.Size:x})");
        Require(mm.ClearAvail <= mm.Avail && mm.Avail <= mm.Size, $"need clear_avail 0x{mm.ClearAvail:x} <= avail 0x{mm.Avail:x} <= size 0x{mm.Size:x}");

        ulong expectOffset = 0;
        ulong freeBytes = 0;
        ulong clearBytes = 0;
        ulong freeBlocks = 0;
        var stack = new Stack<BuddyBlock>();
        for (int i = 0; i < roots.Count; i++)
        {
            BuddyBlock r = roots[i];
            Require(r.Off == expectOffset, $"root {i} at 0x{r.Off:x}, expected 0x{expectOffset:x}");
            Require(r.Parent is null, $"root {i} has a parent");
            if (i == 0)
            {
                Require(r.Ord == mm.MaxOrder, $"root 0 order {r.Ord} != max_order {mm.MaxOrder}");
            }
            else
            {
                Require(r.Ord < roots[i - 1].Ord, $"root {i} order {r.Ord} not below the previous root's");
            }

            expectOffset += mm.BlockSize(r);
            stack.Push(r);
        }

        Require(expectOffset == mm.Size, $"roots sum to 0x{expectOffset:x}, size is 0x{mm.Size:x}");

        while (stack.Count > 0)
        {
            BuddyBlock b = stack.Pop();
            ulong size = mm.BlockSize(b);
            Require(b.Ord >= 0 && b.Ord <= mm.MaxOrder, $"block 0x{b.Off:x} has order {b.Ord}");
            Require((b.Off & (size - 1)) == 0, $"block 0x{b.Off:x} not aligned to its size 0x{size:x}");
            switch (b.State)
            {
                case BlockState.Split:
                    Require(!b.ClearBit, $"split block 0x{b.Off:x} carries CLEAR");
                    Require(b.Left is not null && b.Right is not null, $"split block 0x{b.Off:x} lacks children");
                    BuddyBlock l = b.Left!;
                    BuddyBlock rr = b.Right!;
                    Require(l.Parent == b && rr.Parent == b, $"children of 0x{b.Off:x} do not point back");
                    Require(l.Ord == b.Ord - 1 && rr.Ord == b.Ord - 1, $"children of 0x{b.Off:x} have wrong order");
                    Require(l.Off == b.Off && rr.Off == b.Off + (size >> 1), $"children of 0x{b.Off:x} at wrong offsets");
                    Require(!(l.State == BlockState.Free && rr.State == BlockState.Free && l.ClearBit == rr.ClearBit),
                        $"free buddies 0x{l.Off:x}/0x{rr.Off:x} with the same clear state were not merged");
                    Require((l.Off ^ (size >> 1)) == rr.Off, $"buddy offsets of 0x{b.Off:x} are not XOR-related");
                    stack.Push(rr);
                    stack.Push(l);
                    break;
                case BlockState.Free:
                    Require(b.Left is null && b.Right is null, $"free block 0x{b.Off:x} has children");
                    freeBytes += size;
                    if (b.ClearBit)
                    {
                        clearBytes += size;
                    }

                    freeBlocks++;

                    // The tree walk stamped every node it found and checked that the node's order and clear flag
                    // match its tree, so a stamped free block sits in its own tree.
                    Require(b.CheckStamp == stamp, $"free block 0x{b.Off:x} (order {b.Ord}, clear {b.ClearBit}) is not in its free tree");
                    break;
                case BlockState.Allocated:
                    Require(b.Left is null && b.Right is null, $"allocated block 0x{b.Off:x} has children");
                    break;
                default:
                    throw new InvalidOperationException($"block 0x{b.Off:x} has state {b.State}");
            }
        }

        Require(freeBytes == mm.Avail, $"free blocks sum to 0x{freeBytes:x}, avail is 0x{mm.Avail:x}");
        Require(clearBytes == mm.ClearAvail, $"clear free blocks sum to 0x{clearBytes:x}, clear_avail is 0x{mm.ClearAvail:x}");

        Require(freeBlocks == treeNodes, $"the free trees hold {treeNodes} nodes, the buddy tree has {freeBlocks} free blocks");
    }

    /// <summary>Checks one free tree: red-black properties, key order, parent links, node state, augmentation.</summary>
    internal static void CheckTree(FreeTree tree, int t, int o) => CheckTree(tree, t, o, Interlocked.Increment(ref s_stamp));

    private static void CheckTree(FreeTree tree, int t, int o, long stamp)
    {
        if (tree.Root is null)
        {
            return;
        }

        Require(!tree.Root.RbRed, $"tree ({t},{o}) root is red");
        Require(tree.Root.RbParent is null, $"tree ({t},{o}) root has a parent");
        ulong count = 0;
        Walk(tree.Root, t, o, ulong.MinValue, ulong.MaxValue, stamp, ref count);
        Require(count == tree.Count, $"tree ({t},{o}) holds {count} nodes, count says {tree.Count}");
    }

    // Returns the black height.
    private static int Walk(BuddyBlock? n, int t, int o, ulong lo, ulong hi, long stamp, ref ulong count)
    {
        if (n is null)
        {
            return 1;
        }

        count++;
        n.CheckStamp = stamp;
        Require(n.State == BlockState.Free, $"tree ({t},{o}) holds non-free block 0x{n.Off:x}");
        Require(n.Ord == o && (n.ClearBit ? 0 : 1) == t, $"block 0x{n.Off:x} (order {n.Ord}, clear {n.ClearBit}) is in tree ({t},{o})");
        Require(n.Off >= lo && n.Off <= hi, $"tree ({t},{o}) key 0x{n.Off:x} out of order");
        if (n.RbRed)
        {
            Require(n.RbLeft is not { RbRed: true } && n.RbRight is not { RbRed: true }, $"tree ({t},{o}) red node 0x{n.Off:x} has a red child");
        }

        if (n.RbLeft is not null)
        {
            Require(n.RbLeft.RbParent == n, $"tree ({t},{o}) parent link broken below 0x{n.Off:x}");
        }

        if (n.RbRight is not null)
        {
            Require(n.RbRight.RbParent == n, $"tree ({t},{o}) parent link broken below 0x{n.Off:x}");
        }

        int lh = Walk(n.RbLeft, t, o, lo, n.Off == 0 ? 0 : n.Off - 1, stamp, ref count);
        int rh = Walk(n.RbRight, t, o, n.Off + 1, hi, stamp, ref count);
        Require(lh == rh, $"tree ({t},{o}) black heights differ at 0x{n.Off:x}");
        int max = FreeTree.Alignment(n.Off);
        if (n.RbLeft is not null)
        {
            max = Math.Max(max, n.RbLeft.SubtreeMaxAlignment);
        }

        if (n.RbRight is not null)
        {
            max = Math.Max(max, n.RbRight.SubtreeMaxAlignment);
        }

        Require(n.SubtreeMaxAlignment == max, $"tree ({t},{o}) subtree alignment of 0x{n.Off:x} is {n.SubtreeMaxAlignment}, expected {max}");
        return lh + (n.RbRed ? 0 : 1);
    }

    private static void Require(bool condition, [InterpolatedStringHandlerArgument(nameof(condition))] ref RequireMessage message)
    {
        if (!condition)
        {
            throw new InvalidOperationException("buddy invariant violated: " + message.ToStringAndClear());
        }
    }

    /// <summary>Formats a <see cref="Require"/> message only when the condition fails (the checker runs after every step).</summary>
    [InterpolatedStringHandler]
    internal ref struct RequireMessage
    {
        private DefaultInterpolatedStringHandler _inner;

        public RequireMessage(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
        {
            shouldAppend = !condition;
            _inner = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
        }

        public void AppendLiteral(string value) => _inner.AppendLiteral(value);

        public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);

        public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);

        public string ToStringAndClear() => _inner.ToStringAndClear();
    }
}
