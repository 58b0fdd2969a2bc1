using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using NovaMm.Cli.Commands;
using NovaMm.Cli.Output;
using Spectre.Console;

namespace NovaMm.Cli.Bench;

/// <summary>
/// <c>novamm bench</c>: runs the hot paths and their floors (or peers) interleaved in one process and prints, for each
/// figure, NovaMm's median, the floor's median, the ratio and the goal it is held to.
/// </summary>
internal static class BenchCommand
{
    /// <summary>The workload groups, in the order they run; <c>--only</c> takes these names.</summary>
    private static readonly (string Name, string What)[] Groups =
    [
        ("buddy", "gpu_buddy trace replay (ops/s; against buddy.c with --buddy-peer)"),
        ("map", "map and unmap 1 GiB in 4 KiB pages against a PTE store loop, MMU v2 and v3"),
        ("curve", "cost per page from 1 MiB to 64 GiB (the plot), MMU v2 and v3"),
        ("many", "200,000 separate mappings through the library, automatic and explicit VA"),
        ("shell", "200,000 separate alloc+map pairs through novamm shell scripts"),
        ("translate", "GMMU translation with a TLB hit against a Dictionary lookup"),
        ("bar1", "BAR1 bulk read and write of 1 MiB against memcpy"),
        ("boot-memory", "peak RSS of booting a 192 GiB GB100 (child processes)"),
        ("map-memory", "host memory of mapping 64 GiB in 4 KiB pages (child processes)"),
    ];

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var quick = new Option<bool>("--quick") { Description = "fewer runs and smaller sizes (seconds, not minutes)" };
        var runs = new Option<int?>("--runs") { Description = "interleaved runs per figure (default 5, 3 with --quick)" };
        var only = new Option<string?>("--only") { Description = "comma-separated workload groups: " + string.Join(", ", Groups.Select(g => g.Name)) };
        var plot = new Option<string?>("--plot") { Description = "draw the cost per page against mapping size to FILE (.svg)" };
        var peer = new Option<string?>("--buddy-peer") { Description = "a replay harness of Linux's buddy.c (FILE --bench, last line ops=N seconds=S ops_per_s=R) to compare with" };
        var check = new Option<bool>("--check") { Description = "exit 1 when a figure misses its goal" };
        var cmd = new Command("bench", "Time the hot paths against their floors and peers, interleaved, and print each ratio with its goal")
        {
            json, quick, runs, only, plot, peer, check, Probe(),
        };
        cmd.SetAction(r =>
        {
            var isQuick = r.GetValue(quick);
            var runCount = r.GetValue(runs) ?? (isQuick ? 3 : 5);
            if (runCount is < 1 or > 100)
            {
                throw new CliError($"--runs {runCount} is outside 1..100");
            }

            var groups = SelectGroups(r.GetValue(only));
            var plotPath = r.GetValue(plot);
            if (plotPath is not null && !plotPath.EndsWith(".svg", StringComparison.OrdinalIgnoreCase))
            {
                throw new CliError($"--plot '{plotPath}' must name an .svg file");
            }

            if (plotPath is not null && !groups.Contains("curve"))
            {
                throw new CliError("--plot draws the 'curve' workload: include it in --only");
            }

            var peerPath = r.GetValue(peer);
            if (peerPath is not null && !File.Exists(peerPath))
            {
                throw new CliError($"--buddy-peer '{peerPath}' does not exist");
            }

            if (!Optimized)
            {
                r.InvocationConfiguration.Error.WriteLine(DebugWarning);
            }

            var ctx = new BenchContext(isQuick, runCount, Console.IsErrorRedirected ? null : r.InvocationConfiguration.Error, peerPath);
            var curve = new List<CurveSeries>();
            var figures = new List<Figure>();
            foreach (var g in groups)
            {
                figures.AddRange(Run(g, ctx, curve));
            }

            if (plotPath is not null)
            {
                CostPlot.Save(plotPath, curve);
            }

            if (r.GetValue(json))
            {
                Json.Print(ToJson(figures, ctx, plotPath));
            }
            else
            {
                Print(figures, ctx, plotPath);
            }

            return r.GetValue(check) && figures.Any(f => f.Met == false) ? 1 : 0;
        });
        return cmd;
    }

    private static IEnumerable<Figure> Run(string group, BenchContext ctx, List<CurveSeries> curve) => group switch
    {
        "buddy" => BuddyWorkloads.Replay(ctx),
        "map" => MapWorkloads.OneGiB(ctx),
        "curve" => MapWorkloads.Curve(ctx, curve),
        "many" => ManyMappingsWorkloads.Library(ctx),
        "shell" => ManyMappingsWorkloads.Shell(ctx),
        "translate" => HardwareWorkloads.Translate(ctx),
        "bar1" => HardwareWorkloads.Bar1(ctx),
        "boot-memory" => MemoryWorkloads.Boot(ctx),
        "map-memory" => MemoryWorkloads.Map(ctx),
        _ => throw new InvalidOperationException($"no workload group '{group}'"),
    };

    private static List<string> SelectGroups(string? only)
    {
        if (only is null)
        {
            return Groups.Select(g => g.Name).ToList();
        }

        var names = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var n in names)
        {
            if (!Groups.Any(g => g.Name == n))
            {
                throw new CliError($"--only: unknown workload '{n}' (known: {string.Join(", ", Groups.Select(g => g.Name))})");
            }
        }

        if (names.Length == 0)
        {
            throw new CliError("--only names no workload");
        }

        return Groups.Select(g => g.Name).Where(names.Contains).ToList();
    }

    /// <summary>The hidden child side of the memory workloads: <c>novamm bench probe NAME [--size BYTES]</c>.</summary>
    private static Command Probe()
    {
        var name = new Argument<string>("probe") { Description = string.Join(", ", MemoryWorkloads.ProbeNames) };
        var size = new Option<ulong>("--size") { Description = "bytes to map (map probe)" };
        var cmd = new Command("probe", "(internal) one memory measurement in this process, as JSON") { name, size };
        cmd.Hidden = true;
        cmd.SetAction(r =>
        {
            Json.Print(MemoryWorkloads.RunProbe(r.GetValue(name)!, r.GetValue(size)), oneLine: true);
            return 0;
        });
        return cmd;
    }

    /// <summary>Whether this build of novamm was compiled with the JIT optimiser on (a Release build).</summary>
    private static bool Optimized =>
        typeof(BenchCommand).Assembly.GetCustomAttributes(typeof(System.Diagnostics.DebuggableAttribute), false)
            .OfType<System.Diagnostics.DebuggableAttribute>().All(d => !d.IsJITOptimizerDisabled);

    private const string DebugWarning = "warning: this novamm is a Debug build; its figures are not NovaMm's speed (run: dotnet run -c Release --project src/NovaMm.Cli -- bench)";

    private static JsonObject Machine(BenchContext ctx) => new()
    {
        ["optimized"] = Optimized,
        ["processors"] = Environment.ProcessorCount,
        ["os"] = RuntimeInformation.OSDescription,
        ["runtime"] = RuntimeInformation.FrameworkDescription,
        ["architecture"] = RuntimeInformation.ProcessArchitecture.ToString(),
        ["quick"] = ctx.Quick,
        ["runs"] = ctx.Runs,
    };

    private static JsonObject ToJson(List<Figure> figures, BenchContext ctx, string? plot)
    {
        var list = new JsonArray();
        foreach (var f in figures)
        {
            var o = new JsonObject
            {
                ["name"] = f.Name,
                ["description"] = f.Description,
                ["unit"] = f.Unit,
                ["novamm"] = SampleJson(f.NovaMm),
                ["reference"] = f.Reference is null ? null : new JsonObject { ["name"] = f.ReferenceName, ["sample"] = SampleJson(f.Reference) },
                ["kind"] = JsonNamingPolicyName(f.Kind),
                ["value"] = f.Value,
                ["valueText"] = f.ValueText,
                ["goal"] = f.Goal,
                ["goalText"] = f.GoalText,
                ["met"] = f.Met,
            };
            if (f.Note is not null)
            {
                o["note"] = f.Note;
            }

            if (f.Points is not null)
            {
                o["points"] = new JsonArray(f.Points.Select(p => (JsonNode)new JsonObject { ["at"] = p.Label, ["value"] = p.Value }).ToArray());
            }

            list.Add(o);
        }

        return new JsonObject
        {
            ["machine"] = Machine(ctx),
            ["figures"] = list,
            ["met"] = figures.Count(f => f.Met == true),
            ["missed"] = figures.Count(f => f.Met == false),
            ["unchecked"] = figures.Count(f => f.Met is null),
            ["plot"] = plot,
        };
    }

    private static string JsonNamingPolicyName(FigureKind kind) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(kind.ToString());

    private static JsonObject SampleJson(Sample s) => new()
    {
        ["median"] = s.Median,
        ["min"] = s.Min,
        ["max"] = s.Max,
        ["runs"] = new JsonArray(s.Runs.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
    };

    private static void Print(List<Figure> figures, BenchContext ctx, string? plot)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("Figure", "NovaMm (median [[range]])", "Floor or peer (median [[range]])", "Ratio", "Goal", "");
        foreach (var f in figures)
        {
            var mark = f.Met switch { true => "[green]met[/]", false => "[red]missed[/]", null => "[grey]-[/]" };
            table.AddRow(
                new Markup($"[bold]{Markup.Escape(f.Name)}[/]\n[grey]{Markup.Escape(f.Description)}[/]"),
                new Text(Describe(f.NovaMm, f.Unit)),
                new Text(f.Reference is null ? f.Note ?? "-" : $"{Describe(f.Reference, f.Unit)}\n{f.ReferenceName}"),
                new Text(f.ValueText),
                new Text(f.GoalText),
                new Markup(mark));
        }

        AnsiConsole.Write(table);
        AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{figures.Count(f => f.Met == true)} met, {figures.Count(f => f.Met == false)} missed, {figures.Count(f => f.Met is null)} without a comparison; {ctx.Runs} interleaved runs each{(ctx.Quick ? " (--quick)" : "")}, {Environment.ProcessorCount} processors"));
        if (plot is not null)
        {
            AnsiConsole.WriteLine($"plot: {plot}");
        }
    }

    private static string Describe(Sample s, string unit) =>
        s.Runs.Count == 1 ? $"{Number(s.Median)} {unit}" : $"{Number(s.Median)} {unit} [{Number(s.Min)}–{Number(s.Max)}]";

    private static string Number(double v) => v switch
    {
        >= 100_000 => v.ToString("N0", CultureInfo.InvariantCulture),
        >= 100 => v.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => v.ToString("0.0", CultureInfo.InvariantCulture),
        _ => v.ToString("0.00", CultureInfo.InvariantCulture),
    };
}
