using BenchmarkDotNet.Attributes;
using NovaMm.Driver;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Hardware;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;

namespace NovaMm.Benchmarks;

/// <summary>Mapping and unmapping 1 GiB in 4 KiB pages (262,144 PTEs, 513+ page-table pages) through PRAMIN.</summary>
[MemoryDiagnoser]
public class VmmBenchmarks
{
    private Gpu _gpu = null!;
    private Vmm _vmm = null!;
    private VramAddress[] _pages = null!;

    [Params("GA102", "GH100")]
    public string Chip { get; set; } = "GA102";

    [GlobalSetup]
    public void Setup()
    {
        var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(Chip) });
        _gpu = Gpu.Boot(hw.Bar0, hw.Bar1, hw.Gsp);
        _vmm = new Vmm(_gpu.Mm, new VmmOptions { Format = _gpu.Chip.Format });
        var backing = _gpu.Mm.Allocate(1UL << 30, new Driver.Memory.VramAllocOptions { MinBlockSize = 1UL << 30 });
        _pages = backing.Frames().Select(f => f.Address).ToArray();
    }

    [Benchmark(Description = "map+unmap 1 GiB in 4 KiB pages")]
    public void MapUnmap1GiB()
    {
        var m = _vmm.Map(new MapRequest { Size = 1UL << 30, Va = new GpuVa(1UL << 40) }, _pages);
        _vmm.Unmap(m);
    }
}
