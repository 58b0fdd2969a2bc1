using NovaMm.Cli.Commands;
using NovaMm.Spec.PageTables;

namespace NovaMm.Cli.Bench;

/// <summary>Draws the cost per 4 KiB page against the mapping size (ScottPlot), one line per series.</summary>
internal static class CostPlot
{
    /// <summary>Saves the plot as PNG or SVG, by the file's extension.</summary>
    public static void Save(string path, IReadOnlyList<CurveSeries> series)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var xs = s.Points.Select(p => Math.Log2(p.Size)).ToArray();
            var ys = s.Points.Select(p => p.NsPerPage).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = s.Label;
            line.Color = palette.GetColor(i / 3 * 3 + (i % 3));
            line.LineWidth = 2;
            line.MarkerSize = 6;
            if (s.Label.StartsWith("floor", StringComparison.Ordinal))
            {
                line.LinePattern = ScottPlot.LinePattern.Dashed;
            }
        }

        var ticks = series.SelectMany(s => s.Points.Select(p => p.Size)).Distinct().Order()
            .Select(size => new ScottPlot.Tick(Math.Log2(size), PageSize.Format(size))).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Bottom.Label.Text = "bytes mapped in one call (4 KiB pages)";
        plot.Axes.Left.Label.Text = "ns per 4 KiB page (median)";
        plot.Axes.SetLimitsY(0, series.SelectMany(s => s.Points).Select(p => p.NsPerPage).DefaultIfEmpty(1).Max() * 1.15);
        plot.Title("novamm bench: cost per page of map and unmap");
        plot.ShowLegend(ScottPlot.Edge.Right);

        try
        {
            if (path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase))
            {
                plot.SaveSvg(path, 1000, 520);
            }
            else
            {
                plot.SavePng(path, 1000, 520);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliError($"cannot write the plot to '{path}': {e.Message}");
        }
    }
}
