using System.Diagnostics;
using System.Globalization;
using System.Text;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Spec.Addresses;

namespace NovaMm.Cli.Bench;

/// <summary>
/// Many separate 4 KiB mappings in one address space: the cost of one more mapping must not grow with how many there
/// are (1,000 to 200,000), whether the VMM picks the VA or the caller does, through the library or a shell script.
/// </summary>
internal static class ManyMappingsWorkloads
{
    private const ulong Base = 1UL << 40;

    /// <summary>Where the per-mapping cost is sampled (the number of mappings already made).</summary>
    public static int[] Checkpoints(bool quick) => quick ? [1_000, 10_000, 50_000] : [1_000, 10_000, 100_000, 200_000];

    /// <summary>
    /// Through the library: the mean cost of the mappings from half of each checkpoint to the checkpoint (500 to 1,000,
    /// …, 100,000 to 200,000), so that costs paid now and then (a garbage collection, a tree growing) are averaged in
    /// rather than caught or missed by a narrow window.
    /// </summary>
    public static IEnumerable<Figure> Library(BenchContext ctx)
    {
        var checkpoints = Checkpoints(ctx.Quick);
        var total = checkpoints[^1];
        foreach (var explicitVa in new[] { false, true })
        {
            var what = explicitVa ? "explicit VA" : "automatic VA";
            ctx.Step($"{total:N0} separate 4 KiB mappings through the library ({what})");
            var perCheckpoint = checkpoints.Select(_ => new Sample()).ToArray();

            // A short untimed pass first, so the first window is timed on optimised code like the last.
            MapMany(3_000, explicitVa);
            Thread.Sleep(250);
            MapMany(3_000, explicitVa);
            for (var r = 0; r < ctx.Runs; r++)
            {
                var stamps = MapMany(total, explicitVa);
                for (var c = 0; c < checkpoints.Length; c++)
                {
                    var end = checkpoints[c];
                    perCheckpoint[c].Add(Clock.Between(stamps[end / 2], stamps[end]) / (end - (end / 2)) / 1_000);
                }
            }

            yield return Spread($"many-mappings-{(explicitVa ? "va" : "auto")}", $"one more 4 KiB mapping among 1,000 to {total:N0} ({what}, library, GA102)", checkpoints, perCheckpoint);
        }
    }

    /// <summary>Makes <paramref name="count"/> separate 4 KiB mappings in a fresh VMM; the timestamp after each.</summary>
    private static long[] MapMany(int count, bool explicitVa)
    {
        var (_, gpu) = BenchContext.Boot("GA102");
        var backing = gpu.Mm.Allocate((ulong)count * GpuPage.Size, new Driver.Memory.VramAllocOptions { MinBlockSize = 1UL << 21 });
        var frames = backing.Frames().Select(f => f.Address).ToArray();
        using var vmm = new Vmm(gpu.Mm, new VmmOptions { Format = gpu.Chip.Format });
        var stamps = new long[count + 1];
        stamps[0] = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var request = new MapRequest { Size = GpuPage.Size, Va = explicitVa ? new GpuVa(Base + ((ulong)i * 2 * GpuPage.Size)) : null };
            vmm.MapRuns(request, [new VramRange(frames[i], GpuPage.Size)]);
            stamps[i + 1] = Stopwatch.GetTimestamp();
        }

        return stamps;
    }

    /// <summary>Through <c>novamm shell</c>: whole scripts of N <c>alloc</c>+<c>map</c> pairs, the cost of one more pair.</summary>
    public static IEnumerable<Figure> Shell(BenchContext ctx)
    {
        var sizes = Checkpoints(ctx.Quick);
        foreach (var explicitVa in new[] { false, true })
        {
            var what = explicitVa ? "explicit VA" : "automatic VA";
            var perSize = sizes.Select(_ => new Sample()).ToArray();
            var dir = Directory.CreateTempSubdirectory("novamm-bench-");
            try
            {
                // The fixed cost of a run (parse the options, boot, create the VMM) is what a script of no pairs takes;
                // it is subtracted so the figure is the cost of one more pair, not start-up spread over the pairs.
                var empty = Path.Combine(dir.FullName, "empty.nms");
                File.WriteAllText(empty, Script(0, explicitVa));
                var warm = Path.Combine(dir.FullName, "warm.nms");
                File.WriteAllText(warm, Script(sizes[0], explicitVa));
                Clock.WarmUp(TimeSpan.FromMilliseconds(300), () => RunScript(empty), () => RunScript(warm));
                for (var s = 0; s < sizes.Length; s++)
                {
                    var path = Path.Combine(dir.FullName, $"many-{sizes[s]}.nms");
                    File.WriteAllText(path, Script(sizes[s], explicitVa));
                    ctx.Step($"shell script of {sizes[s]:N0} alloc+map pairs ({what})");
                    for (var r = 0; r < Math.Max(1, ctx.Runs / 2); r++)
                    {
                        var fixedCost = Sample.MedianOf([RunScript(empty), RunScript(empty), RunScript(empty)]);
                        perSize[s].Add((RunScript(path) - fixedCost) / sizes[s] / 1_000);
                    }
                }
            }
            finally
            {
                dir.Delete(recursive: true);
            }

            yield return Spread($"many-mappings-shell-{(explicitVa ? "va" : "auto")}", $"one more alloc+map pair in a script of 1,000 to {sizes[^1]:N0} pairs ({what}, novamm shell, less the run's fixed cost)", sizes, perSize);
        }
    }

    /// <summary>
    /// Runs <c>novamm shell --chip GA102 SCRIPT</c> in this process (parse, boot, run, print to nowhere) and returns the
    /// nanoseconds it took. Program.Run points the global console at its writer, so the bench's own is put back.
    /// </summary>
    private static double RunScript(string path)
    {
        var console = Spectre.Console.AnsiConsole.Console;
        var error = new StringWriter();
        var code = 0;
        var ns = Clock.Nanoseconds(() => code = Program.Run(["shell", "--chip", "GA102", path], TextWriter.Null, error));
        Spectre.Console.AnsiConsole.Console = console;
        if (code != 0)
        {
            throw new InvalidOperationException($"the benchmark script failed with exit code {code}: {error.ToString().Trim()}");
        }

        return ns;
    }

    /// <summary>A script of <paramref name="count"/> 4 KiB <c>alloc</c> + <c>map</c> pairs in one VMM.</summary>
    internal static string Script(int count, bool explicitVa)
    {
        var sb = new StringBuilder("vmm v\n");
        for (var i = 0; i < count; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"alloc a{i} 4K\nmap v m{i} a{i}");
            if (explicitVa)
            {
                sb.Append(CultureInfo.InvariantCulture, $" va=0x{Base + ((ulong)i * 2 * GpuPage.Size):x}");
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static Figure Spread(string name, string description, int[] counts, Sample[] samples)
    {
        var medians = samples.Select(s => s.Median).ToArray();
        var median = Sample.MedianOf(medians);
        var all = Sample.Of(medians);
        var points = counts.Select((c, i) => (c.ToString("N0", CultureInfo.InvariantCulture), medians[i])).ToList();
        return new Figure(name, description, "µs/mapping", all, "median over counts", Sample.Of(median), FigureKind.Spread, medians.Max(m => Math.Abs((m / median) - 1)), 0.20, Points: points);
    }
}
