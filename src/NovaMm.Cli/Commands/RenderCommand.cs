using System.CommandLine;
using NovaMm.Cli.Parsing;
using NovaMm.Cli.Render;
using NovaMm.Cli.Shell;
using NovaMm.Driver;
using NovaMm.Hardware;
using Spectre.Console;

namespace NovaMm.Cli.Commands;

/// <summary><c>novamm render</c>: a self-contained HTML/SVG picture of VRAM occupancy and a VMM's address space.</summary>
internal static class RenderCommand
{
    public static Command Create()
    {
        var chip = CommonOptions.Chip();
        var vram = CommonOptions.Vram();
        var bar1 = CommonOptions.Bar1();
        var scenario = new Option<string?>("--scenario") { Description = $"built-in scenario to run before drawing: {string.Join(", ", Scenarios.Names)} (default demo: allocations, a VMM with 4K/64K/2M mappings, a fragmented allocator)" };
        var script = new Option<string?>("--script") { Description = "a 'novamm shell' script to run instead of a scenario; the page shows the state it leaves" };
        var output = new Option<string?>("--out") { Description = "the HTML file to write (required)" };
        var cmd = new Command("render", "Draw VRAM occupancy by owner (GSP-reserved, page tables, allocations, free blocks by order) and a VMM's address space as one self-contained HTML page (inline SVG and CSS)")
        {
            chip, vram, bar1, scenario, script, output,
        };
        cmd.SetAction(r =>
        {
            var file = r.GetValue(output) ?? throw new CliError("--out FILE.html is required");
            if (r.GetValue(script) is not null && r.GetValue(scenario) is not null)
            {
                throw new CliError("--scenario and --script exclude each other");
            }

            SimulatedGpu hw;
            Gpu gpu;
            ScenarioResult result;
            if (r.GetValue(script) is { } path)
            {
                // Check the script's syntax before booting, then run it as 'novamm shell' would and draw the state it leaves.
                var lines = File.Exists(path) ? File.ReadAllLines(path) : throw new CliError($"script '{path}' not found");
                var parsed = ShellSession.ParseScript(path, lines);
                (hw, gpu) = Devices.Boot(r.GetValue(chip), r.GetValue(vram), r.GetValue(bar1));
                var session = new ShellSession(hw, gpu);
                session.Run(path, parsed);
                var vmm = session.Vmms.LastOrDefault(v => v.Key != "bar1" || session.Vmms.Count == 1);
                result = new ScenarioResult($"state after script {Path.GetFileName(path)}",
                    session.Allocations.Select(a => new NamedAllocation(a.Key, a.Value)).ToList(), vmm.Value, vmm.Key);
            }
            else
            {
                var name = (r.GetValue(scenario) ?? "demo").Trim().ToLowerInvariant();
                if (!Scenarios.Names.Contains(name))
                {
                    throw new CliError($"unknown scenario '{name}' (known: {string.Join(", ", Scenarios.Names)})");
                }

                (hw, gpu) = Devices.Boot(r.GetValue(chip), r.GetValue(vram), r.GetValue(bar1));
                result = Scenarios.Run(name, gpu);
            }

            var picture = VramPicture.Build(hw, gpu, result.Allocations, result.Vmm is { } v ? [(result.VmmName, v)] : []);
            var orders = gpu.Mm.Statistics().SelectMany(s => s.Orders).Where(o => o.FreeBlocks > 0)
                .GroupBy(o => o.Order).Select(g => (g.Key, (ulong)g.Sum(o => (decimal)o.FreeBlocks), (ulong)g.Sum(o => (decimal)o.FreeBytes))).ToList();
            var model = new PageModel(
                $"NovaMm: {gpu.Chip.Name} VRAM and address space",
                $"{gpu.StaticInfo.GpuName} ({gpu.Chip.Name}, MMU v{gpu.Chip.MmuVersion}), {Numbers.FormatSize(hw.Options.EffectiveVramSize)} VRAM, {Numbers.FormatSize(gpu.FbLayout.UsableBytes)} usable, {Numbers.FormatSize(gpu.Mm.FreeBytes)} free",
                result.Description, result.Vmm, result.VmmName, orders);
            var html = HtmlPage.Build(model, picture);
            File.WriteAllText(file, html);
            AnsiConsole.MarkupLine(Markup.Escape($"wrote {file}: {html.Length} bytes, {picture.Segments.Count} VRAM stretches" + (picture.Problems.Count > 0 ? $", {picture.Problems.Count} problem(s): {picture.Problems[0]}" : string.Empty)));
            return 0;
        });
        return cmd;
    }
}
