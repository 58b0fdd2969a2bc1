using BenchmarkDotNet.Attributes;
using NovaMm.Cli.Bench;
using NovaMm.Driver;
using NovaMm.Driver.Memory;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Hardware;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;

namespace NovaMm.Benchmarks;

/// <summary>
/// Mapping and unmapping 1 GiB in 4 KiB pages (262,144 PTEs) through PRAMIN, against the floor <c>novamm bench</c> uses:
/// a loop storing the same 262,144 PTE words into an array.
/// </summary>
[MemoryDiagnoser]
public class VmmBenchmarks
{
    private const ulong Size = 1UL << 30;
    private static readonly GpuVa Va = new(1UL << 40);
    private Vmm _vmm = null!;
    private VramAllocation _backing = null!;
    private MapWorkloads.FloorLoop _floor = null!;
    private Mapping? _mapping;

    [Params("GA102", "GH100")]
    public string Chip { get; set; } = "GA102";

    [GlobalSetup]
    public void Setup()
    {
        var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(Chip) });
        var gpu = Gpu.Boot(hw.Bar0, hw.Bar1, hw.Gsp);
        _vmm = new Vmm(gpu.Mm, new VmmOptions { Format = gpu.Chip.Format });
        _backing = gpu.Mm.Allocate(Size, new VramAllocOptions { MinBlockSize = Size });
        _floor = new MapWorkloads.FloorLoop(gpu.Chip.Format, _backing.Start, (int)(Size / GpuPage.Size));
    }

    [Benchmark(Baseline = true, Description = "floor: store 262,144 PTE words")]
    public ulong StorePteWords() => _floor.Run();

    [Benchmark(Description = "map 1 GiB in 4 KiB pages")]
    public Mapping Map() => _mapping = _vmm.Map(_backing, GpuPage.Size, Va);

    [IterationCleanup(Target = nameof(Map))]
    public void UnmapAfterMap() => _vmm.Unmap(_mapping!);

    [IterationSetup(Target = nameof(Unmap))]
    public void MapBeforeUnmap() => _mapping = _vmm.Map(_backing, GpuPage.Size, Va);

    [Benchmark(Description = "unmap 1 GiB of 4 KiB pages")]
    public void Unmap() => _vmm.Unmap(_mapping!);
}
