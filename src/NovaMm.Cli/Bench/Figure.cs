using System.Globalization;

namespace NovaMm.Cli.Bench;

/// <summary>What a figure's compared value means, and so which way is better and how it prints.</summary>
internal enum FigureKind
{
    /// <summary>NovaMm's time over the floor's time (lower is better), printed <c>2.4×</c>.</summary>
    TimeRatio,

    /// <summary>NovaMm's rate over a peer's rate (higher is better), printed <c>1.3×</c>.</summary>
    RateRatio,

    /// <summary>The largest relative deviation of a cost from its median over sizes (lower is better), printed <c>±12%</c>.</summary>
    Spread,

    /// <summary>Host memory above a baseline, in MiB (lower is better), printed <c>+38 MiB</c>.</summary>
    MebibytesAbove,

    /// <summary>Host bytes over the bytes that had to be stored (lower is better), printed <c>1.1×</c>.</summary>
    MemoryRatio,

    /// <summary>A rate with nothing to compare it to in this run (no goal checked).</summary>
    RateOnly,
}

/// <summary>One measured quantity with what NovaMm took, what the floor or peer took, and the goal it is held to.</summary>
/// <param name="Name">Stable key, e.g. <c>map-1gib-4k-v2</c>.</param>
/// <param name="Description">What was measured, for a person.</param>
/// <param name="Unit">Unit of <paramref name="NovaMm"/> and <paramref name="Reference"/> (<c>ns/page</c>, <c>µs</c>, <c>ops/s</c>, <c>MiB</c>).</param>
/// <param name="NovaMm">NovaMm's runs.</param>
/// <param name="ReferenceName">What NovaMm is compared with (the floor or the peer); null when nothing is.</param>
/// <param name="Reference">The floor's or peer's runs, interleaved with NovaMm's.</param>
/// <param name="Kind">What <paramref name="Value"/> means.</param>
/// <param name="Value">The compared quantity (a ratio, a spread, MiB); null when it could not be measured in this run.</param>
/// <param name="Goal">The bound <paramref name="Value"/> is held to (an upper bound, or a lower bound for <see cref="FigureKind.RateRatio"/>).</param>
/// <param name="Note">Why a value is missing, or what else a reader should know.</param>
/// <param name="Points">The series behind a spread (label, value in <paramref name="Unit"/>), or null.</param>
internal sealed record Figure(
    string Name,
    string Description,
    string Unit,
    Sample NovaMm,
    string? ReferenceName,
    Sample? Reference,
    FigureKind Kind,
    double? Value,
    double? Goal,
    string? Note = null,
    IReadOnlyList<(string Label, double Value)>? Points = null)
{
    /// <summary>Whether the goal holds; null when there is no value or no goal.</summary>
    public bool? Met => Value is not { } v || Goal is not { } g ? null : Kind == FigureKind.RateRatio ? v >= g : v <= g;

    /// <summary>The value as printed.</summary>
    public string ValueText => Value is { } v ? Format(v) : "n/a";

    /// <summary>The goal as printed (with its direction).</summary>
    public string GoalText => Goal is not { } g ? "-" : (Kind == FigureKind.RateRatio ? "≥ " : "≤ ") + Format(g);

    private string Format(double v) => Kind switch
    {
        FigureKind.Spread => "±" + (v * 100).ToString("0", CultureInfo.InvariantCulture) + "%",
        FigureKind.MebibytesAbove => "+" + v.ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => v.ToString(v < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + "×",
    };
}
