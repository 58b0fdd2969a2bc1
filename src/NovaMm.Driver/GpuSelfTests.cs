using NovaMm.Driver.SelfTests;
using NovaMm.Spec.Addresses;

namespace NovaMm.Driver;

/// <summary>The self-tests of a booted GPU (nova-core <c>run_selftests</c>).</summary>
public static class GpuSelfTests
{
    /// <summary>Runs every self-test that exists, PRAMIN first; returns one result per test.</summary>
    public static IReadOnlyList<SelfTestResult> RunSelfTests(this Gpu gpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);

        // Interim: until GpuMm owns the usable VRAM, the scratch span is the first 4 MiB of the first usable
        // region, which nothing else uses yet at this point of boot.
        var usable = gpu.FbLayout.Usable[0];
        var scratch = new VramRange(usable.Start, PraminSelfTests.ScratchSize);
        return PraminSelfTests.Run(gpu.Pramin, scratch);
    }
}
