using NovaMm.Cli.Commands;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace NovaMm.Cli.Bench;

/// <summary>
/// Draws the cost per 4 KiB page against the mapping size as an SVG (OxyPlot, pure managed code: the tool carries no
/// native graphics library), one line per series, the floors dashed.
/// </summary>
internal static class CostPlot
{
    /// <summary>Saves the plot as SVG.</summary>
    public static void Save(string path, IReadOnlyList<CurveSeries> series)
    {
        var model = new PlotModel { DefaultFont = "DejaVu Sans, Arial, sans-serif", Title = "novamm bench: cost per page of map and unmap", Subtitle = "MMU v2 on a GA100 (80 GiB), v3 on a GB100 (192 GiB); floor: a loop storing the same PTE words into an array", Background = OxyColors.White };
        var sizes = series.SelectMany(s => s.Points.Select(p => p.Size)).Distinct().Order().ToArray();
        var bottom = new LogarithmicAxis
        {
            Position = AxisPosition.Bottom,
            Base = 2,
            Title = "bytes mapped in one call (4 KiB pages)",
            MajorGridlineStyle = LineStyle.Dot,
            LabelFormatter = v => Spec.PageTables.PageSize.Format((ulong)Math.Round(v)),
        };
        if (sizes.Length > 0)
        {
            bottom.Minimum = sizes[0] / 1.5;
            bottom.Maximum = sizes[^1] * 1.5;
            bottom.MajorStep = Math.Log2((double)sizes[^1] / sizes[0]) / Math.Max(1, sizes.Length - 1);
        }

        model.Axes.Add(bottom);
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Left, Title = "ns per 4 KiB page (median, log scale)", MajorGridlineStyle = LineStyle.Dot, MinorGridlineStyle = LineStyle.None });
        foreach (var s in series)
        {
            var line = new LineSeries
            {
                Title = s.Label,
                MarkerType = MarkerType.Circle,
                MarkerSize = 3,
                StrokeThickness = 2,
                LineStyle = s.Label.EndsWith("floor", StringComparison.Ordinal) ? LineStyle.Dash : LineStyle.Solid,
            };
            line.Points.AddRange(s.Points.Select(p => new DataPoint(p.Size, p.NsPerPage)));
            model.Series.Add(line);
        }

        model.Legends.Add(new Legend { LegendPlacement = LegendPlacement.Inside, LegendPosition = LegendPosition.TopCenter, LegendOrientation = LegendOrientation.Horizontal, LegendItemSpacing = 36, LegendBackground = OxyColor.FromAColor(220, OxyColors.White) });
        try
        {
            using var file = File.Create(path);
            new SvgExporter { Width = 1000, Height = 520 }.Export(model, file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliError($"cannot write the plot to '{path}': {e.Message}");
        }
    }
}
