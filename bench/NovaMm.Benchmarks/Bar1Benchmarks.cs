using BenchmarkDotNet.Attributes;
using NovaMm.Driver;
using NovaMm.Driver.Bar;
using NovaMm.Hardware;
using NovaMm.Hardware.Mmu;
using NovaMm.Spec.Chips;

namespace NovaMm.Benchmarks;

/// <summary>
/// BAR1 bulk throughput against a plain in-memory copy of the same bytes (the baseline), 1 MiB per operation
/// through a 256-page BarUser mapping, and GMMU translation with TLB hits and with misses.
/// </summary>
[MemoryDiagnoser]
public class Bar1Benchmarks
{
    private const int Bytes = 1 << 20;
    private readonly byte[] _source = new byte[Bytes];
    private readonly byte[] _destination = new byte[Bytes];
    private SimulatedGpu _hw = null!;
    private Gpu _gpu = null!;
    private BarAccess _access = null!;
    private ulong _pdb;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_source);
        _hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get("GA102") });
        _gpu = Gpu.Boot(_hw.Bar0, _hw.Bar1, _hw.Gsp);
        _access = _gpu.BarUser.Map(_gpu.Mm.Allocate(Bytes));
        _access.Write(0, _source);
        _pdb = _gpu.Bar1Pdb.Value;
    }

    [Benchmark(Baseline = true, Description = "memcpy 1 MiB (baseline)")]
    public void PlainCopy() => _source.AsSpan().CopyTo(_destination);

    [Benchmark(Description = "BAR1 write 1 MiB")]
    public void Bar1Write() => _access.Write(0, _source);

    [Benchmark(Description = "BAR1 read 1 MiB")]
    public void Bar1Read() => _access.Read(0, _destination);

    [Benchmark(Description = "GMMU translate, TLB hit", OperationsPerInvoke = 256)]
    public ulong TranslateHit()
    {
        var sum = 0UL;
        for (var i = 0UL; i < 256; i++)
        {
            sum += _hw.Gmmu.Translate(_pdb, _gpu.Chip.Format, i * 4096, AccessType.Read, false).Translation!.PhysicalAddress;
        }

        return sum;
    }

    [Benchmark(Description = "GMMU translate, TLB miss (walk)", OperationsPerInvoke = 256)]
    public ulong TranslateMiss()
    {
        var sum = 0UL;
        for (var i = 0UL; i < 256; i++)
        {
            sum += _hw.Gmmu.Walk(_pdb, _gpu.Chip.Format, i * 4096, AccessType.Read, false).Translation!.PhysicalAddress;
        }

        return sum;
    }
}
