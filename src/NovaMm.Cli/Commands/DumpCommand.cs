using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using NovaMm.Cli.Output;
using NovaMm.Cli.Parsing;
using NovaMm.Driver.PageTables;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;
using Spectre.Console;

namespace NovaMm.Cli.Commands;

/// <summary>
/// <c>novamm dump</c>: a whole page-table tree (<see cref="PageTableDump"/>) from a VRAM image, a raw dump, or a
/// freshly booted simulated GPU: the tree and the coalesced mappings.
/// </summary>
internal static class DumpCommand
{
    public static Command Create()
    {
        var source = new PageTableSourceOptions();
        var va = new Option<string?>("--va") { Description = "only entries overlapping START:END (half-open; decimal, 0x hex or sizes like 4G)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var tree = new Option<bool>("--tree") { Description = "only the tree" };
        var ranges = new Option<bool>("--ranges") { Description = "only the coalesced mappings" };
        var cmd = new Command("dump", "Dump the page-table tree and the coalesced mappings of a VRAM image (or raw dump, or a fresh simulated GPU without --image)")
        {
            va, json, tree, ranges,
        };
        foreach (var o in source.All)
        {
            cmd.Options.Add(o);
        }

        cmd.Validators.Add(r =>
        {
            if (r.GetValue(tree) && r.GetValue(ranges))
            {
                r.AddError("--tree and --ranges exclude each other (give neither for both)");
            }
        });
        cmd.SetAction(r =>
        {
            using var src = source.Open(r, allowLiveGpu: true);
            var (start, end) = r.GetValue(va) is { } text ? ParseRange(text, src.Format) : (0UL, src.Format.VaLimit);
            PageTableDumpResult result;
            using (var window = src.Pramin.Acquire())
            {
                result = PageTableDump.Dump(window, src.Pdb, src.Format, start, end);
            }

            var showTree = !r.GetValue(ranges);
            var showRanges = !r.GetValue(tree);
            if (r.GetValue(json))
            {
                Json.Print(ToJson(src.JsonHead(), result, showTree, showRanges), oneLine: true);
            }
            else
            {
                Print(src.Describe(), result, showTree, showRanges);
            }

            return 0;
        });
        return cmd;
    }

    /// <summary>Parses <c>START:END</c> (half-open) inside the format's VA width.</summary>
    internal static (ulong Start, ulong End) ParseRange(string text, MmuFormat format)
    {
        var parts = text.Split(':');
        if (parts.Length != 2)
        {
            throw new CliError($"malformed VA range '{text}' (expected START:END)");
        }

        var start = Numbers.ParseSize(parts[0], "VA range start");
        var end = Numbers.ParseSize(parts[1], "VA range end");
        if (start >= end)
        {
            throw new CliError($"VA range '{text}' is empty (START must be below END)");
        }

        if (end > format.VaLimit)
        {
            throw new CliError($"VA range end 0x{end:x} is beyond the {format.VaBits}-bit VA space (end 0x{format.VaLimit:x})");
        }

        return (start, end);
    }

    /// <summary>The dump as JSON: <paramref name="head"/>'s keys, then the range, <c>tree</c>, <c>mappings</c>, <c>problems</c> (reusable by the shell).</summary>
    internal static JsonObject ToJson(JsonObject head, PageTableDumpResult result, bool tree, bool ranges)
    {
        var o = head;
        o["vaStart"] = Json.Hex(result.VaStart);
        o["vaEnd"] = Json.Hex(result.VaEnd);
        o["tablesRead"] = result.TablesRead;
        if (tree)
        {
            o["tree"] = new JsonArray(result.Roots.Select(NodeJson).ToArray());
        }

        if (ranges)
        {
            o["mappings"] = new JsonArray(result.Mappings.Select(m => (JsonNode)new JsonObject
            {
                ["va"] = Json.Hex(m.VaStart),
                ["vaEnd"] = Json.Hex(m.VaEnd),
                ["address"] = Json.Hex(m.PaStart),
                ["addressEnd"] = Json.Hex(m.PaEnd),
                ["size"] = Json.Hex(m.Size),
                ["page"] = PageSize.Format(m.PageSize),
                ["pages"] = m.Pages,
                ["aperture"] = m.Attributes.ApertureName,
                ["ro"] = m.Attributes.ReadOnly,
                ["priv"] = m.Attributes.Privileged,
                ["noatomic"] = m.Attributes.AtomicDisabled,
                ["volatile"] = m.Attributes.Volatile,
                ["kind"] = Json.Hex(m.Attributes.Kind),
                ["pcf"] = m.Attributes.PcfName,
            }).ToArray());
            o["mappedBytes"] = Json.Hex(result.MappedBytes);
            o["sparse"] = new JsonArray(result.Sparse.Select(sp => (JsonNode)new JsonObject
            {
                ["va"] = Json.Hex(sp.VaStart),
                ["vaEnd"] = Json.Hex(sp.VaEnd),
                ["size"] = Json.Hex(sp.Size),
            }).ToArray());
        }

        o["problems"] = new JsonArray(result.Problems.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray());
        return o;
    }

    private static JsonNode NodeJson(PageTableNode n)
    {
        var o = new JsonObject
        {
            ["level"] = n.Level.Id.CliName(),
            ["index"] = n.Index,
            ["vaStart"] = Json.Hex(n.VaStart),
            ["vaEnd"] = Json.Hex(n.VaEnd),
            ["entryAddress"] = Json.Hex(n.EntryAddress.Value),
            ["raw"] = n.RawHex,
            ["meaning"] = n.Decoded.Describe(),
        };
        if (n.Notes.Count > 0)
        {
            o["notes"] = new JsonArray(n.Notes.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray());
        }

        if (n.Children.Count > 0)
        {
            o["children"] = new JsonArray(n.Children.Select(NodeJson).ToArray());
        }

        return o;
    }

    /// <summary>The dump for people: <paramref name="title"/>, the tree, the mapping table, problems, totals (reusable by the shell).</summary>
    internal static void Print(string title, PageTableDumpResult result, bool showTree, bool showRanges)
    {
        AnsiConsole.MarkupLine(Markup.Escape(title));
        if (showTree)
        {
            var root = new Tree(Markup.Escape($"{result.Format.Root.Name} at {result.Pdb} (VA {Hex.Format(result.VaStart)}..{Hex.Format(result.VaEnd)})"));
            AddNodes(s => root.AddNode(s), result.Roots);
            AnsiConsole.Write(root);
        }

        if (showRanges)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("Mappings (coalesced)")
                .AddColumns("VA", "VA end", "Physical", "Physical end", "Size", "Page", "Pages", "Attributes");
            foreach (var m in result.Mappings)
            {
                table.AddRow(Hex.Format(m.VaStart), Hex.Format(m.VaEnd), Hex.Format(m.PaStart), Hex.Format(m.PaEnd), Numbers.FormatSize(m.Size),
                    PageSize.Format(m.PageSize), m.Pages.ToString(CultureInfo.InvariantCulture), Markup.Escape(m.Attributes.ToString()));
            }

            AnsiConsole.Write(table);
            foreach (var sp in result.Sparse)
            {
                AnsiConsole.MarkupLine(Markup.Escape($"sparse (reads zero, writes dropped): {Hex.Format(sp.VaStart)}..{Hex.Format(sp.VaEnd)} ({Numbers.FormatSize(sp.Size)})"));
            }
        }

        foreach (var p in result.Problems)
        {
            AnsiConsole.MarkupLine($"[yellow]problem:[/] {Markup.Escape(p)}");
        }

        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{result.Mappings.Count} ranges, {result.MappedPages} pages, {Numbers.FormatSize(result.MappedBytes)} mapped; {result.TablesRead} tables read; {result.Problems.Count} problems")));
    }

    /// <summary>Adds nodes to a Spectre tree; runs of valid leaf PTEs that coalesce are shown as one line.</summary>
    private static void AddNodes(Func<string, TreeNode> add, IReadOnlyList<PageTableNode> nodes)
    {
        for (var i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            if (n.Level.IsPageTable && n.Decoded is DecodedPte { IsValid: true } first)
            {
                var j = i;
                while (j + 1 < nodes.Count && Continues(nodes[j], nodes[j + 1]))
                {
                    j++;
                }

                if (j > i)
                {
                    var last = nodes[j];
                    var line = $"{n.Level.Name}[{n.Index}..{last.Index}] {j - i + 1} PTEs VA {Hex.Format(n.VaStart)}..{Hex.Format(last.VaEnd)} -> {Hex.Format(first.Address)}..{Hex.Format(((DecodedPte)last.Decoded).Address + first.PageSize)} {PageSize.Format(first.PageSize)} {MappingAttributes.Of(first)}";
                    add(Markup.Escape(line));
                    i = j;
                    continue;
                }
            }

            var text = $"{n.Level.Name}[{n.Index}] VA {Hex.Format(n.VaStart)}..{Hex.Format(n.VaEnd)} @{n.EntryAddress} {n.RawHex}: {n.Decoded.Describe()}";
            var node = add(Markup.Escape(text));
            foreach (var note in n.Notes)
            {
                node.AddNode($"[yellow]{Markup.Escape(note)}[/]");
            }

            AddNodes(s => node.AddNode(s), n.Children);
        }
    }

    private static bool Continues(PageTableNode a, PageTableNode b) =>
        a.Level == b.Level && b.Index == a.Index + 1 && a.Notes.Count == 0 && b.Notes.Count == 0
        && a.Decoded is DecodedPte { IsValid: true } pa && b.Decoded is DecodedPte { IsValid: true } pb
        && pb.Address == pa.Address + pa.PageSize && MappingAttributes.Of(pa) == MappingAttributes.Of(pb);
}
