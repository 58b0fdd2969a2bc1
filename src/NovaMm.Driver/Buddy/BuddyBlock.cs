using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NovaMm.Driver.Buddy;

/// <summary>State of a buddy block (the state bits of the kernel's block header).</summary>
internal enum BlockState : byte
{
    /// <summary>The node was merged into its parent and no longer exists (the kernel frees it).</summary>
    Deleted = 0,

    /// <summary>Handed out to a caller.</summary>
    Allocated = 1,

    /// <summary>In one of the free trees.</summary>
    Free = 2,

    /// <summary>Has two children.</summary>
    Split = 3,
}

/// <summary>
/// One node of the buddy tree: a naturally aligned power-of-two range of the managed space
/// (<c>struct gpu_buddy_block</c> in <c>include/linux/gpu_buddy.h</c>).
/// Callers see the blocks of their allocations; a block object is valid until it is freed.
/// </summary>
[StructLayout(LayoutKind.Explicit)]
public sealed class BuddyBlock
{
    // The fields a free-tree walk reads (key, links, colour, augmentation, order, state) come first, in 48 bytes, so a
    // visit usually touches one cache line; the buddy-tree links and the rest follow.

    // Red-black free-tree node (valid while State == Free) and its key.
    [FieldOffset(0)]
    internal ulong Off;
    [FieldOffset(8)]
    internal BuddyBlock? RbLeft;
    [FieldOffset(16)]
    internal BuddyBlock? RbRight;
    [FieldOffset(24)]
    internal BuddyBlock? RbParent;
    [FieldOffset(32)]
    internal int SubtreeMaxAlignment;
    [FieldOffset(36)]
    internal int Ord;
    [FieldOffset(40)]
    internal bool RbRed;
    [FieldOffset(41)]
    internal BlockState State;
    [FieldOffset(42)]
    internal bool ClearBit;

    // Scratch mark used while validating a free list.
    [FieldOffset(43)]
    internal bool Pending;

    // Buddy tree.
    [FieldOffset(48)]
    internal BuddyBlock? Parent;
    [FieldOffset(56)]
    internal BuddyBlock? Left;
    [FieldOffset(64)]
    internal BuddyBlock? Right;
    [FieldOffset(72)]
    internal readonly GpuBuddy Owner;

    // Stamp of the last invariant check that found this node in a free tree.
    [FieldOffset(80)]
    internal long CheckStamp;

    internal BuddyBlock(GpuBuddy owner, BuddyBlock? parent, int order, ulong offset)
    {
        Owner = owner;
        Parent = parent;
        Ord = order;
        Off = offset;
    }

    /// <summary>Reuses a node that was merged away (<see cref="BlockState.Deleted"/>) as a new node of the same allocator.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Reinit(BuddyBlock parent, int order, ulong offset)
    {
        Parent = parent;
        Ord = order;
        Off = offset;
        State = BlockState.Deleted;
        ClearBit = false;
        Left = null;
        Right = null;
        RbParent = null;
        RbLeft = null;
        RbRight = null;
        RbRed = false;
        SubtreeMaxAlignment = 0;
        Pending = false;
    }

    /// <summary>Offset of the block relative to the allocator (what the C allocator reports).</summary>
    public ulong Offset => Off;

    /// <summary>Absolute address: <see cref="Offset"/> plus the allocator's <see cref="GpuBuddy.BaseOffset"/> (nova's <c>offset()</c>).</summary>
    public ulong Address => unchecked(Off + Owner.BaseOffset);

    /// <summary>Order of the block: its size is the chunk size shifted left by the order.</summary>
    public int Order => Ord;

    /// <summary>Size of the block in bytes.</summary>
    public ulong Size => Owner.ChunkSize << Ord;

    /// <summary>True when the contents are known to be zero (<c>block_is_clear</c>).</summary>
    public bool IsClear => ClearBit;

    /// <summary>True while the block is allocated (not yet freed).</summary>
    public bool IsAllocated => State == BlockState.Allocated;

    /// <summary>True while the block is free (only observable for blocks kept after a free, which the API does not hand out).</summary>
    public bool IsFree => State == BlockState.Free;

    /// <summary>Formats the block as <c>offset:size</c> in lowercase hex (the trace format).</summary>
    /// <returns>For example <c>0x3f000000:0x1000000</c>.</returns>
    public override string ToString() => $"0x{Off:x}:0x{Size:x}";
}
