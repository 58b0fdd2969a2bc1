using System.Globalization;

namespace NovaMm.Spec.PageTables;

/// <summary>The page sizes of NVIDIA's MMU v2/v3 formats in bytes, and their display form (docs/page-tables.md).</summary>
public static class PageSize
{
    /// <summary>4 KiB: a small-page PTE.</summary>
    public const ulong Size4K = 4UL << 10;

    /// <summary>64 KiB: a big-page PTE.</summary>
    public const ulong Size64K = 64UL << 10;

    /// <summary>2 MiB: a PTE in PD0.</summary>
    public const ulong Size2M = 2UL << 20;

    /// <summary>512 MiB: a PTE in PD1 (GA10x/AD10x and v3).</summary>
    public const ulong Size512M = 512UL << 20;

    /// <summary>256 GiB: a PTE in PD2 (Blackwell).</summary>
    public const ulong Size256G = 256UL << 30;

    /// <summary>Binary-unit form: <c>4K</c>, <c>64K</c>, <c>2M</c>, <c>512M</c>, <c>256G</c>; other sizes in bytes as hex.</summary>
    public static string Format(ulong bytes)
    {
        foreach (var (shift, unit) in new[] { (40, "T"), (30, "G"), (20, "M"), (10, "K") })
        {
            if (bytes >= 1UL << shift && bytes % (1UL << shift) == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{bytes >> shift}{unit}");
            }
        }

        return "0x" + bytes.ToString("x", CultureInfo.InvariantCulture);
    }
}
