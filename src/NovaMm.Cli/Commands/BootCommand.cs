using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using NovaMm.Cli.Output;
using NovaMm.Cli.Parsing;
using NovaMm.Driver;
using NovaMm.Driver.Fb;
using NovaMm.Hardware;
using Spectre.Console;

namespace NovaMm.Cli.Commands;

/// <summary><c>novamm boot</c>: boot a simulated GPU and print what the driver learned.</summary>
internal static class BootCommand
{
    public static Command Create()
    {
        var chip = CommonOptions.Chip();
        var vram = CommonOptions.Vram();
        var bar1 = CommonOptions.Bar1();
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var cmd = new Command("boot", "Boot a simulated GPU: identification, the GSP's FB region table, usable VRAM, the BAR1 page directory") { chip, vram, bar1, json };
        cmd.SetAction(r =>
        {
            var sw = Stopwatch.StartNew();
            var (hw, gpu) = Devices.Boot(r.GetValue(chip), r.GetValue(vram), r.GetValue(bar1));
            sw.Stop();
            if (r.GetValue(json))
            {
                Json.Print(ToJson(hw, gpu, sw.Elapsed));
            }
            else
            {
                Print(hw, gpu, sw.Elapsed);
            }

            return 0;
        });
        return cmd;
    }

    internal static JsonObject ToJson(SimulatedGpu hw, Gpu gpu, TimeSpan elapsed)
    {
        var regions = new JsonArray();
        for (var i = 0; i < gpu.FbLayout.Regions.Count; i++)
        {
            var r = gpu.FbLayout.Regions[i];
            regions.Add(new JsonObject
            {
                ["index"] = i,
                ["base"] = Json.Hex(r.Base),
                ["limit"] = Json.Hex(r.Limit),
                ["valid"] = r.IsValid,
                ["reserved"] = Json.Hex(r.Reserved),
                ["performance"] = r.Performance,
                ["supportCompressed"] = r.SupportCompressed,
                ["supportISO"] = r.SupportIso,
                ["protected"] = r.Protected,
                ["usable"] = FbLayout.IsUsable(r),
            });
        }

        return new JsonObject
        {
            ["chip"] = gpu.Chip.Name,
            ["gpuName"] = gpu.StaticInfo.GpuName,
            ["chipId"] = Json.Hex(gpu.Identity.Boot42.ChipId),
            ["revision"] = gpu.Identity.Revision,
            ["boot0"] = Json.Hex(gpu.Identity.Boot0.Raw),
            ["boot42"] = Json.Hex(gpu.Identity.Boot42.Raw),
            ["architecture"] = gpu.Chip.Architecture.ToString(),
            ["mmu"] = $"v{gpu.Chip.MmuVersion}",
            ["vaBits"] = gpu.Chip.VaBits,
            ["vramSize"] = Json.Hex(gpu.VramSizeFromRegister),
            ["vramSizeRegister"] = VramSizeRegister.NameOf(gpu.Chip.VramSizeRegister),
            ["bar1Size"] = Json.Hex(hw.Options.EffectiveBar1Size),
            ["fbRegions"] = regions,
            ["usable"] = new JsonArray(gpu.FbLayout.Usable.Select(u => (JsonNode)new JsonObject { ["start"] = Json.Hex(u.Start.Value), ["end"] = Json.Hex(u.End.Value), ["size"] = Json.Hex(u.Size) }).ToArray()),
            ["usableBytes"] = Json.Hex(gpu.FbLayout.UsableBytes),
            ["totalFbEnd"] = Json.Hex(gpu.FbLayout.TotalFbEnd),
            ["bar1Pdb"] = Json.Hex(gpu.Bar1Pdb.Value),
            ["praminWindow"] = gpu.Chip.PraminWindow.RegisterName,
            ["allocator"] = AllocatorJson(gpu),
            ["bootMicroseconds"] = (long)elapsed.TotalMicroseconds,
            ["vramResidentBytes"] = Json.Hex(hw.Vram.ResidentBytes),
        };
    }

    internal static JsonArray AllocatorJson(Gpu gpu) => new(gpu.Mm.Statistics().Select(st => (JsonNode)new JsonObject
    {
        ["region"] = $"{Spec.Addresses.Hex.Format(st.Region.Start.Value)}..{Spec.Addresses.Hex.Format(st.Region.End.Value)}",
        ["size"] = Json.Hex(st.Size),
        ["free"] = Json.Hex(st.Free),
        ["clearFree"] = Json.Hex(st.ClearFree),
        ["orders"] = new JsonArray(st.Orders.Where(o => o.FreeBlocks > 0).Select(o => (JsonNode)new JsonObject
        {
            ["order"] = o.Order,
            ["blockSize"] = Json.Hex(st.Size == 0 ? 0 : Spec.Addresses.GpuPage.Size << o.Order),
            ["freeBlocks"] = o.FreeBlocks,
            ["freeBytes"] = Json.Hex(o.FreeBytes),
        }).ToArray()),
    }).ToArray());

    internal static void PrintAllocator(Gpu gpu)
    {
        foreach (var st in gpu.Mm.Statistics())
        {
            AnsiConsole.MarkupLine(Markup.Escape($"VRAM allocator (gpu_buddy) over {st.Region}: {Numbers.FormatSize(st.Free)} free of {Numbers.FormatSize(st.Size)}, {Numbers.FormatSize(st.ClearFree)} known clear"));
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumns("Order", "Block", "Free blocks", "Free");
            foreach (var o in st.Orders.Where(o => o.FreeBlocks > 0).OrderByDescending(o => o.Order))
            {
                table.AddRow(o.Order.ToString(System.Globalization.CultureInfo.InvariantCulture), Numbers.FormatSize(Spec.Addresses.GpuPage.Size << o.Order),
                    o.FreeBlocks.ToString(System.Globalization.CultureInfo.InvariantCulture), Numbers.FormatSize(o.FreeBytes));
            }

            AnsiConsole.Write(table);
        }
    }

    private static void Print(SimulatedGpu hw, Gpu gpu, TimeSpan elapsed)
    {
        var id = gpu.Identity;
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]GPU[/]", Markup.Escape($"{gpu.StaticInfo.GpuName}, chip id 0x{id.Boot42.ChipId:x3} rev {id.Revision}"));
        grid.AddRow("Identification", $"NV_PMC_BOOT_0 = 0x{id.Boot0.Raw:x8}, NV_PMC_BOOT_42 = 0x{id.Boot42.Raw:x8}");
        grid.AddRow("Architecture", $"{gpu.Chip.Architecture}, MMU v{gpu.Chip.MmuVersion} ({gpu.Chip.Mmu}), {gpu.Chip.VaBits}-bit VA");
        grid.AddRow("VRAM", $"{Numbers.FormatSize(gpu.VramSizeFromRegister)} ({VramSizeRegister.NameOf(gpu.Chip.VramSizeRegister)})");
        grid.AddRow("BAR1", Numbers.FormatSize(hw.Options.EffectiveBar1Size));
        grid.AddRow("PRAMIN", Markup.Escape($"{gpu.Chip.PraminWindow} (reach {Numbers.FormatSize(gpu.Chip.PraminWindow.Reach)}), accesses limited to [0, 0x{gpu.FbLayout.TotalFbEnd:x})"));
        AnsiConsole.Write(grid);

        var table = new Table().Border(TableBorder.Rounded).Title("FB region table (GSP static info)")
            .AddColumns("#", "Base", "Limit", "Size", "Reserved", "Comp", "ISO", "Prot", "Usable");
        for (var i = 0; i < gpu.FbLayout.Regions.Count; i++)
        {
            var r = gpu.FbLayout.Regions[i];
            table.AddRow(i.ToString(System.Globalization.CultureInfo.InvariantCulture), $"0x{r.Base:x}", $"0x{r.Limit:x}",
                r.IsValid ? Numbers.FormatSize(r.Limit - r.Base + 1) : "[grey](empty: limit < base)[/]",
                r.Reserved == 0 ? "0" : Numbers.FormatSize(r.Reserved), YesNo(r.SupportCompressed), YesNo(r.SupportIso), YesNo(r.Protected),
                FbLayout.IsUsable(r) ? "[green]yes[/]" : "no");
        }

        AnsiConsole.Write(table);
        var usable = string.Join(", ", gpu.FbLayout.Usable.Select(u => $"0x{u.Start.Value:x}..0x{u.End.Value:x}"));
        AnsiConsole.MarkupLine($"Usable VRAM: [bold]{Numbers.FormatSize(gpu.FbLayout.UsableBytes)}[/] ({usable}); total_fb_end 0x{gpu.FbLayout.TotalFbEnd:x}");
        AnsiConsole.MarkupLine($"BAR1 page directory (bar1PdeBase): [bold]0x{gpu.Bar1Pdb.Value:x}[/]");
        PrintAllocator(gpu);
        AnsiConsole.MarkupLine($"[grey]Booted in {elapsed.TotalMilliseconds:0.0} ms; simulated VRAM resident: {Numbers.FormatSize(hw.Vram.ResidentBytes)}[/]");
    }

    private static string YesNo(bool b) => b ? "yes" : "no";
}

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<string?> Chip() => new("--chip") { Description = "chip to simulate (default GA102; see 'novamm chips')" };

    public static Option<string?> Vram() => new("--vram") { Description = "VRAM size, e.g. 24GiB, 80G, 0x600000000 (default: the chip's board)" };

    public static Option<string?> Bar1() => new("--bar1") { Description = "BAR1 size, a power of two, e.g. 256MiB (default: the chip's board)" };
}
