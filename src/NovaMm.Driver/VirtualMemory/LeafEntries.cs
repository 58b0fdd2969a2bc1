using System.Runtime.CompilerServices;
using NovaMm.Driver.PageTables;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Driver.VirtualMemory;

/// <summary>
/// What the leaf entries of a VA range hold, computed on demand instead of stored per page: invalid (zero), one
/// constant entry (sparse), or PTEs for runs of physically contiguous pages. A PTE's address field is a plain
/// binary field, so the entry of the k-th page of a run is <c>entry(run start) + k × step</c>, where step is the
/// entry difference of one page; <see cref="ForRuns"/> checks that against the entry codec at both ends of every
/// run. The same object rewrites a mapping's entries when an unmap must be rolled back, so no old entry is copied.
/// </summary>
internal sealed class LeafEntries
{
    private readonly ulong _low;
    private readonly ulong _high;
    private readonly ulong _step;
    private readonly VramRange[] _runs;

    /// <summary>Page index (from the mapping's first VA) of each run's first page, plus the total at the end.</summary>
    private readonly ulong[] _firstPage;

    private LeafEntries(ulong va, ulong pageSize, ulong low, ulong high, ulong step, VramRange[] runs, ulong[] firstPage)
    {
        Va = va;
        PageSize = pageSize;
        _low = low;
        _high = high;
        _step = step;
        _runs = runs;
        _firstPage = firstPage;
    }

    /// <summary>Invalid entries (what an unmap writes).</summary>
    public static LeafEntries Invalid { get; } = new(0, GpuPage.Size, 0, 0, 0, [], [0]);

    /// <summary>The first VA the page runs start at.</summary>
    public ulong Va { get; }

    /// <summary>Bytes each entry maps.</summary>
    public ulong PageSize { get; }

    /// <summary>The physical runs, in VA order.</summary>
    public IReadOnlyList<VramRange> Runs => _runs;

    /// <summary>One constant entry everywhere (e.g. sparse).</summary>
    public static LeafEntries Constant(ulong low, ulong high) => new(0, GpuPage.Size, low, high, 0, [], [0]);

    /// <summary>Valid PTEs at <paramref name="level"/> mapping <paramref name="runs"/> from <paramref name="va"/> on.</summary>
    /// <exception cref="InvalidOperationException">The codec's entries are not linear in the address (a format bug).</exception>
    public static LeafEntries ForRuns(MmuFormat format, MmuLevel level, ulong va, ulong pageSize, VramRange[] runs, MapAttributes attributes)
    {
        var (t0, high) = EntryCodec.Pte(format, level, new VramAddress(0), attributes);
        var step = EntryCodec.Pte(format, level, new VramAddress(pageSize), attributes).Low - t0;
        var firstPage = new ulong[runs.Length + 1];
        for (var i = 0; i < runs.Length; i++)
        {
            var r = runs[i];
            var pages = r.Size / pageSize;
            firstPage[i + 1] = firstPage[i] + pages;
            foreach (var page in (ReadOnlySpan<ulong>)[r.Start.Value, r.Start.Value + ((pages - 1) * pageSize)])
            {
                var (lo, hi) = EntryCodec.Pte(format, level, new VramAddress(page), attributes);
                if (lo != t0 + (page / pageSize * step) || hi != high)
                {
                    throw new InvalidOperationException($"{format.Name} {level.Name} entries are not linear in the page address at {new VramAddress(page)}");
                }
            }
        }

        return new LeafEntries(va, pageSize, t0, high, step, runs, firstPage);
    }

    /// <summary>
    /// Writes the entries of the <c>count</c> pages from <paramref name="va"/> on into <paramref name="destination"/>,
    /// <paramref name="words"/> 64-bit words per entry (2 for the dual level: low, high).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Fill(ulong va, int count, int words, Span<ulong> destination)
    {
        destination = destination[..(count * words)];
        if (_runs.Length == 0)
        {
            if (words == 1)
            {
                destination.Fill(_low);
            }
            else
            {
                for (var k = 0; k < destination.Length; k += 2)
                {
                    destination[k] = _low;
                    destination[k + 1] = _high;
                }
            }

            return;
        }

        var page = (va - Va) / PageSize;
        var r = RunOf(page);
        var done = 0;
        while (done < count)
        {
            var inRun = (int)Math.Min((ulong)(count - done), _firstPage[r + 1] - page);
            var first = _low + ((_runs[r].Start.Value / PageSize) + (page - _firstPage[r])) * _step;
            if (words == 1)
            {
                var span = destination.Slice(done, inRun);
                for (var k = 0; k < span.Length; k++)
                {
                    span[k] = first + ((ulong)k * _step);
                }
            }
            else
            {
                var span = destination.Slice(done * 2, inRun * 2);
                for (var k = 0; k < inRun; k++)
                {
                    span[2 * k] = first + ((ulong)k * _step);
                    span[(2 * k) + 1] = _high;
                }
            }

            done += inRun;
            page += (ulong)inRun;
            r++;
        }
    }

    /// <summary>The run holding page <paramref name="page"/> (binary search over the first pages).</summary>
    private int RunOf(ulong page) => RunSearch.Of<ulong>(_firstPage, _runs.Length, page);
}
