using System.CommandLine;
using System.Text.Json.Nodes;
using NovaMm.Cli.Output;
using NovaMm.Driver.PageTables;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;
using Spectre.Console;

namespace NovaMm.Cli.Commands;

/// <summary>
/// <c>novamm walk</c>: the driver's page-table walker (<see cref="PageTableWalker"/>) on a VRAM image, level by
/// level, as the shell's <c>walk</c> (same result words and JSON keys; docs/json-output.md).
/// </summary>
internal static class WalkCommand
{
    public static Command Create()
    {
        var source = new PageTableSourceOptions();
        var va = new Argument<string>("VA") { Description = "the GPU virtual address to walk (decimal or 0x hex)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var cmd = new Command("walk", "Walk one VA through the page tables of a VRAM image (or raw dump), level by level") { va, json };
        foreach (var o in source.All)
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(r =>
        {
            using var src = source.Open(r, allowLiveGpu: false);
            var address = src.ParseVa(r.GetValue(va)!);
            WalkResult result;
            using (var window = src.Pramin.Acquire())
            {
                try
                {
                    result = PageTableWalker.Walk(window, src.Pdb, src.Format, new GpuVa(address));
                }
                catch (ArgumentOutOfRangeException e)
                {
                    throw new CliError($"walk of VA 0x{address:x} left VRAM: {Devices.FirstLine(e.Message)}");
                }
            }

            if (r.GetValue(json))
            {
                Json.Print(ToJson(src.JsonHead(), result), oneLine: true);
            }
            else
            {
                Print(src.Describe(), result);
            }

            return 0;
        });
        return cmd;
    }

    /// <summary>The shell's result word: <c>mapped</c>, <c>unmapped</c>, <c>table-missing</c>.</summary>
    internal static string ResultWord(WalkStatus status) => status switch
    {
        WalkStatus.Mapped => "mapped",
        WalkStatus.Unmapped => "unmapped",
        _ => "table-missing",
    };

    /// <summary>The walk as JSON: <paramref name="head"/>'s keys, then the shell's <c>walk</c> keys (reusable by the shell).</summary>
    internal static JsonObject ToJson(JsonObject head, WalkResult result)
    {
        var o = head;
        o["va"] = Json.Hex(result.Va.Value);
        o["result"] = ResultWord(result.Status);
        if (result.PhysicalAddress is { } pa)
        {
            o["address"] = Json.Hex(pa.Value);
            o["page"] = PageSize.Format(result.PageSize);
            o["aperture"] = MappingAttributes.Of(result.Pte!).ApertureName;
        }

        o["levels"] = new JsonArray(result.Steps.Select(s => (JsonNode)new JsonObject
        {
            ["level"] = s.Level.Id.CliName(),
            ["index"] = s.Index,
            ["entryAddress"] = Json.Hex(s.EntryAddress.Value),
            ["raw"] = PageTableDump.RawHex(s.Low, s.High),
            ["meaning"] = s.Decoded.Describe(),
        }).ToArray());
        return o;
    }

    /// <summary>The walk for people: <paramref name="title"/>, a table of levels, the result line (reusable by the shell).</summary>
    internal static void Print(string title, WalkResult result)
    {
        AnsiConsole.MarkupLine(Markup.Escape(title));
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"walk {result.Va}"))
            .AddColumns("Level", "Index", "Entry at", "Raw", "Meaning");
        foreach (var s in result.Steps)
        {
            table.AddRow(Markup.Escape(s.Level.Name), s.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), s.EntryAddress.ToString(),
                PageTableDump.RawHex(s.Low, s.High), Markup.Escape(s.Decoded.Describe()));
        }

        AnsiConsole.Write(table);
        var line = result.Status switch
        {
            WalkStatus.Mapped => $"[green]mapped[/]: {result.Va} -> {result.PhysicalAddress} ({PageSize.Format(result.PageSize)} page, {Markup.Escape(MappingAttributes.Of(result.Pte!).ToString())})",
            WalkStatus.Unmapped => $"[yellow]unmapped[/]: the {Markup.Escape(result.Last.Level.Name)} entry at {result.Last.EntryAddress} is not a valid PTE",
            _ => $"[yellow]table-missing[/]: the {Markup.Escape(result.Last.Level.Name)} entry at {result.Last.EntryAddress} has no next-level table",
        };
        AnsiConsole.MarkupLine(line);
    }
}
