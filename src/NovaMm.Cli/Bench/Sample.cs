using System.Diagnostics;

namespace NovaMm.Cli.Bench;

/// <summary>Repeated measurements of one quantity: every run kept, the median reported, the range shown.</summary>
internal sealed class Sample
{
    private readonly List<double> _runs = [];

    /// <summary>Every run, in the order taken.</summary>
    public IReadOnlyList<double> Runs => _runs;

    /// <summary>The median of the runs (the mean of the middle two for an even count).</summary>
    public double Median => MedianOf(_runs);

    /// <summary>The smallest run.</summary>
    public double Min => _runs.Min();

    /// <summary>The largest run.</summary>
    public double Max => _runs.Max();

    /// <summary>Adds one run.</summary>
    public void Add(double value) => _runs.Add(value);

    /// <summary>A sample of the given values.</summary>
    public static Sample Of(params IEnumerable<double> values)
    {
        var s = new Sample();
        foreach (var v in values)
        {
            s.Add(v);
        }

        return s;
    }

    /// <summary>The median of <paramref name="values"/>.</summary>
    public static double MedianOf(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            throw new InvalidOperationException("median of no runs");
        }

        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

/// <summary>Timing helpers: wall-clock nanoseconds from <see cref="Stopwatch"/>'s high-resolution counter.</summary>
internal static class Clock
{
    /// <summary>Nanoseconds between two <see cref="Stopwatch.GetTimestamp"/> readings.</summary>
    public static double Between(long start, long end) => (end - start) * 1e9 / Stopwatch.Frequency;

    /// <summary>Nanoseconds taken by <paramref name="action"/>.</summary>
    public static double Nanoseconds(Action action)
    {
        var start = Stopwatch.GetTimestamp();
        action();
        return Between(start, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// Runs each action repeatedly for a while, pauses so the runtime's background compiler can finish the optimised
    /// (tier-1) code it queued, and runs them once more: what is timed afterwards is steady-state code, not the first,
    /// unoptimised tier of the JIT.
    /// </summary>
    public static void WarmUp(TimeSpan each, params Action[] actions)
    {
        foreach (var action in actions)
        {
            var start = Stopwatch.GetTimestamp();
            do
            {
                action();
            }
            while (Stopwatch.GetElapsedTime(start) < each);
        }

        Thread.Sleep(250);
        foreach (var action in actions)
        {
            action();
        }
    }

    /// <summary>
    /// Nanoseconds per operation of <paramref name="batch"/> (which performs <paramref name="opsPerBatch"/> operations),
    /// repeated until at least <paramref name="minimum"/> has passed so that short operations are not lost in timer noise.
    /// </summary>
    public static double PerOperation(Action batch, int opsPerBatch, TimeSpan minimum)
    {
        long batches = 0;
        var start = Stopwatch.GetTimestamp();
        var minimumNs = minimum.Ticks * 100.0;
        double elapsed;
        do
        {
            batch();
            batches++;
            elapsed = Between(start, Stopwatch.GetTimestamp());
        }
        while (elapsed < minimumNs);

        return elapsed / (batches * (double)opsPerBatch);
    }
}
