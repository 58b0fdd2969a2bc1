using System.Diagnostics;
using System.Globalization;
using NovaMm.Driver.Buddy.Trace;

namespace NovaMm.Cli.Bench;

/// <summary>
/// The allocator on the three trace shapes of docs/buddy.md, in operations per second; with <c>--buddy-peer</c>, against a
/// user-space build of Linux's <c>buddy.c</c> replaying the same trace file (interleaved, one process per peer run).
/// </summary>
internal static class BuddyWorkloads
{
    private const ulong MiB = 1UL << 20;
    private const ulong GiB = 1UL << 30;

    /// <summary>The trace shapes (key, description, generator options), as docs/buddy.md gives their commands.</summary>
    public static (string Key, string Description, BuddyTraceGeneratorOptions Options)[] Shapes(bool quick) =>
    [
        ("mixed-20k", "20,000-op mixed trace, 1.375 GiB in three roots", new BuddyTraceGeneratorOptions(1408 * MiB, 4096, 20_000, 7)),
        quick
            ? ("fragmentation", "KUnit fragmentation shape, 256 MiB (16,384 ops)", new BuddyTraceGeneratorOptions(256 * MiB, 4096, 0, 0, BuddyTraceShape.Fragmentation))
            : ("fragmentation", "KUnit fragmentation shape, 4 GiB (262,144 ops)", new BuddyTraceGeneratorOptions(4 * GiB, 4096, 0, 0, BuddyTraceShape.Fragmentation)),
        quick
            ? ("churn", "churn trace, 4 GiB (100,000 ops)", new BuddyTraceGeneratorOptions(4 * GiB, 4096, 100_000, 9001, BuddyTraceShape.Churn))
            : ("churn", "churn trace, 4 GiB (1,000,000 ops)", new BuddyTraceGeneratorOptions(4 * GiB, 4096, 1_000_000, 9001, BuddyTraceShape.Churn)),
    ];

    /// <summary>
    /// Replays each shape the way <c>novamm buddy replay --bench</c> does (a warm-up, then the median of three timed
    /// runs on fresh allocators), interleaved with the peer when one is given; the ratio is NovaMm's rate over the peer's.
    /// </summary>
    public static IEnumerable<Figure> Replay(BenchContext ctx)
    {
        var dir = Directory.CreateTempSubdirectory("novamm-bench-buddy-");
        try
        {
            foreach (var (key, description, options) in Shapes(ctx.Quick))
            {
                ctx.Step($"buddy replay: {description}");
                var text = BuddyTraceGenerator.Generate(options);
                var path = Path.Combine(dir.FullName, key + ".trace");
                File.WriteAllText(path, text);
                var trace = BuddyTrace.Parse(text, path);
                Sample nova = new(), peer = new();
                for (var r = 0; r < ctx.Runs; r++)
                {
                    nova.Add(BuddyTraceReplayer.BenchMedian(trace).Median.OpsPerSecond);
                    if (ctx.BuddyPeer is { } exe)
                    {
                        peer.Add(Peer(exe, path));
                    }
                }

                yield return ctx.BuddyPeer is null
                    ? new Figure($"buddy-{key}", $"gpu_buddy replay, {description}", "ops/s", nova, null, null, FigureKind.RateOnly, null, 1.0, "give --buddy-peer EXE (a replay harness of Linux's buddy.c) to compare")
                    : new Figure($"buddy-{key}", $"gpu_buddy replay, {description}", "ops/s", nova, "Linux buddy.c (--buddy-peer)", peer, FigureKind.RateRatio, nova.Median / peer.Median, 1.0);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Runs the peer harness on a trace file and reads <c>ops_per_s=R</c> from its last line.</summary>
    private static double Peer(string exe, string trace)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(trace);
        psi.ArgumentList.Add("--bench");
        using var p = Process.Start(psi) ?? throw new Commands.CliError($"could not start the buddy peer '{exe}'");
        var stderr = p.StandardError.ReadToEndAsync();
        var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        var last = lines.Length > 0 ? lines[^1] : string.Empty;
        var field = last.Split(' ').FirstOrDefault(f => f.StartsWith("ops_per_s=", StringComparison.Ordinal));
        if (p.ExitCode != 0 || field is null || !double.TryParse(field["ops_per_s=".Length..], NumberStyles.Float, CultureInfo.InvariantCulture, out var rate))
        {
            throw new Commands.CliError($"the buddy peer '{exe}' did not end with 'ops=N seconds=S ops_per_s=R' (exit {p.ExitCode}): {Commands.Devices.FirstLine(stderr.Result + last)}");
        }

        return rate;
    }
}
