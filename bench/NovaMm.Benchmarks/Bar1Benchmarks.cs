using BenchmarkDotNet.Attributes;
using NovaMm.Driver;
using NovaMm.Driver.Bar;
using NovaMm.Hardware;
using NovaMm.Hardware.Mmu;
using NovaMm.Spec.Chips;

namespace NovaMm.Benchmarks;

/// <summary>
/// BAR1 bulk throughput against a plain in-memory copy of the same bytes (the baseline of the "bulk" category), 1 MiB
/// per operation through a 256-page BarUser mapping; GMMU translation with TLB hits and with misses against a
/// <c>Dictionary&lt;ulong, ulong&gt;</c> lookup of the same 256 pages (the baseline of the "translate" category). These
/// are the floors <c>novamm bench</c> uses.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class Bar1Benchmarks
{
    private readonly Dictionary<ulong, ulong> _table = [];
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
        for (var i = 0UL; i < 256; i++)
        {
            _table[i * 4096] = _hw.Gmmu.Translate(_pdb, _gpu.Chip.Format, i * 4096, AccessType.Read, false).Translation!.PhysicalAddress;
        }
    }

    [BenchmarkCategory("bulk")]
    [Benchmark(Baseline = true, Description = "memcpy 1 MiB (baseline)")]
    public void PlainCopy() => _source.AsSpan().CopyTo(_destination);

    [BenchmarkCategory("bulk")]
    [Benchmark(Description = "BAR1 write 1 MiB")]
    public void Bar1Write() => _access.Write(0, _source);

    [BenchmarkCategory("bulk")]
    [Benchmark(Description = "BAR1 read 1 MiB")]
    public void Bar1Read() => _access.Read(0, _destination);

    [BenchmarkCategory("translate")]
    [Benchmark(Baseline = true, Description = "Dictionary<ulong, ulong> lookup (baseline)", OperationsPerInvoke = 256)]
    public ulong DictionaryLookup()
    {
        var sum = 0UL;
        for (var i = 0UL; i < 256; i++)
        {
            sum += _table[i * 4096];
        }

        return sum;
    }

    [BenchmarkCategory("translate")]
    [Benchmark(Description = "GMMU TryTranslate, TLB hit", OperationsPerInvoke = 256)]
    public ulong TranslateHit()
    {
        var sum = 0UL;
        for (var i = 0UL; i < 256; i++)
        {
            _hw.Gmmu.TryTranslate(_pdb, _gpu.Chip.Format, i * 4096, AccessType.Read, false, out var page);
            sum += page.PhysicalAddress;
        }

        return sum;
    }

    [BenchmarkCategory("translate")]
    [Benchmark(Description = "GMMU Translate (full result), TLB hit", OperationsPerInvoke = 256)]
    public ulong TranslateHitFullResult()
    {
        var sum = 0UL;
        for (var i = 0UL; i < 256; i++)
        {
            sum += _hw.Gmmu.Translate(_pdb, _gpu.Chip.Format, i * 4096, AccessType.Read, false).Translation!.PhysicalAddress;
        }

        return sum;
    }

    [BenchmarkCategory("translate")]
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
