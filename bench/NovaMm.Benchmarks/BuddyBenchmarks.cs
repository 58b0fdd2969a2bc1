using BenchmarkDotNet.Attributes;
using NovaMm.Driver.Buddy;

namespace NovaMm.Benchmarks;

/// <summary>
/// GpuBuddy workloads (docs/buddy.md): 4 KiB page churn, mixed sizes and flags, and the KUnit fragmentation pattern that
/// needs force-merge. Trace replays, against Linux's <c>buddy.c</c>, are <c>novamm bench --only buddy</c>. Run with
/// <c>dotnet run -c Release --project bench/NovaMm.Benchmarks -- --filter '*Buddy*'</c>.
/// </summary>
[MemoryDiagnoser]
public class BuddyBenchmarks
{
    private const ulong K = 1024;
    private const ulong M = 1024 * K;
    private const ulong G = 1024 * M;

    private (ulong Size, ulong Min, BuddyFlags Flags)[] _mixed = [];

    /// <summary>Number of 4 KiB pages allocated and freed per iteration of <see cref="AllocFree4KPages"/>.</summary>
    [Params(4096)]
    public int Pages { get; set; }

    /// <summary>Builds the mixed request list.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        BuddyFlags[] flagChoices = [BuddyFlags.None, BuddyFlags.TopDown, BuddyFlags.Contiguous, BuddyFlags.Clear, BuddyFlags.Contiguous | BuddyFlags.Clear];
        _mixed = Enumerable.Range(0, 2048).Select(_ =>
        {
            ulong size = (ulong)rng.Next(1, 65) * 4 * K;
            ulong min = 4 * K << rng.Next(0, 4);
            return (size, min, flagChoices[rng.Next(flagChoices.Length)]);
        }).ToArray();
    }

    /// <summary>Allocate <see cref="Pages"/> single 4 KiB pages from a 1 GiB allocator, then free them (dirty).</summary>
    /// <returns>Free bytes at the end (keeps the work observable).</returns>
    [Benchmark]
    public ulong AllocFree4KPages()
    {
        var mm = new GpuBuddy(1 * G, 4 * K);
        var all = new List<BuddyBlock>(Pages);
        for (int i = 0; i < Pages; i++)
        {
            all.AddRange(mm.Alloc(0, 0, 4 * K, 4 * K));
        }

        mm.FreeList(all);
        return mm.Avail;
    }

    /// <summary>2048 mixed requests (1–64 pages, min 4–32 KiB, topdown/contiguous/clear), every third freed as it goes.</summary>
    /// <returns>Free bytes at the end.</returns>
    [Benchmark]
    public ulong MixedSizes()
    {
        var mm = new GpuBuddy(256 * M, 4 * K);
        var live = new List<List<BuddyBlock>>();
        for (int i = 0; i < _mixed.Length; i++)
        {
            (ulong size, ulong min, BuddyFlags flags) = _mixed[i];
            if (mm.TryAlloc(0, 0, size, min, flags, out List<BuddyBlock>? blocks, out _))
            {
                live.Add(blocks);
            }

            if (i % 3 == 2 && live.Count > 0)
            {
                mm.FreeList(live[^1], (i & 4) != 0 ? BuddyFlags.Cleared : BuddyFlags.None);
                live.RemoveAt(live.Count - 1);
            }
        }

        foreach (List<BuddyBlock> l in live)
        {
            mm.FreeList(l);
        }

        return mm.Avail;
    }

    /// <summary>
    /// KUnit fragmentation pattern at 256 MiB: 4096 × 8 KiB at 64 KiB alignment, freed alternately clear and dirty so
    /// nothing merges, then 4096 × 64 KiB allocations that each need a force-merge.
    /// </summary>
    /// <returns>Free bytes at the end.</returns>
    [Benchmark]
    public ulong FragmentedForceMerge()
    {
        const ulong mmSize = 256 * M;
        int n = (int)(mmSize / (64 * K));
        var mm = new GpuBuddy(mmSize, 4 * K);
        var clear = new List<BuddyBlock>(n);
        var dirty = new List<BuddyBlock>(n);
        for (int i = 0; i < n; i++)
        {
            (i % 4 == 0 || i % 4 == 3 ? clear : dirty).AddRange(mm.Alloc(0, mmSize, 8 * K, 64 * K));
        }

        mm.FreeList(clear, BuddyFlags.Cleared);
        mm.FreeList(dirty);
        var big = new List<BuddyBlock>(n);
        for (int i = 0; i < n; i++)
        {
            big.AddRange(mm.Alloc(0, mmSize, 64 * K, 64 * K));
        }

        mm.FreeList(big);
        return mm.Avail;
    }
}
