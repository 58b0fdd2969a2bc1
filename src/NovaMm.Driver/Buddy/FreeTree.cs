using System.Numerics;
using System.Runtime.CompilerServices;

namespace NovaMm.Driver.Buddy;

/// <summary>
/// One free tree of the allocator: a textbook red-black tree (CLRS 3rd ed. §13.3–13.4) of free blocks keyed by offset,
/// augmented with the maximum offset alignment of each subtree (<c>subtree_max_alignment</c> in
/// <c>include/linux/gpu_buddy.h</c>, maintained as <c>drivers/gpu/buddy.c</c> does with <c>RB_DECLARE_CALLBACKS_MAX</c>).
/// The tree's shape is observable through <see cref="GpuBuddy.ResetClear"/>, so insert and erase follow the textbook
/// exactly: insert descends left when the new key is smaller, else right; erase replaces a node that has two children
/// by its in-order successor, which takes the node's colour.
/// </summary>
internal sealed class FreeTree
{
    /// <summary>Root of the tree, or null when empty.</summary>
    public BuddyBlock? Root;

    /// <summary>Number of blocks in the tree.</summary>
    public ulong Count;

    /// <summary>Offset alignment used by the aligned search: trailing zero bits of the byte offset; offset 0 counts as 65.</summary>
    public static int Alignment(ulong offset) => offset == 0 ? 65 : BitOperations.TrailingZeroCount(offset);

    private static int Aug(BuddyBlock? n) => n is null ? -1 : n.SubtreeMaxAlignment;

    /// <summary>The subtree maximum of <paramref name="n"/> from its own offset and its children's maxima.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SubtreeMax(BuddyBlock n) => Math.Max(Alignment(n.Off), Math.Max(Aug(n.RbLeft), Aug(n.RbRight)));

    private static void Recompute(BuddyBlock n) => n.SubtreeMaxAlignment = SubtreeMax(n);

    /// <summary>
    /// Recomputes the subtree maxima from <paramref name="n"/> upwards, stopping below <paramref name="stop"/> or at the
    /// first node whose value does not change (its ancestors then cannot change either), as the kernel's propagate callback.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PropagateUp(BuddyBlock? n, BuddyBlock? stop = null)
    {
        for (; n is not null && n != stop; n = n.RbParent)
        {
            int m = SubtreeMax(n);
            if (n.SubtreeMaxAlignment == m)
            {
                return;
            }

            n.SubtreeMaxAlignment = m;
        }
    }

    /// <summary>Inserts a free block (CLRS RB-INSERT).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Insert(BuddyBlock z)
    {
        BuddyBlock? y = null;
        BuddyBlock? x = Root;
        int a = Alignment(z.Off);
        while (x is not null)
        {
            y = x;
            if (x.SubtreeMaxAlignment < a)
            {
                x.SubtreeMaxAlignment = a;
            }

            x = z.Off < x.Off ? x.RbLeft : x.RbRight;
        }

        z.RbParent = y;
        z.RbLeft = null;
        z.RbRight = null;
        z.RbRed = true;
        z.SubtreeMaxAlignment = a;
        if (y is null)
        {
            Root = z;
        }
        else if (z.Off < y.Off)
        {
            y.RbLeft = z;
        }
        else
        {
            y.RbRight = z;
        }

        Count++;
        InsertFixup(z);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void InsertFixup(BuddyBlock z)
    {
        while (z.RbParent is { RbRed: true } p)
        {
            BuddyBlock g = p.RbParent!;
            if (p == g.RbLeft)
            {
                BuddyBlock? u = g.RbRight;
                if (u is { RbRed: true })
                {
                    p.RbRed = false;
                    u.RbRed = false;
                    g.RbRed = true;
                    z = g;
                }
                else
                {
                    if (z == p.RbRight)
                    {
                        z = p;
                        RotateLeft(z);
                        p = z.RbParent!;
                    }

                    p.RbRed = false;
                    g.RbRed = true;
                    RotateRight(g);
                }
            }
            else
            {
                BuddyBlock? u = g.RbLeft;
                if (u is { RbRed: true })
                {
                    p.RbRed = false;
                    u.RbRed = false;
                    g.RbRed = true;
                    z = g;
                }
                else
                {
                    if (z == p.RbLeft)
                    {
                        z = p;
                        RotateRight(z);
                        p = z.RbParent!;
                    }

                    p.RbRed = false;
                    g.RbRed = true;
                    RotateLeft(g);
                }
            }
        }

        Root!.RbRed = false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RotateLeft(BuddyBlock x)
    {
        BuddyBlock y = x.RbRight!;
        x.RbRight = y.RbLeft;
        if (y.RbLeft is not null)
        {
            y.RbLeft.RbParent = x;
        }

        y.RbParent = x.RbParent;
        if (x.RbParent is null)
        {
            Root = y;
        }
        else if (x == x.RbParent.RbLeft)
        {
            x.RbParent.RbLeft = y;
        }
        else
        {
            x.RbParent.RbRight = y;
        }

        y.RbLeft = x;
        x.RbParent = y;
        y.SubtreeMaxAlignment = x.SubtreeMaxAlignment;
        Recompute(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RotateRight(BuddyBlock x)
    {
        BuddyBlock y = x.RbLeft!;
        x.RbLeft = y.RbRight;
        if (y.RbRight is not null)
        {
            y.RbRight.RbParent = x;
        }

        y.RbParent = x.RbParent;
        if (x.RbParent is null)
        {
            Root = y;
        }
        else if (x == x.RbParent.RbRight)
        {
            x.RbParent.RbRight = y;
        }
        else
        {
            x.RbParent.RbLeft = y;
        }

        y.RbRight = x;
        x.RbParent = y;
        y.SubtreeMaxAlignment = x.SubtreeMaxAlignment;
        Recompute(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Transplant(BuddyBlock u, BuddyBlock? v)
    {
        if (u.RbParent is null)
        {
            Root = v;
        }
        else if (u == u.RbParent.RbLeft)
        {
            u.RbParent.RbLeft = v;
        }
        else
        {
            u.RbParent.RbRight = v;
        }

        if (v is not null)
        {
            v.RbParent = u.RbParent;
        }
    }

    /// <summary>Removes a block from the tree (CLRS RB-DELETE with the in-order successor).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Remove(BuddyBlock z)
    {
        BuddyBlock? x;
        BuddyBlock? xParent;
        bool removedBlack;
        if (z.RbLeft is null)
        {
            x = z.RbRight;
            xParent = z.RbParent;
            removedBlack = !z.RbRed;
            Transplant(z, x);
            PropagateUp(xParent);
        }
        else if (z.RbRight is null)
        {
            x = z.RbLeft;
            xParent = z.RbParent;
            removedBlack = !z.RbRed;
            Transplant(z, x);
            PropagateUp(xParent);
        }
        else
        {
            BuddyBlock y = z.RbRight;
            while (y.RbLeft is not null)
            {
                y = y.RbLeft;
            }

            removedBlack = !y.RbRed;
            x = y.RbRight;

            // The successor takes over the node's subtree value; the early exits below compare against it.
            y.SubtreeMaxAlignment = z.SubtreeMaxAlignment;
            bool deep = y.RbParent != z;
            if (!deep)
            {
                xParent = y;
            }
            else
            {
                xParent = y.RbParent;
                Transplant(y, y.RbRight);
                y.RbRight = z.RbRight;
                y.RbRight.RbParent = y;
            }

            Transplant(z, y);
            y.RbLeft = z.RbLeft;
            y.RbLeft.RbParent = y;
            y.RbRed = z.RbRed;
            if (deep)
            {
                PropagateUp(xParent, y);
            }

            PropagateUp(y);
        }

        Count--;
        z.RbParent = null;
        z.RbLeft = null;
        z.RbRight = null;
        if (removedBlack)
        {
            DeleteFixup(x, xParent);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DeleteFixup(BuddyBlock? x, BuddyBlock? xParent)
    {
        while (x != Root && (x is null || !x.RbRed))
        {
            BuddyBlock p = xParent!;
            if (x == p.RbLeft)
            {
                BuddyBlock w = p.RbRight!;
                if (w.RbRed)
                {
                    w.RbRed = false;
                    p.RbRed = true;
                    RotateLeft(p);
                    w = p.RbRight!;
                }

                if ((w.RbLeft is null || !w.RbLeft.RbRed) && (w.RbRight is null || !w.RbRight.RbRed))
                {
                    w.RbRed = true;
                    x = p;
                    xParent = p.RbParent;
                }
                else
                {
                    if (w.RbRight is null || !w.RbRight.RbRed)
                    {
                        w.RbLeft!.RbRed = false;
                        w.RbRed = true;
                        RotateRight(w);
                        w = p.RbRight!;
                    }

                    w.RbRed = p.RbRed;
                    p.RbRed = false;
                    w.RbRight!.RbRed = false;
                    RotateLeft(p);
                    x = Root;
                    xParent = null;
                }
            }
            else
            {
                BuddyBlock w = p.RbLeft!;
                if (w.RbRed)
                {
                    w.RbRed = false;
                    p.RbRed = true;
                    RotateRight(p);
                    w = p.RbLeft!;
                }

                if ((w.RbRight is null || !w.RbRight.RbRed) && (w.RbLeft is null || !w.RbLeft.RbRed))
                {
                    w.RbRed = true;
                    x = p;
                    xParent = p.RbParent;
                }
                else
                {
                    if (w.RbLeft is null || !w.RbLeft.RbRed)
                    {
                        w.RbRight!.RbRed = false;
                        w.RbRed = true;
                        RotateLeft(w);
                        w = p.RbLeft!;
                    }

                    w.RbRed = p.RbRed;
                    p.RbRed = false;
                    w.RbLeft!.RbRed = false;
                    RotateRight(p);
                    x = Root;
                    xParent = null;
                }
            }
        }

        if (x is not null)
        {
            x.RbRed = false;
        }
    }

    /// <summary>The highest-offset block, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public BuddyBlock? Last()
    {
        BuddyBlock? n = Root;
        if (n is null)
        {
            return null;
        }

        while (n.RbRight is not null)
        {
            n = n.RbRight;
        }

        return n;
    }

    /// <summary>The block with the highest offset that is at most <paramref name="key"/>, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public BuddyBlock? Floor(ulong key)
    {
        BuddyBlock? n = Root;
        BuddyBlock? best = null;
        while (n is not null)
        {
            if (n.Off <= key)
            {
                best = n;
                n = n.RbRight;
            }
            else
            {
                n = n.RbLeft;
            }
        }

        return best;
    }

    /// <summary>The in-order predecessor of <paramref name="n"/>, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static BuddyBlock? Prev(BuddyBlock n)
    {
        if (n.RbLeft is not null)
        {
            n = n.RbLeft;
            while (n.RbRight is not null)
            {
                n = n.RbRight;
            }

            return n;
        }

        BuddyBlock? p = n.RbParent;
        while (p is not null && n == p.RbLeft)
        {
            n = p;
            p = p.RbParent;
        }

        return p;
    }

    /// <summary>The in-order successor of <paramref name="n"/>, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static BuddyBlock? Next(BuddyBlock n)
    {
        if (n.RbRight is not null)
        {
            n = n.RbRight;
            while (n.RbLeft is not null)
            {
                n = n.RbLeft;
            }

            return n;
        }

        BuddyBlock? p = n.RbParent;
        while (p is not null && n == p.RbRight)
        {
            n = p;
            p = p.RbParent;
        }

        return p;
    }

    /// <summary>The lowest-offset block, or null.</summary>
    public BuddyBlock? First()
    {
        BuddyBlock? n = Root;
        if (n is null)
        {
            return null;
        }

        while (n.RbLeft is not null)
        {
            n = n.RbLeft;
        }

        return n;
    }

    /// <summary>First node of a post-order walk: from the root, go left if possible, else right, down to a leaf.</summary>
    public BuddyBlock? FirstPostorder() => Root is null ? null : LeftDeepest(Root);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static BuddyBlock LeftDeepest(BuddyBlock n)
    {
        while (true)
        {
            if (n.RbLeft is not null)
            {
                n = n.RbLeft;
            }
            else if (n.RbRight is not null)
            {
                n = n.RbRight;
            }
            else
            {
                return n;
            }
        }
    }

    /// <summary>Post-order successor of <paramref name="n"/> in the tree as it stands now.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static BuddyBlock? NextPostorder(BuddyBlock n)
    {
        BuddyBlock? p = n.RbParent;
        if (p is not null && n == p.RbLeft && p.RbRight is not null)
        {
            return LeftDeepest(p.RbRight);
        }

        return p;
    }

    /// <summary>
    /// The highest-offset block whose offset alignment is at least <paramref name="alignment"/>, or null; uses the
    /// subtree maxima, and finds the same block as a linear scan from the highest offset down.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public BuddyBlock? FindAligned(int alignment)
    {
        BuddyBlock? n = Root;
        while (n is not null)
        {
            if (n.RbRight is not null && n.RbRight.SubtreeMaxAlignment >= alignment)
            {
                n = n.RbRight;
                continue;
            }

            if (Alignment(n.Off) >= alignment)
            {
                return n;
            }

            if (n.RbLeft is not null && n.RbLeft.SubtreeMaxAlignment >= alignment)
            {
                n = n.RbLeft;
                continue;
            }

            break;
        }

        return null;
    }
}
