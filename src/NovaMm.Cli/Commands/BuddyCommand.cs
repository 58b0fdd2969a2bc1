using System.CommandLine;
using System.Globalization;
using System.Text;
using NovaMm.Driver.Buddy.Trace;
using Spectre.Console;

namespace NovaMm.Cli.Commands;

/// <summary>
/// <c>novamm buddy</c>: tools for the GPU buddy allocator. <c>replay FILE [--bench]</c> replays a buddy trace
/// (docs/buddy-trace.md) against <see cref="NovaMm.Driver.Buddy.GpuBuddy"/>; <c>gen</c> writes a seeded random trace.
/// Errors print one line on stderr and exit with status 2.
/// </summary>
internal static class BuddyCommand
{
    /// <summary>Builds the <c>buddy</c> command with its <c>replay</c> and <c>gen</c> subcommands.</summary>
    /// <returns>The command, ready to be added to the root command.</returns>
    public static Command Create()
    {
        var file = new Argument<string>("FILE")
        {
            Description = "Buddy trace to replay: init, alloc, free, trim and reset_clear lines (format: docs/buddy-trace.md).",
        };
        var bench = new Option<bool>("--bench")
        {
            Description = "Parse the whole trace, do one untimed warm-up replay, then 3 timed replays on fresh allocators without output; print each run on stderr and the median as 'ops=N seconds=S ops_per_s=R'.",
        };
        var replay = new Command("replay", "Replay a buddy trace and print one line per operation plus the final 'end' line.")
        {
            file,
            bench,
        };
        replay.SetAction(pr => Replay(
            pr.GetValue(file)!,
            pr.GetValue(bench),
            pr.InvocationConfiguration.Output,
            pr.InvocationConfiguration.Error));

        var size = new Option<string>("--size") { Description = "Managed size: decimal or 0x hex bytes, or 4GiB, 512MiB, ...", Required = true };
        var chunk = new Option<string>("--chunk") { Description = "Chunk size in bytes (default 0x1000).", DefaultValueFactory = _ => "0x1000" };
        var ops = new Option<int>("--ops") { Description = "Number of operations (default 10000).", DefaultValueFactory = _ => 10000 };
        var seed = new Option<int>("--seed") { Description = "Random seed (default 1).", DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--output", "-o") { Description = "Write the trace to this file instead of stdout." };
        var shape = new Option<string>("--shape")
        {
            Description = "Trace shape: mixed (default, every feature), fragmentation (the KUnit fragmentation pattern, 4 ops per 64 KiB; --ops and --seed unused) or churn (steady-state alloc/free).",
            DefaultValueFactory = _ => "mixed",
        };
        shape.AcceptOnlyFromAmong("mixed", "fragmentation", "churn");
        var gen = new Command("gen", "Write a seeded random buddy trace that mixes every flag, trims, cleared frees, reset_clear and invalid requests.")
        {
            size,
            chunk,
            ops,
            seed,
            output,
            shape,
        };
        gen.SetAction(pr => Generate(
            pr.GetValue(size)!,
            pr.GetValue(chunk)!,
            pr.GetValue(ops),
            pr.GetValue(seed),
            pr.GetValue(output),
            pr.GetValue(shape)!,
            pr.InvocationConfiguration.Output,
            pr.InvocationConfiguration.Error));

        return new Command("buddy", "GPU buddy allocator (Linux gpu_buddy port): trace replay and generation.")
        {
            replay,
            gen,
        };
    }

    /// <summary>Replays a trace file; returns the process exit status.</summary>
    internal static int Replay(string path, bool bench, TextWriter output, TextWriter error)
    {
        try
        {
            BuddyTrace trace = BuddyTrace.Load(path);
            if (bench)
            {
                BuddyTraceBenchResult result = BuddyTraceReplayer.BenchMedian(
                    trace, 3, (run, timing) => error.Write(string.Create(CultureInfo.InvariantCulture, $"run {run}: {timing}\n")));
                output.Write(result.Median.ToString() + "\n");
                return 0;
            }

            if (ReferenceEquals(output, Console.Out))
            {
                using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
                if (Console.IsOutputRedirected && !Console.IsErrorRedirected && trace.Ops.Count >= 100_000)
                {
                    // Output goes to a file or pipe and a person watches the terminal: a progress bar on standard error.
                    var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error), Interactive = InteractionSupport.Yes, Ansi = AnsiSupport.Yes });
                    console.Progress().AutoClear(true).Start(ctx =>
                    {
                        var task = ctx.AddTask($"replaying {Path.GetFileName(path)}", maxValue: trace.Ops.Count);
                        BuddyTraceReplayer.Replay(trace, new LineCounter(stdout, n => task.Value = n));
                    });
                }
                else
                {
                    BuddyTraceReplayer.Replay(trace, stdout);
                }
            }
            else
            {
                BuddyTraceReplayer.Replay(trace, output);
            }

            return 0;
        }
        catch (BuddyTraceFormatException e)
        {
            error.WriteLine(e.Message);
            return 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"{path}: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is NovaMm.Driver.Buddy.BuddyException or InvalidOperationException or ArgumentException)
        {
            error.WriteLine($"{path}: {e.Message}");
            return 2;
        }
    }

    /// <summary>Generates a trace of the given shape (mixed, fragmentation or churn); returns the process exit status.</summary>
    internal static int Generate(string size, string chunk, int ops, int seed, string? outputPath, string shape, TextWriter output, TextWriter error)
    {
        ulong sizeValue, chunkValue;
        try
        {
            sizeValue = Parsing.Numbers.ParseSize(size, "--size");
            chunkValue = Parsing.Numbers.ParseSize(chunk, "--chunk");
        }
        catch (FormatException e)
        {
            error.WriteLine($"buddy gen: {e.Message}");
            return 2;
        }

        if (ops < 0)
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"buddy gen: --ops must not be negative, got {ops}"));
            return 2;
        }

        try
        {
            BuddyTraceShape shapeValue = shape switch
            {
                "fragmentation" => BuddyTraceShape.Fragmentation,
                "churn" => BuddyTraceShape.Churn,
                _ => BuddyTraceShape.Mixed,
            };
            string text = BuddyTraceGenerator.Generate(new BuddyTraceGeneratorOptions(sizeValue, chunkValue, ops, seed, shapeValue));
            if (outputPath is null)
            {
                output.Write(text);
            }
            else
            {
                File.WriteAllText(outputPath, text);
            }

            return 0;
        }
        catch (NovaMm.Driver.Buddy.BuddyException e)
        {
            error.WriteLine($"buddy gen: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"buddy gen: {outputPath}: {e.Message}");
            return 2;
        }
    }
}

/// <summary>Passes text through and reports every 4,096th completed line (one line per replayed operation).</summary>
internal sealed class LineCounter(TextWriter inner, Action<long> progress) : TextWriter
{
    private long _lines;

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        inner.Write(value);
        if (value == '\n' && (++_lines & 0xFFF) == 0)
        {
            progress(_lines);
        }
    }

    public override void Write(string? value)
    {
        inner.Write(value);
        foreach (var c in value ?? string.Empty)
        {
            if (c == '\n' && (++_lines & 0xFFF) == 0)
            {
                progress(_lines);
            }
        }
    }

    public override void Flush() => inner.Flush();
}
