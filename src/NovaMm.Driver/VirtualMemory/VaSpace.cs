namespace NovaMm.Driver.VirtualMemory;

/// <summary>
/// Free-range tracking for one GPU virtual address space: automatic placement (best fit, then lowest address,
/// honouring an alignment) and exact placement, both O(log n) in the number of free ranges (plus the candidates
/// an alignment skips). Two ordered maps hold the same free ranges, by start (for exact placement and merging on
/// free) and by (size, start) (for best fit); their floor and ceiling lookups are O(log n), so many small
/// reservations cost the same each however many there are. Not thread-safe: the owning <see cref="Vmm"/> locks.
/// </summary>
public sealed class VaSpace
{
    private readonly OrderedMap<ulong, ulong> _byStart = new();
    private readonly OrderedMap<UInt128, bool> _bySize = new();

    /// <summary>Tracks <c>[start, end)</c>, all free.</summary>
    public VaSpace(ulong start, ulong end)
    {
        if (end <= start)
        {
            throw new ArgumentOutOfRangeException(nameof(end), end, $"VA range 0x{start:x}..0x{end:x} is empty");
        }

        Start = start;
        End = end;
        Add(start, end);
        FreeBytes = end - start;
    }

    /// <summary>First address of the space.</summary>
    public ulong Start { get; }

    /// <summary>One past the last address.</summary>
    public ulong End { get; }

    /// <summary>Free bytes.</summary>
    public ulong FreeBytes { get; private set; }

    /// <summary>Number of free ranges (fragmentation).</summary>
    public int FreeRanges => _byStart.Count;

    /// <summary>The free ranges in address order.</summary>
    public IEnumerable<(ulong Start, ulong End)> Free => _byStart.InOrder();

    /// <summary>Reserves <paramref name="size"/> bytes aligned to <paramref name="alignment"/>; null when nothing fits.</summary>
    public ulong? TryAllocate(ulong size, ulong alignment)
    {
        if (size == 0 || alignment == 0 || (alignment & (alignment - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"VA request of 0x{size:x} bytes aligned to 0x{alignment:x} is invalid");
        }

        var key = (UInt128)size << 64;
        while (_bySize.TryCeiling(key, out var found, out _))
        {
            var rangeSize = (ulong)(found >> 64);
            var rangeStart = (ulong)found;
            var aligned = (rangeStart + alignment - 1) & ~(alignment - 1);
            if (aligned >= rangeStart && aligned - rangeStart <= rangeSize - size)
            {
                Take(rangeStart, rangeStart + rangeSize, aligned, aligned + size);
                return aligned;
            }

            key = found + 1;
        }

        return null;
    }

    /// <summary>Reserves exactly <c>[start, start + size)</c>; false when any of it is in use or outside the space.</summary>
    public bool TryAllocateExact(ulong start, ulong size)
    {
        if (size == 0 || start < Start || start >= End || size > End - start)
        {
            return false;
        }

        var containing = Containing(start);
        if (containing is not { } r || start + size > r.End)
        {
            return false;
        }

        Take(r.Start, r.End, start, start + size);
        return true;
    }

    /// <summary>Returns <c>[start, start + size)</c>, which must be in use, merging with free neighbours.</summary>
    public void Release(ulong start, ulong size)
    {
        var end = start + size;
        if (size == 0 || start < Start || end > End || end < start)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, $"VA range 0x{start:x}+0x{size:x} is outside 0x{Start:x}..0x{End:x}");
        }

        var hasBefore = _byStart.TryFloor(start, out var beforeStart, out var beforeEnd);
        if (hasBefore && beforeEnd > start)
        {
            throw new InvalidOperationException($"VA range 0x{start:x}+0x{size:x} is not in use");
        }

        var hasAfter = _byStart.TryHigher(start, out var afterStart, out var afterEnd);
        if (hasAfter && afterStart < end)
        {
            throw new InvalidOperationException($"VA range 0x{start:x}+0x{size:x} is not in use");
        }

        var newStart = start;
        var newEnd = end;
        if (hasBefore && beforeEnd == start)
        {
            Remove(beforeStart, beforeEnd);
            newStart = beforeStart;
        }

        if (hasAfter && afterStart == end)
        {
            Remove(afterStart, afterEnd);
            newEnd = afterEnd;
        }

        Add(newStart, newEnd);
        FreeBytes += size;
    }

    private (ulong Start, ulong End)? Containing(ulong address)
    {
        return _byStart.TryFloor(address, out var start, out var end) && address < end ? (start, end) : null;
    }

    private void Take(ulong rangeStart, ulong rangeEnd, ulong start, ulong end)
    {
        Remove(rangeStart, rangeEnd);
        if (rangeStart < start)
        {
            Add(rangeStart, start);
        }

        if (end < rangeEnd)
        {
            Add(end, rangeEnd);
        }

        FreeBytes -= end - start;
    }

    private void Add(ulong start, ulong end)
    {
        _byStart.TryAdd(start, end);
        _bySize.TryAdd(((UInt128)(end - start) << 64) | start, true);
    }

    private void Remove(ulong start, ulong end)
    {
        _byStart.Remove(start);
        _bySize.Remove(((UInt128)(end - start) << 64) | start);
    }
}
