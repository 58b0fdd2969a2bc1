using System.Globalization;
using System.Net;
using System.Text;
using NovaMm.Cli.Parsing;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Spec.Addresses;

namespace NovaMm.Cli.Render;

/// <summary>What the page shows besides the VRAM picture.</summary>
/// <param name="Title">Page heading.</param>
/// <param name="Chip">Chip name and board summary.</param>
/// <param name="Scenario">What ran before the picture was taken.</param>
/// <param name="Vmm">The address space to draw (null: none was created).</param>
/// <param name="VmmName">Its name.</param>
/// <param name="AllocatorSummary">Per-region free bytes per order from the allocator's statistics.</param>
internal sealed record PageModel(string Title, string Chip, string Scenario, Vmm? Vmm, string VmmName, IReadOnlyList<(int Order, ulong Blocks, ulong Bytes)> AllocatorSummary);

/// <summary>
/// Builds the self-contained HTML page of <c>novamm render</c>: inline CSS and SVG, no scripts, no external resources.
/// Stable hooks for tests: <c>svg#vram-map</c>, <c>svg#vram-detail</c>, <c>svg#va-map</c>, <c>.legend</c> lists with one
/// <c>.legend-item[data-kind]</c> per owner, and one <c>rect.block</c> per drawn stretch with classes
/// <c>free order-N</c>, <c>gsp</c>, <c>allocation</c>, <c>page-table</c>, <c>reserved</c> (VRAM) or
/// <c>mapping page-4k|page-64k|page-2m|…</c>, <c>unmapped</c> (VA); <c>coalesced</c> marks a rect that merges stretches
/// narrower than <see cref="MinWidth"/> pixels.
/// </summary>
internal static class HtmlPage
{
    /// <summary>Width of a map row in SVG units.</summary>
    public const int Width = 1100;

    /// <summary>Stretches narrower than this (pixels) are merged with their neighbours into one rect.</summary>
    public const double MinWidth = 2.0;

    private const int RowHeight = 22;
    private const int RowGap = 6;
    private const int LabelWidth = 150;

    /// <summary>The whole page.</summary>
    public static string Build(PageModel model, VramPicture vram)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(E(model.Title)).Append("</title>\n<style>\n").Append(Css(vram)).Append("</style>\n</head>\n<body>\n");
        sb.Append("<h1>").Append(E(model.Title)).Append("</h1>\n");
        sb.Append("<p class=\"meta\">").Append(E(model.Chip)).Append("<br>").Append(E(model.Scenario)).Append("</p>\n");
        foreach (var p in vram.Problems)
        {
            sb.Append("<p class=\"warning\">").Append(E(p)).Append("</p>\n");
        }

        // (a) VRAM occupancy.
        sb.Append("<section id=\"vram\">\n<h2>VRAM occupancy by owner</h2>\n");
        sb.Append("<p>").Append(E($"{Numbers.FormatSize(vram.Total)} of VRAM, address 0 at the top left; each row is 1/{Rows(vram.Total)} of VRAM. Stretches narrower than {MinWidth} px are merged (class coalesced); a merged stretch takes the colour of its most significant owner (page tables, then allocations, then GSP, then free) and its hover title lists what it holds.")).Append("</p>\n");
        sb.Append(Legend("vram-legend", VramLegend(vram)));
        var rows = Rows(vram.Total);
        sb.Append(Map("vram-map", "VRAM map", 0, vram.Total, rows, vram.Segments.Select(ToItem).ToList()));
        var used = vram.Segments.Where(s => s.Owner is Owner.Allocation or Owner.PageTable).ToList();
        if (used.Count > 0)
        {
            var lo = used.Min(s => s.Start) & ~((1UL << 20) - 1);
            var hi = Math.Min(vram.Total, (used.Max(s => s.End) + (1UL << 20) - 1) & ~((1UL << 20) - 1));
            sb.Append("<h3>").Append(E($"Detail: {Hex.Format(lo)}..{Hex.Format(hi)} ({Numbers.FormatSize(hi - lo)}), where the driver's allocations and page tables are")).Append("</h3>\n");
            sb.Append(Map("vram-detail", "VRAM detail", lo, hi, 8, vram.Segments.Where(s => s.End > lo && s.Start < hi).Select(s => ToItem(s with { Start = Math.Max(s.Start, lo), End = Math.Min(s.End, hi) })).ToList()));
        }

        sb.Append(OrderTable(model.AllocatorSummary));
        sb.Append("</section>\n");

        // (b) The VMM's address space.
        sb.Append("<section id=\"va\">\n<h2>Virtual address space</h2>\n");
        sb.Append(VaSection(model));
        sb.Append("</section>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>Rows of the VRAM map: one per 4 GiB, between 1 and 8.</summary>
    internal static int Rows(ulong total) => (int)Math.Clamp((total + (4UL << 30) - 1) >> 32, 1, 8);

    private static MapItem ToItem(Segment s) => new(s.Start, s.End, KindOf(s.Owner), s.Order, Rank(s.Owner), s.Label);

    private static string KindOf(Owner o) => o switch
    {
        Owner.Free => "free",
        Owner.Reserved => "reserved",
        Owner.Gsp => "gsp",
        Owner.Allocation => "allocation",
        _ => "page-table",
    };

    private static int Rank(Owner o) => o switch
    {
        Owner.PageTable => 5,
        Owner.Allocation => 4,
        Owner.Gsp => 3,
        Owner.Reserved => 2,
        _ => 1,
    };

    private static IEnumerable<(string Kind, string Css, string Text)> VramLegend(VramPicture vram)
    {
        yield return ("gsp", "gsp", "GSP-reserved (RM reserved, WPR2, FRTS, VGA workspace)");
        yield return ("page-table", "page-table", "page-table page");
        yield return ("allocation", "allocation", "allocation");
        if (vram.Segments.Any(s => s.Owner == Owner.Reserved))
        {
            yield return ("reserved", "reserved", "not usable");
        }

        foreach (var order in vram.Segments.Where(s => s.Owner == Owner.Free).Select(s => s.Order).Distinct().Order())
        {
            yield return ($"free order-{order}", $"free order-{order}", $"free, order {order} ({Numbers.FormatSize(GpuPage.Size << order)} blocks)");
        }
    }

    private static string Legend(string id, IEnumerable<(string Kind, string Css, string Text)> items)
    {
        var sb = new StringBuilder();
        sb.Append("<ul class=\"legend\" id=\"").Append(id).Append("\">\n");
        foreach (var (kind, css, text) in items)
        {
            sb.Append("<li class=\"legend-item\" data-kind=\"").Append(E(kind)).Append("\"><svg width=\"14\" height=\"14\" aria-hidden=\"true\"><rect class=\"swatch ").Append(E(css)).Append("\" width=\"14\" height=\"14\"></rect></svg> ").Append(E(text)).Append("</li>\n");
        }

        return sb.Append("</ul>\n").ToString();
    }

    private static string OrderTable(IReadOnlyList<(int Order, ulong Blocks, ulong Bytes)> orders)
    {
        var sb = new StringBuilder("<table class=\"orders\" id=\"free-orders\">\n<caption>Free blocks per order (the allocator's statistics)</caption>\n<tr><th>order</th><th>block</th><th>free blocks</th><th>free</th></tr>\n");
        foreach (var (order, blocks, bytes) in orders.OrderByDescending(o => o.Order))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td><svg width=\"12\" height=\"12\" aria-hidden=\"true\"><rect class=\"swatch free order-{order}\" width=\"12\" height=\"12\"></rect></svg> {order}</td><td>{E(Numbers.FormatSize(GpuPage.Size << order))}</td><td>{blocks}</td><td>{E(Numbers.FormatSize(bytes))}</td></tr>\n");
        }

        return sb.Append("</table>\n").ToString();
    }

    private static string VaSection(PageModel model)
    {
        var sb = new StringBuilder();
        if (model.Vmm is not { } vmm)
        {
            sb.Append("<p>No address space was created by this scenario.</p>\n");
            sb.Append("<svg id=\"va-map\" class=\"map\" width=\"").Append(Width + LabelWidth).Append("\" height=\"30\" role=\"img\" aria-label=\"VA map (empty)\"><text x=\"4\" y=\"18\">no mappings</text></svg>\n");
            return sb.ToString();
        }

        var mappings = vmm.Mappings;
        sb.Append("<p>").Append(E($"VMM '{model.VmmName}': {vmm.Format.Name}, {vmm.Format.VaBits}-bit VA ({Hex.Format(vmm.VaStart)}..{Hex.Format(vmm.VaEnd)}), root directory (PDB) at {Hex.Format(vmm.Pdb.Value)}; ")).Append("<span id=\"pt-pages\" data-count=\"").Append(vmm.PageTablePages.ToString(CultureInfo.InvariantCulture)).Append("\">")
            .Append(E($"{vmm.PageTablePages} page-table pages besides the root")).Append("</span>; ").Append(E($"{mappings.Count} mappings, {Numbers.FormatSize((ulong)mappings.Sum(m => (decimal)m.Size))} mapped.")).Append("</p>\n");
        var sizes = mappings.Select(m => m.PageSize).Distinct().Order().ToList();
        sb.Append(Legend("va-legend", sizes.Select(s => ($"mapping {PageClass(s)}", $"mapping {PageClass(s)}", $"mapped with {Spec.PageTables.PageSize.Format(s)} pages")).Append(("unmapped", "unmapped", "unmapped"))));
        if (mappings.Count == 0)
        {
            sb.Append("<svg id=\"va-map\" class=\"map\" width=\"").Append(Width + LabelWidth).Append("\" height=\"30\" role=\"img\" aria-label=\"VA map (empty)\"><text x=\"4\" y=\"18\">no mappings</text></svg>\n");
            return sb.ToString();
        }

        const ulong span = 2UL << 20;
        var lo = mappings.Min(m => m.Va.Value) & ~(span - 1);
        var hi = (mappings.Max(m => m.End.Value) + span - 1) & ~(span - 1);
        var items = new List<MapItem>();
        var cursor = lo;
        foreach (var m in mappings)
        {
            if (m.Va.Value > cursor)
            {
                items.Add(new MapItem(cursor, m.Va.Value, "unmapped", -1, 0, "unmapped"));
            }

            items.Add(new MapItem(m.Va.Value, m.End.Value, $"mapping {PageClass(m.PageSize)}", -1, 1,
                $"{Hex.Format(m.Va.Value)}..{Hex.Format(m.End.Value)}: {m.Size / m.PageSize} x {Spec.PageTables.PageSize.Format(m.PageSize)} pages, {m.Attributes}, {m.PtPagesAllocated} page-table pages allocated by the map"));
            cursor = m.End.Value;
        }

        if (cursor < hi)
        {
            items.Add(new MapItem(cursor, hi, "unmapped", -1, 0, "unmapped"));
        }

        sb.Append("<p>").Append(E($"Mapped span {Hex.Format(lo)}..{Hex.Format(hi)} ({Numbers.FormatSize(hi - lo)}) of the VA space:")).Append("</p>\n");
        sb.Append(Map("va-map", "VA map", lo, hi, 4, items));
        sb.Append("<table class=\"mappings\" id=\"mappings\">\n<tr><th>VA</th><th>size</th><th>page</th><th>pages</th><th>attributes</th><th>first page in VRAM</th></tr>\n");
        foreach (var m in mappings)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"mapping {PageClass(m.PageSize)}\"><td>{E(Hex.Format(m.Va.Value))}</td><td>{E(Numbers.FormatSize(m.Size))}</td><td>{E(Spec.PageTables.PageSize.Format(m.PageSize))}</td><td>{m.Size / m.PageSize}</td><td>{E(m.Attributes.ToString())}</td><td>{E(m.Pages.Count > 0 ? Hex.Format(m.Pages[0].Value) : "-")}</td></tr>\n");
        }

        return sb.Append("</table>\n").ToString();
    }

    /// <summary>The CSS class of a page size: <c>page-4k</c>, <c>page-64k</c>, <c>page-2m</c>, <c>page-512m</c>, …</summary>
    internal static string PageClass(ulong pageSize) => "page-" + Spec.PageTables.PageSize.Format(pageSize).ToLowerInvariant();

    /// <summary>One stretch to draw: its class (kind), order for free blocks, rank for merging, hover label.</summary>
    private sealed record MapItem(ulong Start, ulong End, string Kind, int Order, int Rank, string Label);

    /// <summary>
    /// An SVG map of [<paramref name="lo"/>, <paramref name="hi"/>) wrapped into <paramref name="rows"/> rows. Items
    /// narrower than <see cref="MinWidth"/> are merged into one rect per at-least-<see cref="MinWidth"/> sliver, so a row
    /// never holds more than about 2 x <see cref="Width"/> / <see cref="MinWidth"/> rects whatever the VRAM size.
    /// </summary>
    private static string Map(string id, string label, ulong lo, ulong hi, int rows, IReadOnlyList<MapItem> items)
    {
        var rowSpan = (hi - lo + (ulong)rows - 1) / (ulong)rows;
        rowSpan = Math.Max(rowSpan, 1);
        var height = rows * (RowHeight + RowGap);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg id=\"{id}\" class=\"map\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width + LabelWidth}\" height=\"{height}\" viewBox=\"0 0 {Width + LabelWidth} {height}\" role=\"img\" aria-label=\"{E(label)}\">\n");
        for (var r = 0; r < rows; r++)
        {
            var rs = lo + ((ulong)r * rowSpan);
            if (rs >= hi)
            {
                break;
            }

            var re = Math.Min(hi, rs + rowSpan);
            var y = r * (RowHeight + RowGap);
            sb.Append(CultureInfo.InvariantCulture, $"<text class=\"row-label\" x=\"0\" y=\"{y + 15}\">{E(Hex.Format(rs))}</text>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<rect class=\"row-bg\" x=\"{LabelWidth}\" y=\"{y}\" width=\"{Width * (double)(re - rs) / rowSpan:0.###}\" height=\"{RowHeight}\"></rect>\n");
            var bucket = new Bucket();
            double X(ulong a) => LabelWidth + (Width * (double)(a - rs) / rowSpan);
            foreach (var it in items)
            {
                if (it.End <= rs || it.Start >= re)
                {
                    continue;
                }

                var s = Math.Max(it.Start, rs);
                var e = Math.Min(it.End, re);
                var w = X(e) - X(s);
                if (w >= MinWidth)
                {
                    Flush(sb, bucket, y, X);
                    Rect(sb, X(s), w, y, $"block {it.Kind}" + (it.Order >= 0 ? $" order-{it.Order}" : string.Empty), $"{Hex.Format(s)}..{Hex.Format(e)} ({Numbers.FormatSize(e - s)}): {it.Label}");
                    continue;
                }

                bucket.Add(it, s, e);
                if (X(bucket.End) - X(bucket.Start) >= MinWidth)
                {
                    Flush(sb, bucket, y, X);
                }
            }

            Flush(sb, bucket, y, X);
        }

        return sb.Append("</svg>\n").ToString();
    }

    private static void Flush(StringBuilder sb, Bucket b, int y, Func<ulong, double> x)
    {
        if (b.Count == 0)
        {
            return;
        }

        if (b.Count == 1)
        {
            var only = b.Parts.First();
            Rect(sb, x(b.Start), Math.Max(x(b.End) - x(b.Start), 0.5), y, $"block {only.Key.Kind}" + (only.Key.Order >= 0 ? $" order-{only.Key.Order}" : string.Empty), $"{Hex.Format(b.Start)}..{Hex.Format(b.End)} ({Numbers.FormatSize(b.End - b.Start)}): {b.FirstLabel}");
        }
        else
        {
            var top = b.Parts.OrderByDescending(p => p.Value.Rank).ThenByDescending(p => p.Value.Bytes).First();
            var what = string.Join(", ", b.Parts.OrderByDescending(p => p.Value.Rank).ThenByDescending(p => p.Value.Bytes)
                .Select(p => $"{p.Value.Count} {p.Key.Kind}{(p.Key.Order >= 0 ? $" order-{p.Key.Order}" : string.Empty)} ({Numbers.FormatSize(p.Value.Bytes)})"));
            Rect(sb, x(b.Start), Math.Max(x(b.End) - x(b.Start), 0.5), y, $"block {top.Key.Kind}" + (top.Key.Order >= 0 ? $" order-{top.Key.Order}" : string.Empty) + " coalesced",
                $"{Hex.Format(b.Start)}..{Hex.Format(b.End)} ({Numbers.FormatSize(b.End - b.Start)}), {b.Count} stretches merged: {what}");
        }

        b.Clear();
    }

    private static void Rect(StringBuilder sb, double x, double w, int y, string cls, string title) =>
        sb.Append(CultureInfo.InvariantCulture, $"<rect class=\"{E(cls)}\" x=\"{x:0.###}\" y=\"{y}\" width=\"{w:0.###}\" height=\"{RowHeight}\"><title>{E(title)}</title></rect>\n");

    private static string Css(VramPicture vram)
    {
        var sb = new StringBuilder("""
            body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
            h1 { font-size: 1.4em; } h2 { font-size: 1.2em; margin-top: 1.5em; } h3 { font-size: 1em; }
            .meta { color: #555; } .warning { color: #b00; font-weight: bold; }
            .legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.4em 1.2em; }
            .legend-item { display: inline-flex; align-items: center; gap: 0.3em; }
            svg.map { display: block; margin: 0.5em 0; }
            .row-label { font: 11px ui-monospace, monospace; fill: #555; }
            .row-bg { fill: #f4f4f4; }
            rect.block { stroke: #fff; stroke-width: 0.6; } rect.block.coalesced { stroke: none; } rect.block:hover { stroke: #000; stroke-width: 1; }
            rect.coalesced { opacity: 0.85; }
            .gsp { fill: #8e44ad; } .page-table { fill: #e67e22; } .allocation { fill: #2980b9; } .reserved { fill: #7f8c8d; }
            .unmapped { fill: #e8e8e8; } .mapping { fill: #2c3e50; }
            .mapping.page-4k { fill: #16a085; } .mapping.page-64k { fill: #d35400; } .mapping.page-2m { fill: #c0392b; }
            .mapping.page-512m { fill: #8e44ad; } .mapping.page-256g { fill: #34495e; }
            table { border-collapse: collapse; margin: 0.8em 0; } td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
            caption { text-align: left; font-weight: bold; padding-bottom: 0.3em; }

            """);
        var orders = vram.Segments.Where(s => s.Owner == Owner.Free).Select(s => s.Order).Append(0).Distinct().ToList();
        var max = Math.Max(1, orders.Max());
        foreach (var o in Enumerable.Range(0, max + 1))
        {
            // Small orders light, large orders dark green.
            var light = 85 - (55.0 * o / max);
            sb.Append(CultureInfo.InvariantCulture, $".free.order-{o} {{ fill: hsl(130, 45%, {light:0.#}%); }}\n");
        }

        return sb.ToString();
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private sealed class Bucket
    {
        public Dictionary<(string Kind, int Order), (int Rank, ulong Bytes, int Count)> Parts { get; } = [];

        public ulong Start { get; private set; }

        public ulong End { get; private set; }

        public int Count { get; private set; }

        public string FirstLabel { get; private set; } = string.Empty;

        public void Add(MapItem it, ulong s, ulong e)
        {
            if (Count == 0)
            {
                Start = s;
                FirstLabel = it.Label;
            }

            End = e;
            Count++;
            var key = (it.Kind, it.Order);
            var cur = Parts.GetValueOrDefault(key);
            Parts[key] = (it.Rank, cur.Bytes + (e - s), cur.Count + 1);
        }

        public void Clear()
        {
            Parts.Clear();
            Count = 0;
        }
    }
}
