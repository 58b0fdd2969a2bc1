using NovaMm.Cli.Commands;
using NovaMm.Driver;
using NovaMm.Hardware;

namespace NovaMm.Cli.Bench;

/// <summary>What every workload is told: how thorough to be, where to report progress, the optional buddy.c peer.</summary>
/// <param name="Quick">Fewer runs and smaller sizes (a smoke run: seconds, not minutes).</param>
/// <param name="Runs">Interleaved NovaMm/floor run pairs per figure.</param>
/// <param name="Progress">One line per step for a person watching (standard error), or null.</param>
/// <param name="BuddyPeer">A replay harness of Linux's <c>buddy.c</c> to compare the allocator with, or null.</param>
internal sealed record BenchContext(bool Quick, int Runs, TextWriter? Progress, string? BuddyPeer)
{
    /// <summary>Writes a progress line.</summary>
    public void Step(string text) => Progress?.WriteLine($"bench: {text}");

    /// <summary>A freshly booted simulated GPU (chip by name, VRAM size in bytes or the board default).</summary>
    public static (SimulatedGpu Hardware, Gpu Gpu) Boot(string chip, ulong? vram = null) =>
        Devices.Boot(chip, vram is { } v ? $"0x{v:x}" : null, null);
}
