using NovaMm.Driver.PageTables;
using NovaMm.Spec.Addresses;

namespace NovaMm.Driver.VirtualMemory;

/// <summary>What to map: size, page size, where, and the PTE attributes.</summary>
public sealed record MapRequest
{
    /// <summary>Bytes to map; a multiple of <see cref="PageSize"/>.</summary>
    public required ulong Size { get; init; }

    /// <summary>Page size: 4 KiB, 64 KiB, 2 MiB, and 512 MiB / 256 GiB where the format allows. Default 4 KiB.</summary>
    public ulong PageSize { get; init; } = GpuPage.Size;

    /// <summary>Exact VA (aligned to the page size); null = the VMM chooses.</summary>
    public GpuVa? Va { get; init; }

    /// <summary>PTE attributes.</summary>
    public MapAttributes Attributes { get; init; }

    /// <summary>With an exact VA: replace the live mappings inside the range instead of refusing.</summary>
    public bool Replace { get; init; }

    /// <summary>
    /// A sparse mapping: no pages behind it; its PTEs hold the sparse encoding (v2 <c>NV_MMU_VER2_PTE_VALID</c> 0 +
    /// <c>NV_MMU_VER2_PTE_VOL</c> 1, v3 <c>NV_MMU_VER3_PTE_PCF_SPARSE</c>; docs/page-tables.md), so the GPU reads zero and drops
    /// writes without faulting, as drm_gpuvm's sparse regions want.
    /// </summary>
    public bool Sparse { get; init; }
}

/// <summary>A live mapping in a <see cref="Vmm"/>.</summary>
public sealed class Mapping
{
    private PageList? _pages; // built on first use (immutable, so a race only builds it twice)

    internal Mapping(GpuVa va, ulong size, ulong pageSize, MapAttributes attributes, LeafEntries entries, int ptPagesAllocated)
    {
        Va = va;
        Size = size;
        PageSize = pageSize;
        Attributes = attributes;
        Entries = entries;

        PtPagesAllocated = ptPagesAllocated;
    }

    /// <summary>First virtual address.</summary>
    public GpuVa Va { get; }

    /// <summary>Bytes mapped.</summary>
    public ulong Size { get; }

    /// <summary>One past the last virtual address.</summary>
    public GpuVa End => new(Va.Value + Size);

    /// <summary>Page size of its PTEs.</summary>
    public ulong PageSize { get; }

    /// <summary>PTE attributes.</summary>
    public MapAttributes Attributes { get; }

    /// <summary>Physical address of each page, in VA order (a view computed from <see cref="Runs"/>: nothing per page is stored).</summary>
    public IReadOnlyList<VramAddress> Pages => _pages ??= new PageList(Entries.Runs, PageSize);

    /// <summary>The physically contiguous runs behind the mapping, in VA order (adjacent runs merged; none when sparse).</summary>
    public IReadOnlyList<VramRange> Runs => Entries.Runs;

    /// <summary>Whether the mapping is sparse (no pages; sparse PTEs).</summary>
    public bool IsSparse { get; init; }

    /// <summary>Number of PTEs.</summary>
    public ulong PteCount => Size / PageSize;

    /// <summary>Page-table pages the map call allocated.</summary>
    public int PtPagesAllocated { get; }

    /// <summary>Whether it has been unmapped.</summary>
    public bool IsUnmapped { get; internal set; }

    internal bool PendingReplace { get; set; }

    /// <summary>How to compute its leaf entries (to write them, and to write them again when an unmap rolls back).</summary>
    internal LeafEntries Entries { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Va}..{End} ({PteCount} x {Spec.PageTables.PageSize.Format(PageSize)}, {(IsSparse ? "sparse" : Attributes.ToString())})";
}

/// <summary>The pages of a list of runs as a read-only list: the address of page i is found by binary search over the runs.</summary>
internal sealed class PageList : IReadOnlyList<VramAddress>
{
    private readonly IReadOnlyList<VramRange> _runs;
    private readonly ulong _pageSize;
    private readonly long[] _first;

    public PageList(IReadOnlyList<VramRange> runs, ulong pageSize)
    {
        _runs = runs;
        _pageSize = pageSize;
        _first = new long[runs.Count + 1];
        for (var i = 0; i < runs.Count; i++)
        {
            _first[i + 1] = _first[i] + (long)(runs[i].Size / pageSize);
        }

        Count = (int)Math.Min(_first[^1], int.MaxValue);
    }

    public int Count { get; }

    public VramAddress this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            var lo = RunSearch.Of<long>(_first, _runs.Count, index);
            return _runs[lo].Start.Add((ulong)(index - _first[lo]) * _pageSize);
        }
    }

    public IEnumerator<VramAddress> GetEnumerator()
    {
        var n = 0;
        foreach (var r in _runs)
        {
            for (var a = r.Start.Value; a < r.End.Value && n < Count; a += _pageSize, n++)
            {
                yield return new VramAddress(a);
            }
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
