using System.Text.Json.Nodes;
using NovaMm.Cli.Bench;

namespace NovaMm.Cli.Tests;

/// <summary>
/// <c>novamm bench</c>: the shape of what it reports and how it refuses bad options. No test asserts a speed: timings
/// belong to the benchmark, not to a unit test.
/// </summary>
[Collection("cli")]
public class BenchCommandTests
{
    private static JsonObject RunJson(params string[] args)
    {
        var (code, output, err) = CliRunner.Run(["bench", "--json", "--quick", "--runs", "1", .. args]);
        Assert.True(code == 0, err);
        return JsonNode.Parse(output)!.AsObject();
    }

    private static JsonObject Figure(JsonObject report, string name) =>
        report["figures"]!.AsArray().Select(f => f!.AsObject()).Single(f => f["name"]!.GetValue<string>() == name);

    [Fact]
    public void Translation_and_bar1_figures_carry_novamm_floor_ratio_and_goal()
    {
        var report = RunJson("--only", "translate,bar1");
        Assert.Equal(3, report["figures"]!.AsArray().Count);
        foreach (var (name, goal) in new[] { ("translate-tlb-hit", 1.5), ("bar1-read-1mib", 2.0), ("bar1-write-1mib", 2.0) })
        {
            var f = Figure(report, name);
            var nova = f["novamm"]!["median"]!.GetValue<double>();
            var floor = f["reference"]!["sample"]!["median"]!.GetValue<double>();
            Assert.True(nova > 0 && floor > 0, $"{name}: {nova} / {floor}");
            Assert.Equal(nova / floor, f["value"]!.GetValue<double>(), 9);
            Assert.Equal(goal, f["goal"]!.GetValue<double>());
            Assert.Equal("time-ratio", f["kind"]!.GetValue<string>());
            Assert.Equal(f["value"]!.GetValue<double>() <= goal, f["met"]!.GetValue<bool>());
        }

        Assert.Equal(Environment.ProcessorCount, report["machine"]!["processors"]!.GetValue<int>());
        Assert.NotNull(report["machine"]!["optimized"]);
    }

    [Fact]
    public void The_map_figures_compare_one_gib_in_4k_pages_with_the_store_loop_on_both_mmu_versions()
    {
        var report = RunJson("--only", "map");
        foreach (var name in new[] { "map-1gib-4k-v2", "unmap-1gib-4k-v2", "map-1gib-4k-v3", "unmap-1gib-4k-v3" })
        {
            var f = Figure(report, name);
            Assert.Equal("ns/page", f["unit"]!.GetValue<string>());
            Assert.Equal(5.0, f["goal"]!.GetValue<double>());
            Assert.StartsWith("store 262,144 PTE words", f["reference"]!["name"]!.GetValue<string>());
        }
    }

    [Fact]
    public void The_curve_is_plotted_by_a_plotting_library_and_its_spread_is_over_every_size()
    {
        var dir = Directory.CreateTempSubdirectory("novamm-bench-plot-");
        try
        {
            var svg = Path.Combine(dir.FullName, "cost.svg");
            var report = RunJson("--only", "curve", "--plot", svg);
            var text = File.ReadAllText(svg);
            Assert.Contains("<svg", text);
            Assert.Contains("</svg>", text);
            foreach (var label in new[] { "v2 map", "v3 unmap", "v2 floor" })
            {
                Assert.Contains(label, text);
            }

            // One polyline per series (six) plus the legend's samples: each curve is really drawn.
            Assert.True(System.Text.RegularExpressions.Regex.Count(text, "<polyline") >= 6, "fewer polylines than series");
            foreach (var version in new[] { "v2", "v3" })
            {
                var f = Figure(report, $"map-cost-flat-{version}");
                var points = f["points"]!.AsArray().Select(p => p!["value"]!.GetValue<double>()).ToArray();
                Assert.Equal(MapWorkloads.CurveSizes(quick: true).Length, points.Length);
                var median = Sample.MedianOf(points);
                Assert.Equal(points.Max(p => Math.Abs((p / median) - 1)), f["value"]!.GetValue<double>(), 9);
                Assert.Equal("spread", f["kind"]!.GetValue<string>());
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_buddy_peer_is_run_on_the_same_trace_file_and_its_last_line_read()
    {
        var dir = Directory.CreateTempSubdirectory("novamm-bench-peer-");
        try
        {
            // A stand-in peer: checks it was given a trace and --bench, then reports a fixed rate.
            var peer = Path.Combine(dir.FullName, "peer.sh");
            File.WriteAllText(peer, "#!/bin/sh\ngrep -q '^init ' \"$1\" || exit 3\n[ \"$2\" = --bench ] || exit 4\necho 'run 1' >&2\necho 'ops=20000 seconds=0.1 ops_per_s=200000'\n");
            Assert.SkipWhen(OperatingSystem.IsWindows(), "the stand-in peer is a shell script");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(peer, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var report = RunJson("--only", "buddy", "--buddy-peer", peer);
            var f = Figure(report, "buddy-mixed-20k");
            Assert.Equal(200_000, f["reference"]!["sample"]!["median"]!.GetValue<double>());
            Assert.Equal(f["novamm"]!["median"]!.GetValue<double>() / 200_000, f["value"]!.GetValue<double>(), 9);
            Assert.Equal("rate-ratio", f["kind"]!.GetValue<string>());

            // A peer that does not end with the timing line is refused in one line.
            File.WriteAllText(peer, "#!/bin/sh\necho nonsense\n");
            var (code, _, err) = CliRunner.Run("bench", "--quick", "--runs", "1", "--only", "buddy", "--buddy-peer", peer);
            Assert.Equal(2, code);
            Assert.Contains("did not end with 'ops=N seconds=S ops_per_s=R'", err);
            Assert.Single(err.Trim().Split('\n'), l => l.StartsWith("novamm:", StringComparison.Ordinal));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Without_a_peer_the_buddy_figures_say_how_to_compare()
    {
        var report = RunJson("--only", "buddy");
        var f = Figure(report, "buddy-mixed-20k");
        Assert.Null(f["value"]);
        Assert.Null(f["met"]);
        Assert.Contains("--buddy-peer", f["note"]!.GetValue<string>());
        Assert.True(f["novamm"]!["median"]!.GetValue<double>() > 0);
    }

    [Fact]
    public void The_memory_probe_reports_the_peak_resident_set_of_its_own_process()
    {
        var (code, output, err) = CliRunner.Run("bench", "probe", "bare");
        Assert.True(code == 0, err);
        var o = JsonNode.Parse(output)!.AsObject();
        Assert.True(o["vmHwm"]!.GetValue<long>() > 1 << 20);
    }

    [Theory]
    [InlineData("--only nothing", "unknown workload 'nothing'")]
    [InlineData("--only ,", "names no workload")]
    [InlineData("--runs 0", "--runs 0 is outside 1..100")]
    [InlineData("--runs 101", "--runs 101 is outside 1..100")]
    [InlineData("--plot cost.png", "must name an .svg file")]
    [InlineData("--only map --plot cost.svg", "include it in --only")]
    [InlineData("--buddy-peer /nonexistent/peer", "'/nonexistent/peer' does not exist")]
    public void Bad_options_are_refused_in_one_line_before_anything_runs(string args, string expected)
    {
        var (code, output, err) = CliRunner.Run(["bench", .. args.Split(' ')]);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'), l => l.StartsWith("novamm:", StringComparison.Ordinal));
    }

    [Fact]
    public void Figures_check_their_goal_in_the_right_direction()
    {
        var one = Sample.Of(1.0);
        Assert.True(new Figure("t", "", "ns", one, "f", one, FigureKind.TimeRatio, 1.4, 1.5).Met);
        Assert.False(new Figure("t", "", "ns", one, "f", one, FigureKind.TimeRatio, 1.6, 1.5).Met);
        Assert.True(new Figure("r", "", "ops/s", one, "p", one, FigureKind.RateRatio, 1.2, 1.0).Met);
        Assert.False(new Figure("r", "", "ops/s", one, "p", one, FigureKind.RateRatio, 0.9, 1.0).Met);
        Assert.Null(new Figure("o", "", "ops/s", one, null, null, FigureKind.RateOnly, null, 1.0).Met);
        Assert.Equal("±12%", new Figure("s", "", "ns", one, "m", one, FigureKind.Spread, 0.12, 0.2).ValueText);
        Assert.Equal(3.0, Sample.Of(5, 1, 3).Median);
        Assert.Equal(2.5, Sample.Of(4, 1, 3, 2).Median);
    }
}
