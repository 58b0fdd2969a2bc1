using BenchmarkDotNet.Attributes;
using NovaMm.Driver;
using NovaMm.Hardware;
using NovaMm.Spec.Chips;

namespace NovaMm.Benchmarks;

/// <summary>Building a simulated board and booting the driver on it (issue 2: well under a second, under 100 MiB).</summary>
[MemoryDiagnoser]
public class BootBenchmarks
{
    [Params("GA102:24", "GH100:141", "GB100:192")]
    public string Board { get; set; } = "GA102:24";

    [Benchmark]
    public Gpu Boot()
    {
        var parts = Board.Split(':');
        var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(parts[0]), VramSize = ulong.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) << 30 });
        return Gpu.Boot(hw.Bar0, hw.Bar1, hw.Gsp);
    }
}
