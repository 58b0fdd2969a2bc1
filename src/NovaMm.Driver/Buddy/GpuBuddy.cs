using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace NovaMm.Driver.Buddy;

/// <summary>
/// Port of Linux's GPU buddy allocator (<c>drivers/gpu/buddy.c</c>, the allocator nova-core uses for VRAM and VA
/// ranges; see docs/buddy.md and docs/sources.md). It manages <c>[0, Size)</c> in power-of-two blocks of
/// <see cref="ChunkSize"/> &lt;&lt; order bytes, with one root per set bit of the size, free blocks kept in one
/// red-black tree per (clear|dirty, order), and the kernel's exact placement, list order, force-merge, try-harder and
/// trim behaviour. Offsets passed to and reported by the allocator are allocator-relative; <see cref="BuddyBlock.Address"/>
/// adds <see cref="BaseOffset"/> as nova's Rust binding does.
/// </summary>
/// <remarks>
/// The hot paths are marked <see cref="MethodImplOptions.AggressiveOptimization"/>: they are compiled fully optimised on
/// first use instead of starting in tier-0 code, which matters for short-lived tools and the first allocations at boot.
/// Not thread-safe: as in the kernel, the caller holds one lock around every call (it guards all of the allocator's
/// state: trees, blocks, counters). A failed call changes no allocation and no <see cref="Avail"/>; a failed allocation
/// may leave the force-merges it did (<c>__force_merge</c>; docs/buddy-trace.md), a failed trim changes nothing.
/// </remarks>
public sealed class GpuBuddy
{
    /// <summary>Largest order the allocator supports (<c>GPU_BUDDY_MAX_ORDER</c> = 63 − 12).</summary>
    public const int MaxSupportedOrder = 51;

    internal const int Success = 0;
    internal const int Einval = -22;
    internal const int Enospc = -28;
    internal const int Enomem = -12;

    internal const int ClearTree = 0;
    internal const int DirtyTree = 1;

    private const BuddyFlags KnownFlags = BuddyFlags.Range | BuddyFlags.TopDown | BuddyFlags.Contiguous |
                                          BuddyFlags.Clear | BuddyFlags.Cleared | BuddyFlags.TrimDisable;

    internal readonly FreeTree[][] FreeTrees;
    internal readonly BuddyBlock[] Roots;
    private readonly int _chunkShift;
    private readonly BlockStack _dfs = new();

    // Nodes merged away, kept for reuse by later splits (the kernel returns them to its slab cache). Reusing them keeps
    // the steady state free of allocations, so the garbage collector does not copy surviving tree nodes around.
    private readonly List<BuddyBlock> _lhsScratch = [];

    // Bit o of _nonEmpty[t] is set while FreeTrees[t][o] holds a block: the free-tree searches jump straight to the next
    // non-empty order instead of looking at every empty tree on the way (same result, fewer memory loads).
    private readonly ulong[] _nonEmpty = new ulong[2];
    private readonly List<BuddyBlock> _trimScratch = [];
    private BuddyBlock[] _spare = new BuddyBlock[256];
    private int _spareCount;
    // The last EINVAL, kept as a kind and its values: the message is only formatted when a throwing call needs it, so a
    // rejected TryAlloc/TryTrim costs no string work.
    private int _errKind;
    private ulong _errA;
    private ulong _errB;
    private ulong _errC;
    private bool _finished;

    /// <summary>Creates an allocator managing <c>[0, size)</c>, <paramref name="size"/> rounded down to the chunk size (<c>gpu_buddy_init</c>).</summary>
    /// <param name="size">Bytes to manage; at least <paramref name="chunkSize"/>.</param>
    /// <param name="chunkSize">Smallest block size: a power of two of at least 4 KiB.</param>
    /// <param name="baseOffset">Added to every block's offset to form <see cref="BuddyBlock.Address"/> (nova's <c>base_offset</c>).</param>
    /// <exception cref="BuddyException"><see cref="BuddyErrorCode.Einval"/> when the size or chunk size is invalid.</exception>
    public GpuBuddy(ulong size, ulong chunkSize, ulong baseOffset = 0)
    {
        if (size < chunkSize)
        {
            throw new BuddyException(BuddyErrorCode.Einval, $"size 0x{size:x} is smaller than chunk size 0x{chunkSize:x}");
        }

        if (chunkSize < 4096)
        {
            throw new BuddyException(BuddyErrorCode.Einval, $"chunk size 0x{chunkSize:x} is below 4 KiB");
        }

        if (!BitOperations.IsPow2(chunkSize))
        {
            throw new BuddyException(BuddyErrorCode.Einval, $"chunk size 0x{chunkSize:x} is not a power of two");
        }

        RequestedSize = size;
        BaseOffset = baseOffset;
        size &= ~(chunkSize - 1);
        Size = size;
        Avail = size;
        ClearAvail = 0;
        ChunkSize = chunkSize;
        _chunkShift = BitOperations.Log2(chunkSize);
        MaxOrder = BitOperations.Log2(size) - _chunkShift;
        FreeTrees = new FreeTree[2][];
        for (int t = 0; t < 2; t++)
        {
            FreeTrees[t] = new FreeTree[MaxOrder + 1];
            for (int o = 0; o <= MaxOrder; o++)
            {
                FreeTrees[t][o] = new FreeTree();
            }
        }

        Roots = new BuddyBlock[BitOperations.PopCount(size)];
        ulong offset = 0;
        int i = 0;
        do
        {
            int order = BitOperations.Log2(size) - _chunkShift;
            var root = new BuddyBlock(this, null, order, offset);
            MarkFree(root);
            Roots[i++] = root;
            ulong rootSize = chunkSize << order;
            offset += rootSize;
            size -= rootSize;
        }
        while (size != 0);
    }

    /// <summary>Managed size in bytes: the size given at creation rounded down to the chunk size (<c>mm-&gt;size</c>).</summary>
    public ulong Size { get; }

    /// <summary>The size given at creation, before rounding (what nova's binding returns from <c>size()</c>).</summary>
    public ulong RequestedSize { get; }

    /// <summary>Smallest block size in bytes.</summary>
    public ulong ChunkSize { get; }

    /// <summary>Order of the largest root: log2(size) − log2(chunk size).</summary>
    public int MaxOrder { get; }

    /// <summary>Added to block offsets to form absolute addresses (<see cref="BuddyBlock.Address"/>).</summary>
    public ulong BaseOffset { get; }

    /// <summary>Free bytes (<c>avail</c>).</summary>
    public ulong Avail { get; private set; }

    /// <summary>Free bytes in the clear trees (<c>clear_avail</c>), a subset of <see cref="Avail"/>.</summary>
    public ulong ClearAvail { get; private set; }

    /// <summary>Number of root blocks: one per set bit of <see cref="Size"/>.</summary>
    public int RootCount => Roots.Length;

    /// <summary>Root blocks in address order (for invariant checks and dumps).</summary>
    internal IReadOnlyList<BuddyBlock> RootBlocks => Roots;

    // ------------------------------------------------------------------------------------------------------------
    // Public API
    // ------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Allocates <paramref name="size"/> bytes (<c>gpu_buddy_alloc_blocks</c>) and returns the blocks in the kernel's
    /// list order. <paramref name="start"/>/<paramref name="end"/> are allocator-relative; <c>start + size == end</c>
    /// makes an exact-range allocation whatever the flags.
    /// </summary>
    /// <param name="start">Start of the window (used by <see cref="BuddyFlags.Range"/>, the exact-range rule and the force-merge).</param>
    /// <param name="end">End of the window, exclusive; 0 with <see cref="BuddyFlags.Range"/> means the end of the space.</param>
    /// <param name="size">Bytes to allocate, a multiple of the chunk size.</param>
    /// <param name="minBlockSize">Smallest block (and alignment) to use, a power of two ≥ chunk size.</param>
    /// <param name="flags">Allocation flags (<see cref="BuddyFlags.Cleared"/> is ignored).</param>
    /// <returns>The allocated blocks, a new list owned by the caller.</returns>
    /// <exception cref="BuddyException">EINVAL (message names the bad value) or ENOSPC.</exception>
    public List<BuddyBlock> Alloc(ulong start, ulong end, ulong size, ulong minBlockSize, BuddyFlags flags = BuddyFlags.None)
    {
        if (!TryAlloc(start, end, size, minBlockSize, flags, out List<BuddyBlock>? blocks, out BuddyErrorCode error))
        {
            string message = error switch
            {
                BuddyErrorCode.Einval => LastError,
                BuddyErrorCode.Enospc => $"no space for 0x{size:x} bytes (min block 0x{minBlockSize:x}, flags {flags})",
                _ => "out of memory",
            };
            throw new BuddyException(error, message);
        }

        return blocks;
    }

    /// <summary>Like <see cref="Alloc"/>, but reports failure through the return value instead of an exception.</summary>
    /// <param name="start">Start of the window.</param>
    /// <param name="end">End of the window, exclusive.</param>
    /// <param name="size">Bytes to allocate.</param>
    /// <param name="minBlockSize">Smallest block size.</param>
    /// <param name="flags">Allocation flags.</param>
    /// <param name="blocks">The allocated blocks on success, else null.</param>
    /// <param name="error">The error on failure.</param>
    /// <returns>True on success.</returns>
    public bool TryAlloc(ulong start, ulong end, ulong size, ulong minBlockSize, BuddyFlags flags,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out List<BuddyBlock>? blocks, out BuddyErrorCode error)
    {
        ThrowIfFinished();
        if ((flags & ~KnownFlags) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(flags), flags, $"unknown buddy flag bits 0x{(uint)(flags & ~KnownFlags):x}");
        }

        var list = new List<BuddyBlock>();
        int err = AllocBlocks(start, end, size, minBlockSize, list, flags);
        if (err != Success)
        {
            blocks = null;
            error = (BuddyErrorCode)(-err);
            return false;
        }

        blocks = list;
        error = default;
        return true;
    }

    /// <summary>
    /// Like <see cref="TryAlloc(ulong, ulong, ulong, ulong, BuddyFlags, out List{BuddyBlock}?, out BuddyErrorCode)"/>, but
    /// puts the blocks into a list the caller provides, so that a caller can reuse its lists (for example a list that
    /// <see cref="FreeList"/> has emptied) and allocate nothing per call.
    /// </summary>
    /// <param name="start">Start of the window.</param>
    /// <param name="end">End of the window, exclusive.</param>
    /// <param name="size">Bytes to allocate.</param>
    /// <param name="minBlockSize">Smallest block size.</param>
    /// <param name="flags">Allocation flags.</param>
    /// <param name="blocks">An empty list; receives the blocks on success and stays empty on failure.</param>
    /// <param name="error">The error on failure.</param>
    /// <returns>True on success.</returns>
    /// <exception cref="ArgumentException"><paramref name="blocks"/> is not empty.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAllocInto(ulong start, ulong end, ulong size, ulong minBlockSize, BuddyFlags flags, List<BuddyBlock> blocks, out BuddyErrorCode error)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ThrowIfFinished();
        if ((flags & ~KnownFlags) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(flags), flags, $"unknown buddy flag bits 0x{(uint)(flags & ~KnownFlags):x}");
        }

        if (blocks.Count != 0)
        {
            throw new ArgumentException($"the block list must be empty, it holds {blocks.Count} blocks", nameof(blocks));
        }

        int err = AllocBlocks(start, end, size, minBlockSize, blocks, flags);
        error = err == Success ? default : (BuddyErrorCode)(-err);
        return err == Success;
    }

    /// <summary>Frees one allocated block (<c>gpu_buddy_free_block</c>), keeping its clear flag.</summary>
    /// <param name="block">An allocated block of this allocator.</param>
    /// <exception cref="InvalidOperationException">The block is not allocated (the kernel BUGs).</exception>
    public void FreeBlock(BuddyBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        CheckOwned(block);
        if (block.State != BlockState.Allocated)
        {
            throw new InvalidOperationException($"block 0x{block.Off:x} (order {block.Ord}) is not allocated");
        }

        FreeBlockCore(block);
    }

    /// <summary>
    /// Frees every block of <paramref name="blocks"/> (<c>gpu_buddy_free_list</c>) and empties the list: with
    /// <see cref="BuddyFlags.Cleared"/> the blocks become clear, otherwise dirty. All blocks are checked before any is freed.
    /// </summary>
    /// <param name="blocks">Allocated blocks of this allocator; emptied on return.</param>
    /// <param name="flags"><see cref="BuddyFlags.Cleared"/> or none.</param>
    /// <exception cref="InvalidOperationException">A block is not allocated or listed twice; nothing is freed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FreeList(List<BuddyBlock> blocks, BuddyFlags flags = BuddyFlags.None)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ValidateFreeList(blocks);
        bool markClear = (flags & BuddyFlags.Cleared) != 0;
        foreach (BuddyBlock b in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(blocks))
        {
            b.ClearBit = markClear;
            FreeBlockCore(b);
        }

        blocks.Clear();
    }

    /// <summary>
    /// Trims the single allocated block of <paramref name="blocks"/> (<c>gpu_buddy_block_trim</c>) so that only
    /// <c>[start, start + newSize)</c> stays allocated (default start: the block's offset); the list then holds the
    /// pieces in ascending order. Same size: no change, whatever <paramref name="start"/>.
    /// </summary>
    /// <param name="blocks">A list holding exactly one allocated block; updated in place.</param>
    /// <param name="newSize">New size, a non-zero multiple of the chunk size, at most the block size.</param>
    /// <param name="start">Allocator-relative start of the part to keep, or null for the block's start.</param>
    /// <exception cref="BuddyException">EINVAL; nothing changes.</exception>
    public void Trim(List<BuddyBlock> blocks, ulong newSize, ulong? start = null)
    {
        if (!TryTrim(blocks, newSize, start, out BuddyErrorCode error))
        {
            throw new BuddyException(error, LastError);
        }
    }

    /// <summary>Like <see cref="Trim"/>, reporting failure through the return value.</summary>
    /// <param name="blocks">A list holding exactly one allocated block.</param>
    /// <param name="newSize">New size.</param>
    /// <param name="start">Start of the part to keep, or null.</param>
    /// <param name="error">The error on failure.</param>
    /// <returns>True on success (including the same-size no-op).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryTrim(List<BuddyBlock> blocks, ulong newSize, ulong? start, out BuddyErrorCode error)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ThrowIfFinished();
        foreach (BuddyBlock b in blocks)
        {
            CheckOwned(b);
        }

        ulong s = start ?? 0;
        int err = BlockTrim(start.HasValue ? s : null, newSize, blocks);
        error = err == Success ? default : (BuddyErrorCode)(-err);
        return err == Success;
    }

    /// <summary>
    /// Sets the clear state of free memory (<c>gpu_buddy_reset_clear</c>): force-merges every root, then moves the
    /// blocks of the opposite trees, order by order, in a post-order walk that rebalancing makes skip some blocks
    /// (<c>rbtree_postorder_for_each_entry_safe</c> over a tree it modifies; docs/buddy.md).
    /// </summary>
    /// <param name="isClear">True to mark free memory clear, false to mark it dirty.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ResetClear(bool isClear)
    {
        ThrowIfFinished();
        ForceMergeAllRoots();
        int src = isClear ? DirtyTree : ClearTree;
        int dst = isClear ? ClearTree : DirtyTree;
        for (int o = 0; o <= MaxOrder; o++)
        {
            FreeTree tree = FreeTrees[src][o];
            BuddyBlock? pos = tree.FirstPostorder();
            while (pos is not null)
            {
                BuddyBlock? next = FreeTree.NextPostorder(pos);
                RbRemove(pos);
                ulong sz = BlockSize(pos);
                if (isClear)
                {
                    pos.ClearBit = true;
                    ClearAvail += sz;
                }
                else
                {
                    pos.ClearBit = false;
                    ClearAvail -= sz;
                }

                TreeInsert(dst, pos);
                pos = next;
            }
        }
    }

    /// <summary>
    /// Tears the allocator down (<c>gpu_buddy_fini</c>): force-merges every root and checks that each root is free and
    /// <see cref="Avail"/> equals <see cref="Size"/> (the kernel warns); afterwards the allocator refuses further calls.
    /// </summary>
    /// <exception cref="InvalidOperationException">Memory is still allocated.</exception>
    public void Fini()
    {
        ThrowIfFinished();
        ForceMergeAllRoots();
        _finished = true;
        foreach (BuddyBlock r in Roots)
        {
            if (r.State != BlockState.Free)
            {
                throw new InvalidOperationException($"fini: root 0x{r.Off:x} is not free");
            }
        }

        if (Avail != Size)
        {
            throw new InvalidOperationException($"fini: avail 0x{Avail:x} != size 0x{Size:x}");
        }
    }

    /// <summary>Every free block (clear and dirty trees, every order), in address order. O(free blocks).</summary>
    public List<BuddyBlock> FreeBlocks()
    {
        var blocks = new List<BuddyBlock>();
        foreach (var trees in FreeTrees)
        {
            foreach (var tree in trees)
            {
                for (var n = tree.First(); n is not null; n = FreeTree.Next(n))
                {
                    blocks.Add(n);
                }
            }
        }

        blocks.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        return blocks;
    }

    /// <summary>Free-block statistics per order, from <see cref="MaxOrder"/> down to 0.</summary>
    /// <returns>One entry per order.</returns>
    public BuddyOrderStats[] GetOrderStats()
    {
        var stats = new BuddyOrderStats[MaxOrder + 1];
        for (int o = MaxOrder; o >= 0; o--)
        {
            ulong clear = FreeTrees[ClearTree][o].Count;
            ulong count = clear + FreeTrees[DirtyTree][o].Count;
            stats[MaxOrder - o] = new BuddyOrderStats(o, count, count * (ChunkSize << o), clear);
        }

        return stats;
    }

    /// <summary>
    /// The allocator state in the kernel's <c>gpu_buddy_print</c> format: a header line, then one line per order from
    /// <see cref="MaxOrder"/> down to 0 (free bytes in KiB below 1 MiB, else MiB, and the block count).
    /// </summary>
    /// <returns>The lines, each ending in a newline.</returns>
    public string Print()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"chunk_size: {ChunkSize >> 10}KiB, total: {Size >> 20}MiB, free: {Avail >> 20}MiB, clear_free: {ClearAvail >> 20}MiB\n");
        foreach (BuddyOrderStats s in GetOrderStats())
        {
            if (s.FreeBytes < (1UL << 20))
            {
                sb.Append(CultureInfo.InvariantCulture, $"order-{s.Order,2} free: {s.FreeBytes >> 10,8} KiB, blocks: {s.FreeBlocks}\n");
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"order-{s.Order,2} free: {s.FreeBytes >> 20,8} MiB, blocks: {s.FreeBlocks}\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>One block in the kernel's <c>gpu_buddy_block_print</c> format: <c>%#018llx-%#018llx: %llu</c>.</summary>
    /// <param name="block">The block.</param>
    /// <returns>For example <c>0x0000000000001000-0x0000000000002000: 4096</c>.</returns>
    public static string FormatBlock(BuddyBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        ulong start = block.Off;
        ulong end = unchecked(start + block.Size);
        return $"{AltHex18(start)}-{AltHex18(end)}: {block.Size.ToString(CultureInfo.InvariantCulture)}";
    }

    // C's "%#018llx": a zero value gets no 0x prefix.
    private static string AltHex18(ulong v) => v == 0 ? new string('0', 18) : "0x" + v.ToString("x16", CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------------------------------------------------
    // Block helpers
    // ------------------------------------------------------------------------------------------------------------

    private void ThrowIfFinished()
    {
        if (_finished)
        {
            throw new InvalidOperationException("the buddy allocator has been torn down (Fini)");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckOwned(BuddyBlock block)
    {
        if (!ReferenceEquals(block.Owner, this))
        {
            ThrowNotOwned(block);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotOwned(BuddyBlock block) =>
        throw new ArgumentException($"block 0x{block.Off:x} belongs to another allocator", nameof(block));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ValidateFreeList(List<BuddyBlock> blocks)
    {
        if (blocks.Count <= 8)
        {
            // Short lists (almost all of them): look for duplicates by comparing with the earlier entries, which does not
            // write to the blocks; same checks, same order, same messages as the marking pass below.
            ReadOnlySpan<BuddyBlock> span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(blocks);
            for (int k = 0; k < span.Length; k++)
            {
                BuddyBlock b = span[k] ?? throw new ArgumentException($"block list entry {k} is null", nameof(blocks));
                CheckOwned(b);
                if (b.State != BlockState.Allocated)
                {
                    throw new InvalidOperationException($"block 0x{b.Off:x} (order {b.Ord}) is not allocated");
                }

                for (int j = 0; j < k; j++)
                {
                    if (ReferenceEquals(span[j], b))
                    {
                        throw new InvalidOperationException($"block 0x{b.Off:x} (order {b.Ord}) is listed twice");
                    }
                }
            }

            return;
        }

        int i = 0;
        string? problem = null;
        for (; i < blocks.Count; i++)
        {
            BuddyBlock b = blocks[i] ?? throw new ArgumentException($"block list entry {i} is null", nameof(blocks));
            CheckOwned(b);
            if (b.State != BlockState.Allocated)
            {
                problem = $"block 0x{b.Off:x} (order {b.Ord}) is not allocated";
                break;
            }

            if (b.Pending)
            {
                problem = $"block 0x{b.Off:x} (order {b.Ord}) is listed twice";
                break;
            }

            b.Pending = true;
        }

        for (int j = 0; j < i; j++)
        {
            blocks[j].Pending = false;
        }

        if (problem is not null)
        {
            throw new InvalidOperationException(problem);
        }
    }

    internal ulong BlockSize(BuddyBlock b) => ChunkSize << b.Ord;

    private static BuddyBlock? GetBuddy(BuddyBlock b)
    {
        BuddyBlock? p = b.Parent;
        if (p is null)
        {
            return null;
        }

        return p.Left == b ? p.Right : p.Left;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RbRemove(BuddyBlock b)
    {
        int t = b.ClearBit ? ClearTree : DirtyTree;
        FreeTree tree = FreeTrees[t][b.Ord];
        tree.Remove(b);
        if (tree.Root is null)
        {
            _nonEmpty[t] &= ~(1UL << b.Ord);
        }
    }

    /// <summary>The non-empty orders of tree <paramref name="t"/> from <paramref name="order"/> up (a bit mask by order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong NonEmptyFrom(int t, int order) => order > MaxOrder ? 0 : _nonEmpty[t] & (ulong.MaxValue << order);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TreeInsert(int t, BuddyBlock b)
    {
        FreeTrees[t][b.Ord].Insert(b);
        _nonEmpty[t] |= 1UL << b.Ord;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MarkAllocated(BuddyBlock b)
    {
        b.State = BlockState.Allocated;
        RbRemove(b);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MarkFree(BuddyBlock b)
    {
        b.State = BlockState.Free;
        TreeInsert(b.ClearBit ? ClearTree : DirtyTree, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MarkSplit(BuddyBlock b)
    {
        b.State = BlockState.Split;
        RbRemove(b);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DeleteNode(BuddyBlock b)
    {
        b.State = BlockState.Deleted;
        b.Left = null;
        b.Right = null;
        if (_spareCount == _spare.Length)
        {
            Array.Resize(ref _spare, _spare.Length * 2);
        }

        _spare[_spareCount++] = b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private BuddyBlock NewNode(BuddyBlock parent, int order, ulong offset)
    {
        if (_spareCount == 0)
        {
            return new BuddyBlock(this, parent, order, offset);
        }

        BuddyBlock b = _spare[--_spareCount];
        b.Reinit(parent, order, offset);
        return b;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SplitBlock(BuddyBlock b)
    {
        int childOrder = b.Ord - 1;
        ulong offset = b.Off;
        b.Left = NewNode(b, childOrder, offset);
        b.Right = NewNode(b, childOrder, offset + (ChunkSize << childOrder));
        MarkSplit(b);
        if (b.ClearBit)
        {
            b.Left.ClearBit = true;
            b.Right.ClearBit = true;
            b.ClearBit = false;
        }

        MarkFree(b.Left);
        MarkFree(b.Right);
    }

    /// <summary>Merges upward while the buddy is free (same clear state unless forced) and inserts the survivor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int FreeMerge(BuddyBlock block, bool forceMerge)
    {
        BuddyBlock? parent;
        while ((parent = block.Parent) is not null)
        {
            BuddyBlock buddy = GetBuddy(block)!;
            if (buddy.State != BlockState.Free)
            {
                break;
            }

            if (!forceMerge)
            {
                if (block.ClearBit != buddy.ClearBit)
                {
                    break;
                }

                if (block.ClearBit)
                {
                    parent.ClearBit = true;
                }
            }

            RbRemove(buddy);
            if (forceMerge && buddy.ClearBit)
            {
                ClearAvail -= BlockSize(buddy);
            }

            DeleteNode(block);
            DeleteNode(buddy);
            parent.Left = null;
            parent.Right = null;
            block = parent;
        }

        int order = block.Ord;
        MarkFree(block);
        return order;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FreeBlockCore(BuddyBlock block)
    {
        ulong sz = BlockSize(block);
        Avail += sz;
        if (block.ClearBit)
        {
            ClearAvail += sz;
        }

        FreeMerge(block, false);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FreeListInternal(List<BuddyBlock> blocks)
    {
        foreach (BuddyBlock b in blocks)
        {
            FreeBlockCore(b);
        }

        blocks.Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ForceMerge(ulong start, ulong end, int minOrder)
    {
        if (minOrder == 0)
        {
            return Enomem;
        }

        if (minOrder > MaxOrder)
        {
            return Einval;
        }

        // The kernel walks every free block of the lower orders from the highest offset down and skips the ones that are
        // not inside [start, end]. Skipping has no effect, so the walk here starts at the highest block that can end at or
        // below `end` and stops below `start`: the same blocks are merged in the same order. (With end = 0, as for every
        // request without a window, no block qualifies and the kernel's walk finds nothing.)
        for (int tree = 0; tree < 2; tree++)
        {
            for (int i = minOrder - 1; i >= 0; i--)
            {
                ulong sizeMinus1 = (ChunkSize << i) - 1;
                if (end < sizeMinus1)
                {
                    continue;
                }

                BuddyBlock? iter = FreeTrees[tree][i].Floor(end - sizeMinus1);
                while (iter is not null)
                {
                    BuddyBlock block = iter;
                    if (block.Off < start)
                    {
                        break;
                    }

                    iter = FreeTree.Prev(iter);
                    if (block.Parent is null)
                    {
                        continue;
                    }

                    ulong blockStart = block.Off;
                    ulong blockEnd = unchecked(blockStart + BlockSize(block) - 1);
                    if (!(start <= blockStart && end >= blockEnd))
                    {
                        continue;
                    }

                    BuddyBlock buddy = GetBuddy(block)!;
                    if (buddy.State != BlockState.Free)
                    {
                        continue;
                    }

                    if (iter == buddy)
                    {
                        iter = FreeTree.Prev(iter);
                    }

                    RbRemove(block);
                    if (block.ClearBit)
                    {
                        ClearAvail -= BlockSize(block);
                    }

                    int order = FreeMerge(block, true);
                    if (order >= minOrder)
                    {
                        return Success;
                    }
                }
            }
        }

        return Enomem;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForceMergeAllRoots()
    {
        ulong size = Size;
        foreach (BuddyBlock root in Roots)
        {
            int order = BitOperations.Log2(size) - _chunkShift;
            ulong start = root.Off;
            ForceMerge(start, unchecked(start + size), order);
            size -= ChunkSize << order;
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Allocation paths
    // ------------------------------------------------------------------------------------------------------------

    private static bool Overlaps(ulong s1, ulong e1, ulong s2, ulong e2) => s1 <= e2 && e1 >= s2;

    private static bool Contains(ulong s1, ulong e1, ulong s2, ulong e2) => s1 <= s2 && e1 >= e2;

    private static ulong RoundUp(ulong x, ulong y) => unchecked(((x - 1) | (y - 1)) + 1);

    private static ulong RoundDown(ulong x, ulong y) => x & ~(y - 1);

    // The kernel's fls() takes a 32-bit unsigned int: callers pass 64-bit page counts, which are truncated.
    private static uint FlsMinus1(ulong pages) => unchecked((uint)(32 - BitOperations.LeadingZeroCount((uint)pages)) - 1u);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private BuddyBlock? AllocRangeBias(ulong start, ulong end, int order, BuddyFlags flags, bool fallback)
    {
        ulong reqSize = ChunkSize << order;
        end = unchecked(end - 1);
        BlockStack dfs = _dfs;
        dfs.Clear();
        for (int i = Roots.Length - 1; i >= 0; i--)
        {
            dfs.Push(Roots[i]);
        }

        bool needsClear = (flags & BuddyFlags.Clear) != 0;
        while (dfs.Pop() is { } block)
        {
            if (block.Ord < order)
            {
                continue;
            }

            ulong blockStart = block.Off;
            ulong blockEnd = unchecked(blockStart + BlockSize(block) - 1);
            if (!Overlaps(start, end, blockStart, blockEnd))
            {
                continue;
            }

            if (block.State == BlockState.Allocated)
            {
                continue;
            }

            if (blockStart < start || blockEnd > end)
            {
                ulong adjustedStart = Math.Max(blockStart, start);
                ulong adjustedEnd = Math.Min(blockEnd, end);
                if (RoundDown(unchecked(adjustedEnd + 1), reqSize) <= RoundUp(adjustedStart, reqSize))
                {
                    continue;
                }
            }

            if (!fallback && needsClear != block.ClearBit)
            {
                continue;
            }

            if (Contains(start, end, blockStart, blockEnd) && order == block.Ord)
            {
                if (block.State == BlockState.Free)
                {
                    dfs.Clear();
                    return block;
                }

                continue;
            }

            if (block.State != BlockState.Split)
            {
                SplitBlock(block);
            }

            dfs.Push(block.Right!);
            dfs.Push(block.Left!);
        }

        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private BuddyBlock? AllocRangeBiasBoth(ulong start, ulong end, int order, BuddyFlags flags) =>
        AllocRangeBias(start, end, order, flags, false) ?? AllocRangeBias(start, end, order, flags, true);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private BuddyBlock? GetMaxBlock(int order, int tree)
    {
        BuddyBlock? max = null;
        FreeTree[] trees = FreeTrees[tree];
        for (ulong mask = NonEmptyFrom(tree, order); mask != 0; mask &= mask - 1)
        {
            BuddyBlock b = trees[BitOperations.TrailingZeroCount(mask)].Last()!;
            if (max is null || b.Off > max.Off)
            {
                max = b;
            }
        }

        return max;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private BuddyBlock? AllocFromFreeTree(int order, BuddyFlags flags)
    {
        int tree = (flags & BuddyFlags.Clear) != 0 ? ClearTree : DirtyTree;
        BuddyBlock? block = null;
        int tmp = order;
        if ((flags & BuddyFlags.TopDown) != 0)
        {
            block = GetMaxBlock(order, tree);
            if (block is not null)
            {
                tmp = block.Ord;
            }
        }
        else
        {
            ulong mask = NonEmptyFrom(tree, order);
            if (mask != 0)
            {
                tmp = BitOperations.TrailingZeroCount(mask);
                block = FreeTrees[tree][tmp].Last();
            }
        }

        if (block is null)
        {
            tree = tree == ClearTree ? DirtyTree : ClearTree;
            ulong mask = NonEmptyFrom(tree, order);
            if (mask == 0)
            {
                return null;
            }

            tmp = BitOperations.TrailingZeroCount(mask);
            block = FreeTrees[tree][tmp].Last()!;
        }

        while (tmp != order)
        {
            SplitBlock(block);
            block = block.Right!;
            tmp--;
        }

        return block;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private BuddyBlock? OffsetAlignedAllocation(ulong size, ulong minBlockSize, BuddyFlags flags)
    {
        int alignment = BitOperations.Log2(minBlockSize);
        ulong pages = size >> _chunkShift;
        uint order = FlsMinus1(pages);
        int tree = (flags & BuddyFlags.Clear) != 0 ? ClearTree : DirtyTree;
        BuddyBlock? block = null;
        for (uint tmp = order; tmp <= (uint)MaxOrder; tmp++)
        {
            block = FreeTrees[tree][tmp].FindAligned(alignment);
            if (block is null)
            {
                tree = tree == ClearTree ? DirtyTree : ClearTree;
                block = FreeTrees[tree][tmp].FindAligned(alignment);
            }

            if (block is not null)
            {
                break;
            }
        }

        if (block is null)
        {
            return null;
        }

        while ((uint)block.Ord > order)
        {
            SplitBlock(block);
            block = FreeTree.Alignment(block.Right!.Off) >= alignment ? block.Right : block.Left!;
        }

        return block;
    }

    /// <summary>Exact-range walk (<c>__alloc_range</c>) over the blocks already pushed on <see cref="_dfs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int AllocRange(ulong start, ulong size, List<BuddyBlock> blocks, bool keepOnEnospc, out ulong totalOnErr)
    {
        BlockStack dfs = _dfs;
        ulong total = 0;
        List<BuddyBlock> allocated = blocks; // the blocks go straight to the caller's list, after its first `mark` entries
        int mark = blocks.Count;
        ulong end = unchecked(start + size - 1);
        int err;
        totalOnErr = 0;
        while (dfs.Pop() is { } block)
        {
            ulong blockStart = block.Off;
            ulong blockEnd = unchecked(blockStart + BlockSize(block) - 1);
            if (!Overlaps(start, end, blockStart, blockEnd))
            {
                continue;
            }

            if (block.State == BlockState.Allocated)
            {
                err = Enospc;
                goto ErrFree;
            }

            if (Contains(start, end, blockStart, blockEnd))
            {
                if (block.State == BlockState.Free)
                {
                    MarkAllocated(block);
                    ulong sz = BlockSize(block);
                    total += sz;
                    Avail -= sz;
                    if (block.ClearBit)
                    {
                        ClearAvail -= sz;
                    }

                    allocated.Add(block);
                    continue;
                }
                else if (ClearAvail == 0)
                {
                    err = Enospc;
                    goto ErrFree;
                }
            }

            if (block.State != BlockState.Split)
            {
                SplitBlock(block);
            }

            dfs.Push(block.Right!);
            dfs.Push(block.Left!);
        }

        if (total < size)
        {
            err = Enospc;
            goto ErrFree;
        }

        return Success;

    ErrFree:
        dfs.Clear();
        if (keepOnEnospc)
        {
            totalOnErr = total;
        }
        else
        {
            for (int k = mark; k < allocated.Count; k++)
            {
                FreeBlockCore(allocated[k]);
            }

            allocated.RemoveRange(mark, allocated.Count - mark);
        }

        return err;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int AllocRangeFromRoots(ulong start, ulong size, List<BuddyBlock> blocks, bool keepOnEnospc, out ulong totalOnErr)
    {
        _dfs.Clear();
        for (int i = Roots.Length - 1; i >= 0; i--)
        {
            _dfs.Push(Roots[i]);
        }

        return AllocRange(start, size, blocks, keepOnEnospc, out totalOnErr);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int AllocContigTryHarder(ulong size, ulong minBlockSize, List<BuddyBlock> blocks)
    {
        ulong modifySize = 1UL << BitOperations.Log2(size);
        ulong pages = modifySize >> _chunkShift;
        uint order = FlsMinus1(pages);
        if (order == 0)
        {
            return Enospc;
        }

        if (order > (uint)MaxOrder)
        {
            // The kernel would index past its free-tree array here (sizes of 2^32 chunks or more); treat as no space.
            return Enospc;
        }

        List<BuddyBlock> lhs = _lhsScratch; // empty between calls: its blocks are moved out or freed before returning
        for (int tree = 0; tree < 2; tree++)
        {
            FreeTree root = FreeTrees[tree][order];
            BuddyBlock? iter = root.Last();
            while (iter is not null)
            {
                BuddyBlock block = iter;
                ulong rhsOffset = block.Off;
                int err = AllocRangeFromRoots(rhsOffset, size, blocks, true, out ulong filled);
                if (err != Enospc)
                {
                    return err;
                }

                ulong lhsSize = Math.Max(unchecked(size - filled), minBlockSize);
                if ((lhsSize & (minBlockSize - 1)) != 0)
                {
                    lhsSize = RoundUp(lhsSize, minBlockSize);
                }

                ulong lhsOffset = unchecked(block.Off - lhsSize);
                err = AllocRangeFromRoots(lhsOffset, lhsSize, lhs, false, out _);
                if (err == Success)
                {
                    blocks.InsertRange(0, lhs);
                    lhs.Clear();
                    return Success;
                }
                else if (err != Enospc)
                {
                    FreeListInternal(blocks);
                    return err;
                }

                FreeListInternal(blocks);
                iter = FreeTree.Prev(iter);
            }
        }

        return Enospc;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int BlockTrim(ulong? start, ulong newSize, List<BuddyBlock> blocks)
    {
        if (blocks.Count != 1)
        {
            return InvalidArg(20, (ulong)blocks.Count);
        }

        BuddyBlock block = blocks[0];
        ulong blockStart = block.Off;
        ulong blockSize = BlockSize(block);
        ulong blockEnd = unchecked(blockStart + blockSize);
        if (block.State != BlockState.Allocated)
        {
            return InvalidArg(21, blockStart);
        }

        if (newSize > blockSize)
        {
            return InvalidArg(22, newSize, blockSize);
        }

        if (newSize == 0 || (newSize & (ChunkSize - 1)) != 0)
        {
            return InvalidArg(23, newSize);
        }

        if (newSize == blockSize)
        {
            return Success;
        }

        ulong newStart = blockStart;
        if (start.HasValue)
        {
            newStart = start.Value;
            if (newStart < blockStart)
            {
                return InvalidArg(24, newStart, blockStart);
            }

            if ((newStart & (ChunkSize - 1)) != 0)
            {
                return InvalidArg(25, newStart);
            }

            if (newStart >= blockEnd || newSize > blockEnd - newStart)
            {
                return InvalidArg(26, newStart, newSize, blockEnd);
            }
        }

        blocks.RemoveAt(0);
        MarkFree(block);
        Avail += blockSize;
        if (block.ClearBit)
        {
            ClearAvail += blockSize;
        }

        BuddyBlock? parent = block.Parent;
        block.Parent = null;
        _dfs.Clear();
        _dfs.Push(block);
        int err = AllocRange(newStart, newSize, blocks, false, out _);
        if (err != Success)
        {
            MarkAllocated(block);
            Avail -= blockSize;
            if (block.ClearBit)
            {
                ClearAvail -= blockSize;
            }

            blocks.Insert(0, block);
            _errKind = 27;
        }

        block.Parent = parent;
        return err;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private BuddyBlock? AllocDispatch(ulong start, ulong end, ulong size, ulong minBlockSize, int order, BuddyFlags flags)
    {
        if ((flags & BuddyFlags.Range) != 0)
        {
            return AllocRangeBiasBoth(start, end, order, flags);
        }
        else if (size < minBlockSize)
        {
            return OffsetAlignedAllocation(size, minBlockSize, flags);
        }
        else
        {
            return AllocFromFreeTree(order, flags);
        }
    }

    private string LastError => _errKind switch
    {
        1 => $"size 0x{_errA:x} is smaller than chunk size 0x{ChunkSize:x}",
        2 => $"min block size 0x{_errA:x} is smaller than chunk size 0x{ChunkSize:x}",
        3 => $"min block size 0x{_errA:x} is not a power of two",
        4 => $"start 0x{_errA:x}, end 0x{_errB:x} or size 0x{_errC:x} is not a multiple of chunk size 0x{ChunkSize:x}",
        5 => $"end 0x{_errA:x} is beyond the managed size 0x{Size:x}",
        6 => $"start 0x{_errA:x} + size 0x{_errB:x} is beyond the managed size 0x{Size:x}",
        7 => $"exact range [0x{_errA:x}, 0x{_errB:x}) is not aligned to min block size 0x{_errC:x}",
        8 => $"size 0x{_errA:x} (rounded to 0x{_errB:x}) exceeds the largest block or the managed size 0x{Size:x}",
        20 => $"trim needs exactly one block, the list holds {_errA}",
        21 => $"trim: block 0x{_errA:x} is not allocated",
        22 => $"trim: new size 0x{_errA:x} exceeds block size 0x{_errB:x}",
        23 => $"trim: new size 0x{_errA:x} is zero or not a multiple of chunk size 0x{ChunkSize:x}",
        24 => $"trim: start 0x{_errA:x} is below block start 0x{_errB:x}",
        25 => $"trim: start 0x{_errA:x} is not a multiple of chunk size 0x{ChunkSize:x}",
        26 => $"trim: [0x{_errA:x}, +0x{_errB:x}) does not fit in the block ending at 0x{_errC:x}",
        27 => "trim failed",
        _ => string.Empty,
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int InvalidArg(int kind, ulong a = 0, ulong b = 0, ulong c = 0)
    {
        _errKind = kind;
        _errA = a;
        _errB = b;
        _errC = c;
        return Einval;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int AllocBlocks(ulong start, ulong end, ulong size, ulong minBlockSize, List<BuddyBlock> blocks, BuddyFlags flags)
    {
        if (size < ChunkSize)
        {
            return InvalidArg(1, size);
        }

        if (minBlockSize < ChunkSize)
        {
            return InvalidArg(2, minBlockSize);
        }

        if (!BitOperations.IsPow2(minBlockSize))
        {
            return InvalidArg(3, minBlockSize);
        }

        if (((start | end | size) & (ChunkSize - 1)) != 0)
        {
            return InvalidArg(4, start, end, size);
        }

        if (end > Size)
        {
            return InvalidArg(5, end);
        }

        if (start >= Size || size > Size - start)
        {
            return InvalidArg(6, start, size);
        }

        if (unchecked(start + size) == end)
        {
            if (((start | end) & (minBlockSize - 1)) != 0)
            {
                return InvalidArg(7, start, end, minBlockSize);
            }

            return AllocRangeFromRoots(start, size, blocks, false, out _);
        }

        ulong originalSize = size;
        ulong originalMin = minBlockSize;
        bool contiguous = (flags & BuddyFlags.Contiguous) != 0;
        bool range = (flags & BuddyFlags.Range) != 0;
        if (contiguous)
        {
            // roundup_pow_of_two: 1 << fls64(size - 1); a shift by 64 wraps like x86's shl.
            size = 1UL << (64 - BitOperations.LeadingZeroCount(size - 1));
            minBlockSize = size;
        }
        else if (!(size < minBlockSize && BitOperations.IsPow2(size)))
        {
            size = RoundUp(size, minBlockSize);
        }

        ulong pages = size >> _chunkShift;
        uint order = FlsMinus1(pages);
        int minOrder = BitOperations.Log2(minBlockSize) - _chunkShift;
        if (order > (uint)MaxOrder || size > Size)
        {
            if (contiguous && !range)
            {
                return AllocContigTryHarder(originalSize, originalMin, blocks);
            }

            return InvalidArg(8, originalSize, size);
        }

        // The caller's list is new and empty, so blocks go straight into it (the kernel splices its local list at the end).
        List<BuddyBlock> allocated = blocks;
        while (true)
        {
            order = Math.Min(order, FlsMinus1(pages));
            BuddyBlock? block;
            while (true)
            {
                block = AllocDispatch(start, end, size, minBlockSize, (int)order, flags);
                if (block is not null)
                {
                    break;
                }

                int fallbackOrder;
                if (size < minBlockSize)
                {
                    fallbackOrder = (int)order;
                }
                else if (order == (uint)minOrder)
                {
                    fallbackOrder = minOrder;
                }
                else
                {
                    order--;
                    continue;
                }

                if (ClearAvail != 0 && ForceMerge(start, end, fallbackOrder) == Success)
                {
                    block = AllocDispatch(start, end, size, minBlockSize, fallbackOrder, flags);
                    if (block is not null)
                    {
                        order = (uint)fallbackOrder;
                        break;
                    }
                }

                if (contiguous && !range)
                {
                    return AllocContigTryHarder(originalSize, originalMin, blocks);
                }

                FreeListInternal(allocated);
                return Enospc;
            }

            MarkAllocated(block);
            ulong sz = BlockSize(block);
            Avail -= sz;
            if (block.ClearBit)
            {
                ClearAvail -= sz;
            }

            allocated.Add(block);
            pages -= 1UL << (int)order;
            if (pages == 0)
            {
                break;
            }
        }

        if ((flags & BuddyFlags.TrimDisable) == 0 && originalSize != size)
        {
            if (allocated.Count == 1)
            {
                BlockTrim(null, originalSize, allocated);
            }
            else
            {
                BuddyBlock last = allocated[^1];
                allocated.RemoveAt(allocated.Count - 1);
                List<BuddyBlock> temp = _trimScratch;
                temp.Add(last);
                BlockTrim(null, BlockSize(last) - (size - originalSize), temp);
                allocated.AddRange(temp);
                temp.Clear();
            }
        }

        return Success;
    }
}
