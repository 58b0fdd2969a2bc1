using NovaMm.Driver.Buddy;
using NovaMm.Driver.Fb;
using NovaMm.Driver.Mmu;
using NovaMm.Spec.Addresses;

namespace NovaMm.Driver.Memory;

/// <summary>How to place a VRAM allocation (the buddy allocator's parameters: Linux <c>include/linux/gpu_buddy.h</c>, <c>gpu_buddy_alloc_blocks</c>; docs/buddy.md).</summary>
public sealed record VramAllocOptions
{
    /// <summary>Smallest block and alignment; a power of two ≥ 4 KiB. Default 4 KiB.</summary>
    public ulong MinBlockSize { get; init; } = GpuPage.Size;

    /// <summary>Buddy flags (Contiguous, TopDown, Clear, TrimDisable). Range is set by <see cref="Range"/>.</summary>
    public BuddyFlags Flags { get; init; }

    /// <summary>Restrict placement to this absolute VRAM range, which must lie in one usable region.</summary>
    public VramRange? Range { get; init; }
}

/// <summary>A VRAM allocation: the blocks one buddy call returned, in the allocator's list order.</summary>
public sealed class VramAllocation
{
    internal VramAllocation(int region, List<BuddyBlock> blocks)
    {
        Region = region;
        BuddyBlocks = blocks;
        Blocks = blocks.Select(b => new VramRange(new VramAddress(b.Address), b.Size)).ToArray();
        Size = Blocks.Aggregate(0UL, (s, b) => s + b.Size);
        IsCleared = blocks.TrueForAll(b => b.IsClear);
    }

    /// <summary>
    /// Whether every block came from the allocator's clear free list, i.e. was last freed as known-zero
    /// (<see cref="GpuMm.Free"/> with <c>cleared</c>): the memory reads as zero without being written.
    /// </summary>
    public bool IsCleared { get; }

    /// <summary>Index of the usable region it came from.</summary>
    public int Region { get; }

    /// <summary>The blocks, as absolute VRAM ranges, in block-list order.</summary>
    public IReadOnlyList<VramRange> Blocks { get; }

    /// <summary>Total bytes (can exceed the request after a contiguous try-harder: Linux <c>drivers/gpu/buddy.c</c>, <c>__alloc_contig_try_harder</c>, never trims; docs/buddy.md).</summary>
    public ulong Size { get; }

    /// <summary>The first block's start.</summary>
    public VramAddress Start => Blocks[0].Start;

    /// <summary>Whether the blocks are back to back in list order.</summary>
    public bool IsContiguous => Blocks.Zip(Blocks.Skip(1)).All(p => p.First.End == p.Second.Start);

    /// <summary>Whether it has been freed.</summary>
    public bool IsFreed { get; internal set; }

    internal List<BuddyBlock> BuddyBlocks { get; }

    /// <summary>The 4 KiB frames of the allocation in block-list order.</summary>
    public IEnumerable<Pfn> Frames()
    {
        foreach (var b in Blocks)
        {
            for (var a = b.Start.Value; a < b.End.Value; a += GpuPage.Size)
            {
                yield return new Pfn(a >> GpuPage.Shift);
            }
        }
    }
}

/// <summary>
/// The centralized GPU memory manager (nova-core's <c>GpuMm</c>, <c>mm/mod.rs</c> of the nova-mm v7 series; docs/sources.md, docs/architecture.md): one <see cref="GpuBuddy"/> per usable FB region (base
/// offset = region start, chunk 4 KiB), created at boot from GSP's layout — nothing outside the usable regions is
/// ever handed out, and there is no placeholder — plus the device's <see cref="Pramin"/> and <see cref="Tlb"/>.
/// </summary>
public sealed class GpuMm
{
    /// <summary>Guards every allocator (the kernel's one mutex around <c>gpu_buddy</c> calls).</summary>
    private readonly Lock _lock = new();
    private readonly GpuBuddy[] _buddies;
    private readonly VramRange[] _regions;

    private static readonly VramAllocOptions ClearPage = new() { Flags = BuddyFlags.Clear };

    /// <summary>Creates the manager over every usable region of <paramref name="layout"/>.</summary>
    /// <exception cref="NovaMmException"><see cref="ErrorCode.NoDevice"/> when usable regions overlap or are not 4 KiB aligned.</exception>
    public GpuMm(FbLayout layout, Pramin.Pramin pramin, Tlb tlb)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Pramin = pramin ?? throw new ArgumentNullException(nameof(pramin));
        Tlb = tlb ?? throw new ArgumentNullException(nameof(tlb));
        _regions = layout.Usable.ToArray();
        var sorted = _regions.OrderBy(r => r.Start.Value).ToArray();
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].Start.Value < sorted[i - 1].End.Value)
            {
                throw new NovaMmException(ErrorCode.NoDevice, $"usable FB regions {sorted[i - 1]} and {sorted[i]} overlap");
            }
        }

        foreach (var r in _regions)
        {
            if (!r.Start.IsAligned(GpuPage.Size) || r.Size < GpuPage.Size)
            {
                throw new NovaMmException(ErrorCode.NoDevice, $"usable FB region {r} is not 4 KiB aligned or smaller than 4 KiB");
            }
        }

        _buddies = _regions.Select(r => new GpuBuddy(r.Size, GpuPage.Size, r.Start.Value)).ToArray();
        TotalBytes = _buddies.Aggregate(0UL, (s, b) => s + b.Size);
    }

    /// <summary>PRAMIN of the device.</summary>
    public Pramin.Pramin Pramin { get; }

    /// <summary>TLB invalidation of the device.</summary>
    public Tlb Tlb { get; }

    /// <summary>The usable regions, one allocator each.</summary>
    public IReadOnlyList<VramRange> Regions => _regions;

    /// <summary>Bytes under management.</summary>
    public ulong TotalBytes { get; }

    /// <summary>Free bytes over all regions.</summary>
    public ulong FreeBytes
    {
        get
        {
            lock (_lock)
            {
                return _buddies.Aggregate(0UL, (s, b) => s + b.Avail);
            }
        }
    }

    /// <summary>Test hook: consulted before every allocation; returning true makes it fail with <see cref="ErrorCode.NoMemory"/>.</summary>
    internal Func<ulong, bool>? FailAllocation { get; set; }

    /// <summary>Allocations made (successful calls).</summary>
    public long Allocations { get; private set; }

    /// <summary>
    /// Allocates <paramref name="size"/> bytes. Without a range the usable regions are tried in table order.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid size, alignment or range (message names the value); nothing changes.</exception>
    /// <exception cref="NovaMmException"><see cref="ErrorCode.NoSpace"/> when no region has room; no allocation changes.</exception>
    public VramAllocation Allocate(ulong size, VramAllocOptions? options = null)
    {
        options ??= new VramAllocOptions();
        if (size == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "VRAM allocation size 0");
        }

        lock (_lock)
        {
            if (FailAllocation?.Invoke(size) == true)
            {
                throw new NovaMmException(ErrorCode.NoMemory, $"injected VRAM allocation failure (size 0x{size:x})");
            }

            var flags = options.Flags & ~(BuddyFlags.Range | BuddyFlags.Cleared);
            BuddyException? last = null;
            for (var i = 0; i < _buddies.Length; i++)
            {
                var buddy = _buddies[i];
                ulong start = 0, end = 0;
                if (options.Range is { } range)
                {
                    if (!_regions[i].Contains(range.Start, range.Size) || range.Size == 0)
                    {
                        continue;
                    }

                    start = range.Start.Value - buddy.BaseOffset;
                    end = start + range.Size;
                    flags |= BuddyFlags.Range;
                }

                try
                {
                    var blocks = buddy.Alloc(start, end, size, options.MinBlockSize, flags);
                    Allocations++;
                    return new VramAllocation(i, blocks);
                }
                catch (BuddyException e) when (e.ErrorCode == BuddyErrorCode.Enospc)
                {
                    last = e;
                }
                catch (BuddyException e)
                {
                    throw new ArgumentException(e.Message, nameof(size), e);
                }
            }

            if (options.Range is { } r && last is null)
            {
                throw new ArgumentException($"VRAM range {r} is not inside one usable region ({string.Join(", ", _regions)})", nameof(options));
            }

            throw new NovaMmException(ErrorCode.NoSpace,
                $"no VRAM for 0x{size:x} bytes (min block 0x{options.MinBlockSize:x}, flags {flags}); free 0x{FreeBytesUnlocked():x}", last);
        }
    }

    /// <summary>One 4 KiB page, as nova allocates page-table pages (size 4 KiB, min 4 KiB, no flags).</summary>
    public VramAllocation AllocatePage() => Allocate(GpuPage.Size);

    /// <summary>
    /// <paramref name="count"/> single 4 KiB pages (page-table pages), each its own allocation, under one acquisition
    /// of the allocator lock, preferring known-zero memory (the buddy's clear free list, then the dirty one): a page
    /// table freed after being scrubbed comes back without needing to be zeroed again (<see cref="VramAllocation.IsCleared"/>).
    /// All or nothing: on a failure the pages already taken are freed and the error is thrown. The failure hook is
    /// consulted once per page.
    /// </summary>
    /// <exception cref="NovaMmException">As <see cref="Allocate"/>; nothing stays allocated.</exception>
    public VramAllocation[] AllocatePages(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var pages = new VramAllocation[count];
        lock (_lock)
        {
            var taken = 0;
            try
            {
                for (; taken < count; taken++)
                {
                    pages[taken] = Allocate(GpuPage.Size, ClearPage);
                }
            }
            catch
            {
                // Nothing was written to them: a page that came from the clear list goes back to it, so the allocator's
                // clear/dirty state is as before the call.
                for (var i = 0; i < taken; i++)
                {
                    Free(pages[i], pages[i].IsCleared);
                }

                throw;
            }
        }

        return pages;
    }

    /// <summary>Frees every allocation of <paramref name="allocations"/> under one acquisition of the allocator lock;
    /// <paramref name="cleared"/> marks their blocks as known-zero (the caller zeroed them).</summary>
    /// <exception cref="InvalidOperationException">One was already freed (those before it are freed).</exception>
    public void FreeAll(IEnumerable<VramAllocation> allocations, bool cleared = false)
    {
        ArgumentNullException.ThrowIfNull(allocations);
        lock (_lock)
        {
            foreach (var a in allocations)
            {
                Free(a, cleared);
            }
        }
    }

    /// <summary>Frees <paramref name="allocation"/>; <paramref name="cleared"/> marks its blocks as known-zero.</summary>
    /// <exception cref="InvalidOperationException">It was already freed.</exception>
    public void Free(VramAllocation allocation, bool cleared = false)
    {
        ArgumentNullException.ThrowIfNull(allocation);
        lock (_lock)
        {
            if (allocation.IsFreed)
            {
                throw new InvalidOperationException($"VRAM allocation at {allocation.Start} was already freed");
            }

            _buddies[allocation.Region].FreeList(allocation.BuddyBlocks, cleared ? BuddyFlags.Cleared : BuddyFlags.None);
            allocation.IsFreed = true;
        }
    }

    /// <summary>Per-region allocator statistics: free bytes per order and the kernel-format dump.</summary>
    public IReadOnlyList<RegionStats> Statistics()
    {
        lock (_lock)
        {
            return _buddies.Select((b, i) => new RegionStats(_regions[i], b.Size, b.Avail, b.ClearAvail, b.GetOrderStats(), b.Print())).ToArray();
        }
    }

    /// <summary>Every free block of every region as the allocator holds it, in address order.</summary>
    public IReadOnlyList<FreeBlock> FreeBlocks()
    {
        lock (_lock)
        {
            return _buddies.SelectMany(b => b.FreeBlocks().Select(f => new FreeBlock(new VramRange(new VramAddress(f.Address), f.Size), f.Order, f.IsClear)))
                .OrderBy(f => f.Range.Start).ToArray();
        }
    }

    private ulong FreeBytesUnlocked() => _buddies.Aggregate(0UL, (s, b) => s + b.Avail);
}

/// <summary>A free block of a VRAM allocator.</summary>
/// <param name="Range">Where it is.</param>
/// <param name="Order">Its buddy order (size = 4 KiB &lt;&lt; order).</param>
/// <param name="Clear">Whether its contents are known to be zero.</param>
public readonly record struct FreeBlock(VramRange Range, int Order, bool Clear);

/// <summary>Statistics of one usable region's allocator.</summary>
/// <param name="Region">The region.</param>
/// <param name="Size">Managed bytes.</param>
/// <param name="Free">Free bytes.</param>
/// <param name="ClearFree">Free bytes known to be zero.</param>
/// <param name="Orders">Free blocks per order.</param>
/// <param name="Dump">The kernel-format print.</param>
public sealed record RegionStats(VramRange Region, ulong Size, ulong Free, ulong ClearFree, IReadOnlyList<BuddyOrderStats> Orders, string Dump);
