namespace NovaMm.Driver.Buddy;

/// <summary>
/// Allocation and free flags of the GPU buddy allocator (<c>GPU_BUDDY_*</c> in <c>include/linux/gpu_buddy.h</c>; their
/// effect on each path is described in docs/buddy.md). The bit values are those of the header and of nova's Rust binding
/// (<c>rust/kernel/gpu/buddy.rs</c>).
/// </summary>
[Flags]
public enum BuddyFlags : uint
{
    /// <summary>No flag: free-tree placement (smallest order, highest offset), dirty tree preferred.</summary>
    None = 0,

    /// <summary><c>RANGE_ALLOCATION</c> (bit 0): place inside [start, end) with the lowest-address range walk.</summary>
    Range = 1u << 0,

    /// <summary><c>TOPDOWN_ALLOCATION</c> (bit 1): free-tree path takes the highest-offset block of any order ≥ the request.</summary>
    TopDown = 1u << 1,

    /// <summary><c>CONTIGUOUS_ALLOCATION</c> (bit 2): one contiguous range (power-of-two rounding, trim, try-harder fallback).</summary>
    Contiguous = 1u << 2,

    /// <summary><c>CLEAR_ALLOCATION</c> (bit 3): prefer the clear (zeroed) free trees. Never guarantees clear blocks.</summary>
    Clear = 1u << 3,

    /// <summary><c>CLEARED</c> (bit 4): free-time flag, marks the freed blocks as clear. Ignored by allocation.</summary>
    Cleared = 1u << 4,

    /// <summary><c>TRIM_DISABLE</c> (bit 5): keep the rounded-up block(s) instead of trimming to the requested size.</summary>
    TrimDisable = 1u << 5,
}

/// <summary>Error codes of the GPU buddy allocator; the values are the Linux errno numbers.</summary>
public enum BuddyErrorCode
{
    /// <summary><c>ENOMEM</c> (12): node allocation failed. The managed port never produces it.</summary>
    Enomem = 12,

    /// <summary>
    /// <c>EINVAL</c> (22): invalid argument (the checks of <c>gpu_buddy_init</c>, <c>gpu_buddy_alloc_blocks</c> and
    /// <c>gpu_buddy_block_trim</c>).
    /// </summary>
    Einval = 22,

    /// <summary><c>ENOSPC</c> (28): no space for the request.</summary>
    Enospc = 28,
}

/// <summary>
/// A failed buddy allocator call: an invalid argument (<see cref="BuddyErrorCode.Einval"/>, the message names the bad value)
/// or no space (<see cref="BuddyErrorCode.Enospc"/>). A failed call changes no allocation and no <c>avail</c>.
/// </summary>
public sealed class BuddyException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errorCode">The errno-style error code.</param>
    /// <param name="message">A one-line description naming the offending value.</param>
    public BuddyException(BuddyErrorCode errorCode, string message)
        : base(message)
    {
        ErrorCode = errorCode;
    }

    /// <summary>The errno-style error code.</summary>
    public BuddyErrorCode ErrorCode { get; }
}

/// <summary>Free-block statistics of one order (the per-order lines of <see cref="GpuBuddy.Print"/>).</summary>
/// <param name="Order">Block order (block size = chunk size &lt;&lt; order).</param>
/// <param name="FreeBlocks">Number of free blocks of this order (clear and dirty).</param>
/// <param name="FreeBytes">Free bytes in blocks of this order.</param>
/// <param name="ClearBlocks">Number of those free blocks that are in the clear tree.</param>
public readonly record struct BuddyOrderStats(int Order, ulong FreeBlocks, ulong FreeBytes, ulong ClearBlocks);
