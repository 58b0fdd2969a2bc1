using Spectre.Console;

namespace NovaMm.Cli.Output;

/// <summary>Progress bars for work that runs for seconds, on a terminal only (redirected output stays plain).</summary>
internal static class ProgressBar
{
    /// <summary>Whether standard output is an interactive terminal.</summary>
    public static bool Interactive => AnsiConsole.Console.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    /// <summary>Runs <paramref name="work"/> over <paramref name="items"/>, showing a bar when interactive.</summary>
    public static List<TResult> Run<TItem, TResult>(IReadOnlyList<TItem> items, string label, Func<TItem, TResult> work, Func<TItem, string> describe)
    {
        var results = new List<TResult>(items.Count);
        if (!Interactive || items.Count < 2)
        {
            results.AddRange(items.Select(work));
            return results;
        }

        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(label, maxValue: items.Count);
                foreach (var item in items)
                {
                    task.Description = $"{label}: {Markup.Escape(describe(item))}";
                    results.Add(work(item));
                    task.Increment(1);
                }
            });
        return results;
    }
}
