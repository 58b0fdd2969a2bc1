using NovaMm.Driver.Buddy;

namespace NovaMm.Driver.Tests.Buddy;

/// <summary>The red-black free tree on its own: textbook shapes, red-black properties, order, aligned search.</summary>
public sealed class FreeTreeTests
{
    private static readonly GpuBuddy Owner = new(1UL << 40, 4096);

    private static BuddyBlock Node(ulong offset) => new(Owner, null, 0, offset) { State = BlockState.Free };

    [Fact]
    public void AscendingInsertsGiveTheTextbookShape()
    {
        var tree = new FreeTree();
        BuddyBlock[] n = [Node(0x0000), Node(0x2000), Node(0x4000), Node(0x6000)];
        foreach (BuddyBlock b in n)
        {
            tree.Insert(b);
        }

        // 2nd at the root (black), 1st and 3rd black children, 4th red right child of the 3rd.
        Assert.Same(n[1], tree.Root);
        Assert.Same(n[0], n[1].RbLeft);
        Assert.Same(n[2], n[1].RbRight);
        Assert.Same(n[3], n[2].RbRight);
        Assert.False(n[0].RbRed || n[1].RbRed || n[2].RbRed);
        Assert.True(n[3].RbRed);

        // Post-order starts at the 1st; erasing it rotates the 3rd to the root, so the walk never reaches the 2nd.
        Assert.Same(n[0], tree.FirstPostorder());
        Assert.Same(n[3], FreeTree.NextPostorder(n[0]));
        tree.Remove(n[0]);
        Assert.Same(n[2], tree.Root);
        Assert.Same(n[2], FreeTree.NextPostorder(n[3]));
        BuddyInvariants.CheckTree(tree, GpuBuddy.DirtyTree, 0);
    }

    [Fact]
    public void TwoChildEraseUsesTheInOrderSuccessor()
    {
        var tree = new FreeTree();
        BuddyBlock[] n = Enumerable.Range(0, 7).Select(i => Node((ulong)i * 0x1000)).ToArray();
        foreach (int i in new[] { 3, 1, 5, 0, 2, 4, 6 })
        {
            tree.Insert(n[i]);
        }

        tree.Remove(n[3]);
        Assert.Same(n[4], tree.Root);
        Assert.Same(n[5], n[4].RbRight);
        BuddyInvariants.CheckTree(tree, GpuBuddy.DirtyTree, 0);
    }

    [Fact]
    public void RandomInsertsAndRemovesKeepRedBlackOrderAndAugmentation()
    {
        var rng = new Random(CheckedBuddy.Seed(1234));
        var tree = new FreeTree();
        var model = new SortedDictionary<ulong, BuddyBlock>();
        for (int step = 0; step < 4000; step++)
        {
            if (model.Count == 0 || rng.Next(3) != 0)
            {
                ulong off = (ulong)rng.NextInt64(0, 1 << 20) * 4096;
                if (model.ContainsKey(off))
                {
                    continue;
                }

                BuddyBlock b = Node(off);
                tree.Insert(b);
                model.Add(off, b);
            }
            else
            {
                ulong key = model.Keys.ElementAt(rng.Next(model.Count));
                tree.Remove(model[key]);
                model.Remove(key);
            }

            if (step % 50 == 0)
            {
                BuddyInvariants.CheckTree(tree, GpuBuddy.DirtyTree, 0);
                var inOrder = new List<ulong>();
                for (BuddyBlock? x = tree.First(); x is not null; x = FreeTree.Next(x))
                {
                    inOrder.Add(x.Offset);
                }

                Assert.Equal(model.Keys.ToList(), inOrder);
                Assert.Equal((ulong)model.Count, tree.Count);
                Assert.Equal(model.Count == 0 ? null : model.Values.Last(), tree.Last());
                for (int align = 12; align <= 33; align += 3)
                {
                    BuddyBlock? linear = model.Values.Reverse().FirstOrDefault(v => FreeTree.Alignment(v.Offset) >= align);
                    Assert.Same(linear, tree.FindAligned(align));
                }
            }
        }
    }

    [Fact]
    public void InvariantCheckerDetectsCorruption()
    {
        static GpuBuddy Fresh()
        {
            var mm = new GpuBuddy(64 * 1024, 4096);
            mm.Alloc(0, 0, 4096, 4096);
            BuddyInvariants.Check(mm);
            return mm;
        }

        GpuBuddy a = Fresh();
        a.FreeTrees[GpuBuddy.DirtyTree][0].Root!.ClearBit = true; // free block in the wrong tree
        Assert.Throws<InvalidOperationException>(() => BuddyInvariants.Check(a));

        GpuBuddy b = Fresh();
        b.FreeTrees[GpuBuddy.DirtyTree][3].Root!.RbRed = true; // red root
        Assert.Throws<InvalidOperationException>(() => BuddyInvariants.Check(b));

        GpuBuddy c = Fresh();
        c.FreeTrees[GpuBuddy.DirtyTree][2].Root!.SubtreeMaxAlignment = 3; // stale augmentation
        Assert.Throws<InvalidOperationException>(() => BuddyInvariants.Check(c));

        GpuBuddy d = Fresh();
        BuddyBlock node = d.FreeTrees[GpuBuddy.DirtyTree][1].Root!;
        d.FreeTrees[GpuBuddy.DirtyTree][1].Remove(node); // free block missing from its tree
        Assert.Throws<InvalidOperationException>(() => BuddyInvariants.Check(d));
    }
}
