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
    /// A sparse mapping: no pages behind it; its PTEs hold the sparse encoding (v2 VALID 0 + VOL, v3 PCF SPARSE), so
    /// the GPU reads zero and drops writes without faulting (hardware.md §1.5, §2.4; drm_gpuvm sparse regions).
    /// </summary>
    public bool Sparse { get; init; }
}

/// <summary>A live mapping in a <see cref="Vmm"/>.</summary>
public sealed class Mapping
{
    internal Mapping(GpuVa va, ulong size, ulong pageSize, MapAttributes attributes, VramAddress[] pages, int ptPagesAllocated)
    {
        Va = va;
        Size = size;
        PageSize = pageSize;
        Attributes = attributes;
        Pages = pages;
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

    /// <summary>Physical address of each page, in VA order.</summary>
    public IReadOnlyList<VramAddress> Pages { get; }

    /// <summary>Whether the mapping is sparse (no pages; sparse PTEs).</summary>
    public bool IsSparse { get; init; }

    /// <summary>Number of PTEs.</summary>
    public ulong PteCount => Size / PageSize;

    /// <summary>Page-table pages the map call allocated.</summary>
    public int PtPagesAllocated { get; }

    /// <summary>Whether it has been unmapped.</summary>
    public bool IsUnmapped { get; internal set; }

    internal bool PendingReplace { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Va}..{End} ({PteCount} x {Spec.PageTables.PageSize.Format(PageSize)}, {(IsSparse ? "sparse" : Attributes.ToString())})";
}
