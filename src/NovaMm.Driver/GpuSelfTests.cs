using NovaMm.Driver.Memory;
using NovaMm.Driver.SelfTests;
using NovaMm.Spec.Addresses;

namespace NovaMm.Driver;

/// <summary>The self-tests of a booted GPU (nova-core <c>run_selftests</c>).</summary>
public static class GpuSelfTests
{
    /// <summary>Runs every self-test that exists, PRAMIN first, then BAR1; returns one result per test.</summary>
    public static IReadOnlyList<SelfTestResult> RunSelfTests(this Gpu gpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);

        var results = new List<SelfTestResult>();

        // The scratch span is allocated from GpuMm, never raw VRAM (nova v7 wrote unallocated VRAM at 0x1000).
        var scratch = gpu.Mm.Allocate(PraminSelfTests.ScratchSize, new VramAllocOptions { MinBlockSize = 1UL << 20, Flags = Buddy.BuddyFlags.Contiguous });
        try
        {
            results.AddRange(PraminSelfTests.Run(gpu.Pramin, new VramRange(scratch.Start, scratch.Size)));
        }
        finally
        {
            gpu.Mm.Free(scratch);
        }

        results.AddRange(Bar1SelfTests.Run(gpu));
        return results;
    }
}
