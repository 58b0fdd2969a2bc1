using NovaMm.Cli.Parsing;
using NovaMm.Driver;
using NovaMm.Hardware;
using NovaMm.Spec.Chips;

namespace NovaMm.Cli.Commands;

/// <summary>Where the CLI wires the simulated hardware to the driver (the only place that does; docs/architecture.md).</summary>
internal static class Devices
{
    /// <summary>Builds the simulated GPU from the command-line options (names and sizes as typed) and boots the driver on it.</summary>
    public static (SimulatedGpu Hardware, Gpu Gpu) Boot(string? chip, string? vram, string? bar1)
    {
        var options = Options(chip, vram, bar1);
        SimulatedGpu hw;
        try
        {
            hw = new SimulatedGpu(options);
        }
        catch (ArgumentException e)
        {
            throw new CliError(FirstLine(e.Message));
        }

        return (hw, Gpu.Boot(hw.Bar0, hw.Bar1, hw.Gsp));
    }

    /// <summary>The options for a chip name and size strings (null = defaults).</summary>
    public static SimulatedGpuOptions Options(string? chip, string? vram, string? bar1)
    {
        var info = chip is null ? ChipCatalog.Default : ChipCatalog.Find(chip)
            ?? throw new CliError($"unknown chip '{chip}' (try 'novamm chips'; known: {string.Join(", ", ChipCatalog.All.Select(c => c.Name))})");
        return new SimulatedGpuOptions
        {
            Chip = info,
            VramSize = vram is null ? null : Parse(vram, "VRAM size"),
            Bar1Size = bar1 is null ? null : Parse(bar1, "BAR1 size"),
        };
    }

    /// <summary>The first line of an exception message, without the parameter suffix .NET appends.</summary>
    public static string FirstLine(string message)
    {
        var line = message.Split('\n')[0].Trim();
        var p = line.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return p > 0 ? line[..p] : line;
    }

    private static ulong Parse(string text, string what)
    {
        try
        {
            return Numbers.ParseSize(text, what);
        }
        catch (FormatException e)
        {
            throw new CliError(e.Message);
        }
    }
}
