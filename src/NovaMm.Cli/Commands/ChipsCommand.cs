using System.CommandLine;
using System.Text.Json.Nodes;
using NovaMm.Cli.Output;
using NovaMm.Cli.Parsing;
using NovaMm.Spec.Chips;
using Spectre.Console;

namespace NovaMm.Cli.Commands;

/// <summary><c>novamm chips</c>: the chip catalog as a table.</summary>
internal static class ChipsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print JSON instead of a table" };
        var cmd = new Command("chips", "List every chip NovaMm models: id, MMU format, VA width, registers, default board") { json };
        cmd.SetAction(r =>
        {
            if (r.GetValue(json))
            {
                var arr = new JsonArray();
                foreach (var c in ChipCatalog.All)
                {
                    arr.Add(new JsonObject
                    {
                        ["name"] = c.Name,
                        ["chipId"] = Json.Hex(c.ChipId),
                        ["architecture"] = c.Architecture.ToString(),
                        ["mmu"] = $"v{c.MmuVersion}",
                        ["mmuFamily"] = c.Mmu.ToString(),
                        ["vaBits"] = c.VaBits,
                        ["praminWindow"] = c.PraminWindow.RegisterName,
                        ["praminWindowOffset"] = Json.Hex(c.PraminWindow.RegisterOffset),
                        ["praminReach"] = Json.Hex(c.PraminWindow.Reach),
                        ["bar1Bind"] = c.Bar1Bind.ToString(),
                        ["vramSizeRegister"] = c.VramSizeRegister.ToString(),
                        ["maxVram"] = Json.Hex(c.MaxVramSize),
                        ["defaultBoard"] = c.DefaultBoard.Example,
                        ["defaultVram"] = Json.Hex(c.DefaultBoard.VramSize),
                        ["defaultBar1"] = Json.Hex(c.DefaultBoard.Bar1Size),
                    });
                }

                Json.Print(arr);
                return 0;
            }

            var table = new Table().Border(TableBorder.Rounded)
                .AddColumns("Chip", "Id", "Arch", "MMU", "VA", "PRAMIN window", "BAR1 bind", "VRAM size reg", "Default board", "VRAM", "BAR1");
            foreach (var c in ChipCatalog.All)
            {
                table.AddRow(c.Name, $"0x{c.ChipId:x3}", c.Architecture.ToString(), $"v{c.MmuVersion}", $"{c.VaBits}-bit",
                    Markup.Escape($"{c.PraminWindow.RegisterName} {c.PraminWindow.BaseField}"),
                    c.Bar1Bind == NovaMm.Spec.Registers.Bar1BindKind.Bar1Block ? "BAR1_BLOCK" : "FUNC_BAR1_BLOCK_LO/HI",
                    c.VramSizeRegister == NovaMm.Spec.Registers.VramSizeRegisterKind.LocalMemoryRange ? "LOCAL_MEMORY_RANGE" : "USABLE_FB_SIZE_IN_MB",
                    Markup.Escape(c.DefaultBoard.Example), Numbers.FormatSize(c.DefaultBoard.VramSize), Numbers.FormatSize(c.DefaultBoard.Bar1Size));
            }

            AnsiConsole.Write(table);
            return 0;
        });
        return cmd;
    }
}
