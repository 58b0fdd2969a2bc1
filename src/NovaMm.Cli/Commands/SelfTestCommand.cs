using System.CommandLine;
using NovaMm.Driver;
using NovaMm.Driver.SelfTests;
using NovaMm.Spec.Chips;
using Spectre.Console;

namespace NovaMm.Cli.Commands;

/// <summary><c>novamm selftest</c>: every memory-management self-test, one line each; exit 0 only if all pass.</summary>
internal static class SelfTestCommand
{
    public static Command Create()
    {
        var chip = CommonOptions.Chip();
        var all = new Option<bool>("--all-chips") { Description = "run on every chip of the catalog with its default board" };
        var vram = CommonOptions.Vram();
        var bar1 = CommonOptions.Bar1();
        var json = new Option<bool>("--json") { Description = "one JSON object per test (JSON Lines), then a summary object" };
        var cmd = new Command("selftest", "Run nova-core's memory-management self-tests (PRAMIN, BAR1) on a simulated GPU") { chip, all, vram, bar1, json };
        cmd.Validators.Add(r =>
        {
            if (r.GetValue(all) && r.GetValue(chip) is not null)
            {
                r.AddError("--chip and --all-chips exclude each other");
            }
        });
        cmd.SetAction(r =>
        {
            var chips = r.GetValue(all) ? ChipCatalog.All.Select(c => c.Name).ToList() : [r.GetValue(chip) ?? ChipCatalog.Default.Name];
            var failed = 0;
            var total = 0;
            var perChip = Output.ProgressBar.Run(chips, "self-tests", name =>
            {
                var (_, gpu) = Devices.Boot(name, r.GetValue(all) ? null : r.GetValue(vram), r.GetValue(all) ? null : r.GetValue(bar1));
                return (Chip: name, Results: gpu.RunSelfTests());
            }, name => name);
            var asJson = r.GetValue(json);
            foreach (var (name, results) in perChip)
            {
                foreach (var result in results)
                {
                    total++;
                    failed += result.Passed ? 0 : 1;
                    if (asJson)
                    {
                        Output.Json.Print(new System.Text.Json.Nodes.JsonObject { ["chip"] = name, ["suite"] = result.Suite, ["test"] = result.Name, ["passed"] = result.Passed, ["detail"] = result.Detail }, oneLine: true);
                    }
                    else
                    {
                        Print(name, result);
                    }
                }
            }

            if (asJson)
            {
                Output.Json.Print(new System.Text.Json.Nodes.JsonObject { ["chips"] = chips.Count, ["tests"] = total, ["failed"] = failed }, oneLine: true);
                return failed == 0 ? 0 : 1;
            }

            AnsiConsole.MarkupLine(failed == 0
                ? $"[green]{total} self-tests passed[/] on {chips.Count} chip(s)"
                : $"[red]{failed} of {total} self-tests FAILED[/] on {chips.Count} chip(s)");
            return failed == 0 ? 0 : 1;
        });
        return cmd;
    }

    private static void Print(string chip, SelfTestResult r) =>
        AnsiConsole.MarkupLine($"{(r.Passed ? "[green]PASS[/]" : "[red]FAIL[/]")} {chip,-6} {Markup.Escape(r.Suite),-6} {Markup.Escape(r.Name)} [grey]({Markup.Escape(r.Detail)})[/]");
}
