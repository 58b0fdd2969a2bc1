using System.Globalization;
using System.Numerics;
using System.Text;

namespace NovaMm.Driver.Buddy.Trace;

/// <summary>Which kind of trace <see cref="BuddyTraceGenerator"/> writes (docs/buddy.md, Benchmark).</summary>
public enum BuddyTraceShape
{
    /// <summary>The default: a random mix of every flag, window, trim, cleared free, <c>reset_clear</c> and invalid request.</summary>
    Mixed,

    /// <summary>
    /// The first half of the KUnit fragmentation test: SIZE / 64 KiB allocations of 8 KiB aligned to 64 KiB, frees of
    /// every first and fourth block of each group of four as cleared and the rest as dirty, the same number of 64 KiB
    /// allocations (served through force-merge), then frees of those. Four operations per 64 KiB of SIZE (262,144 for
    /// 4 GiB); the operation count and the seed are not used.
    /// </summary>
    Fragmentation,

    /// <summary>
    /// Steady-state VRAM churn: mostly small allocations (4 KiB to 64 KiB), some of 64 KiB to 2 MiB and a few up to
    /// 32 MiB, with the clear, topdown, contiguous and range flags on a minority, and frees of random live allocations
    /// that keep the space between about half and three quarters full. No invalid requests.
    /// </summary>
    Churn,
}

/// <summary>Parameters of a generated random buddy trace.</summary>
/// <param name="Size">init SIZE (need not be a power of two).</param>
/// <param name="ChunkSize">init CHUNK.</param>
/// <param name="Ops">Number of operations after init (not used by <see cref="BuddyTraceShape.Fragmentation"/>).</param>
/// <param name="Seed">Seed of the pseudo-random generator; the same parameters give the same trace.</param>
/// <param name="Shape">The kind of trace; <see cref="BuddyTraceShape.Mixed"/> by default.</param>
public sealed record BuddyTraceGeneratorOptions(ulong Size, ulong ChunkSize, int Ops, int Seed, BuddyTraceShape Shape = BuddyTraceShape.Mixed);

/// <summary>
/// Seeded random trace generator (docs/buddy-trace.md): mixes every allocation flag, exact ranges, windows (including
/// END = 0 and START ≥ END), offset-aligned requests, trims with and without START, cleared and dirty frees,
/// <c>reset_clear</c> and invalid requests. It runs a <see cref="GpuBuddy"/> alongside so that <c>free</c>/<c>trim</c>
/// only name allocations that succeeded.
/// </summary>
public static class BuddyTraceGenerator
{
    private static readonly string[] FlagNames = ["range", "topdown", "contiguous", "clear", "trim_disable"];
    private static readonly BuddyFlags[] FlagBits =
        [BuddyFlags.Range, BuddyFlags.TopDown, BuddyFlags.Contiguous, BuddyFlags.Clear, BuddyFlags.TrimDisable];

    private static readonly double[] FlagProbability = [0.25, 0.2, 0.25, 0.35, 0.15];

    /// <summary>Generates a trace.</summary>
    /// <param name="options">Size, chunk, operation count and seed.</param>
    /// <returns>The trace text.</returns>
    public static string Generate(BuddyTraceGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        switch (options.Shape)
        {
            case BuddyTraceShape.Fragmentation:
                return GenerateFragmentation(options);
            case BuddyTraceShape.Churn:
                return GenerateChurn(options);
        }

        var rng = new Random(options.Seed);
        var mm = new GpuBuddy(options.Size, options.ChunkSize);
        ulong chunk = mm.ChunkSize;
        ulong mmSize = mm.Size;
        ulong pagesTotal = mmSize / chunk;
        var live = new List<(string Id, List<BuddyBlock> Blocks)>();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# generated: size=0x{options.Size:x} chunk=0x{options.ChunkSize:x} ops={options.Ops} seed={options.Seed}\n");
        sb.Append(CultureInfo.InvariantCulture, $"init 0x{options.Size:x} 0x{options.ChunkSize:x}\n");
        int nextId = 0;

        ulong RandPages(ulong max) => max <= 1 ? 1 : 1 + (ulong)rng.NextInt64(0, (long)Math.Min(max, long.MaxValue));

        ulong RandSizePages()
        {
            double r = rng.NextDouble();
            ulong max = r < 0.5 ? 8 : r < 0.8 ? Math.Max(1, pagesTotal / 16) : r < 0.95 ? Math.Max(1, pagesTotal / 2) : pagesTotal;
            return RandPages(Math.Min(max, pagesTotal));
        }

        ulong RandMin()
        {
            int maxShift = BitOperations.Log2(pagesTotal);
            double r = rng.NextDouble();
            int shift = r < 0.5 ? 0 : r < 0.8 ? rng.Next(0, Math.Min(maxShift, 4) + 1) : rng.Next(0, maxShift + 1);
            return chunk << shift;
        }

        ulong RandAligned(ulong limit, ulong align) => align >= limit ? 0 : (ulong)rng.NextInt64(0, (long)(limit / align)) * align;

        for (int n = 0; n < options.Ops; n++)
        {
            double fullness = 1.0 - ((double)mm.Avail / mmSize);
            double pFree = live.Count == 0 ? 0 : 0.25 + (0.5 * fullness);
            double r = rng.NextDouble();
            if (r < pFree)
            {
                int i = rng.Next(live.Count);
                (string id, List<BuddyBlock> blocks) = live[i];
                live[i] = live[^1];
                live.RemoveAt(live.Count - 1);
                bool cleared = rng.Next(2) == 0;
                mm.FreeList(blocks, cleared ? BuddyFlags.Cleared : BuddyFlags.None);
                sb.Append("free ").Append(id).Append(cleared ? " cleared\n" : "\n");
                continue;
            }

            r = rng.NextDouble();
            if (r < 0.08 && live.Count > 0)
            {
                (string id, List<BuddyBlock> blocks) = live[rng.Next(live.Count)];
                ulong blockSize = blocks.Count > 0 ? blocks[0].Size : chunk;
                ulong blockStart = blocks.Count > 0 ? blocks[0].Offset : 0;
                double t = rng.NextDouble();
                ulong newSize = t < 0.2 ? blockSize
                    : t < 0.3 ? (t < 0.25 ? 0 : blockSize + chunk)
                    : t < 0.33 ? chunk + 1
                    : RandPages(blockSize / chunk) * chunk;
                ulong? start = null;
                double s = rng.NextDouble();
                if (s < 0.3)
                {
                    start = blockStart + (RandAligned(Math.Max(chunk, blockSize - Math.Min(blockSize, newSize) + chunk), chunk));
                }
                else if (s < 0.36)
                {
                    start = s < 0.33 ? blockStart + 1 : blockStart + blockSize;
                }

                mm.TryTrim(blocks, newSize, start, out _);
                sb.Append(CultureInfo.InvariantCulture, $"trim {id} 0x{newSize:x}");
                if (start.HasValue)
                {
                    sb.Append(CultureInfo.InvariantCulture, $" 0x{start.Value:x}");
                }

                sb.Append('\n');
                continue;
            }

            if (r < 0.10)
            {
                bool clear = rng.Next(2) == 0;
                mm.ResetClear(clear);
                sb.Append(clear ? "reset_clear clear\n" : "reset_clear dirty\n");
                continue;
            }

            // alloc
            ulong size = RandSizePages() * chunk;
            ulong min = RandMin();
            if (rng.NextDouble() < 0.15)
            {
                // Offset-aligned requests: power-of-two size below the minimum block size.
                size = 1UL << BitOperations.Log2(size);
                if (size >= min && min < mmSize)
                {
                    min = Math.Min(mmSize, size << rng.Next(1, 5));
                    min = 1UL << BitOperations.Log2(min);
                }
            }

            BuddyFlags flags = BuddyFlags.None;
            var names = new List<string>();
            for (int f = 0; f < FlagBits.Length; f++)
            {
                if (rng.NextDouble() < FlagProbability[f])
                {
                    flags |= FlagBits[f];
                    names.Add(FlagNames[f]);
                }
            }

            ulong start0 = 0;
            ulong end0 = 0;
            double m = rng.NextDouble();
            if (m < 0.4)
            {
                // start = end = 0
            }
            else if (m < 0.55)
            {
                ulong align = Math.Max(min, chunk);
                if (size <= mmSize)
                {
                    start0 = RandAligned(mmSize - size + 1, align);
                }

                end0 = start0 + size;
            }
            else if (m < 0.92)
            {
                start0 = RandAligned(mmSize, chunk);
                double e = rng.NextDouble();
                end0 = e < 0.08 ? 0 : e < 0.14 ? RandAligned(start0 + chunk, chunk) : start0 + (RandPages((mmSize - start0) / chunk) * chunk);
            }
            else
            {
                double e = rng.NextDouble();
                if (e < 0.25)
                {
                    size += 1 + (ulong)rng.Next(0, (int)Math.Min(chunk - 1, int.MaxValue));
                }
                else if (e < 0.45)
                {
                    end0 = mmSize + chunk;
                }
                else if (e < 0.6)
                {
                    start0 = chunk / 2;
                }
                else if (e < 0.75)
                {
                    min = chunk * 3;
                }
                else if (e < 0.85)
                {
                    size = mmSize + chunk;
                }
                else
                {
                    start0 = mmSize - chunk;
                    size = 2 * chunk;
                }
            }

            string allocId = "a" + nextId.ToString(CultureInfo.InvariantCulture);
            nextId++;
            if (mm.TryAlloc(start0, end0, size, min, flags, out List<BuddyBlock>? got, out _))
            {
                live.Add((allocId, got));
            }

            sb.Append(CultureInfo.InvariantCulture, $"alloc {allocId} 0x{start0:x} 0x{end0:x} 0x{size:x} 0x{min:x}");
            foreach (string name in names)
            {
                sb.Append(' ').Append(name);
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static StringBuilder Header(BuddyTraceGeneratorOptions options, string shape, int ops)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# generated: shape={shape} size=0x{options.Size:x} chunk=0x{options.ChunkSize:x} ops={ops} seed={options.Seed}\n");
        sb.Append(CultureInfo.InvariantCulture, $"init 0x{options.Size:x} 0x{options.ChunkSize:x}\n");
        return sb;
    }

    private static string GenerateFragmentation(BuddyTraceGeneratorOptions options)
    {
        const ulong small = 8 * 1024;
        const ulong big = 64 * 1024;
        var mm = new GpuBuddy(options.Size, options.ChunkSize);
        if (mm.ChunkSize > small)
        {
            throw new BuddyException(BuddyErrorCode.Einval, $"the fragmentation shape needs a chunk size of at most 8 KiB, got 0x{mm.ChunkSize:x}");
        }

        ulong mmSize = mm.Size;
        int n = (int)Math.Min(mmSize / big, int.MaxValue / 4);
        StringBuilder sb = Header(options, "fragmentation", 4 * n);
        var firstRound = new List<BuddyBlock>?[n];
        for (int i = 0; i < n; i++)
        {
            firstRound[i] = mm.TryAlloc(0, mmSize, small, big, BuddyFlags.None, out List<BuddyBlock>? got, out _) ? got : null;
            sb.Append(CultureInfo.InvariantCulture, $"alloc f{i} 0x0 0x{mmSize:x} 0x{small:x} 0x{big:x}\n");
        }

        // Blocks 0 and 3 of every group of four are freed as cleared first, then the others as dirty.
        for (int pass = 0; pass < 2; pass++)
        {
            for (int i = 0; i < n; i++)
            {
                bool clear = i % 4 == 0 || i % 4 == 3;
                if (clear != (pass == 0) || firstRound[i] is not { } blocks)
                {
                    continue;
                }

                mm.FreeList(blocks, clear ? BuddyFlags.Cleared : BuddyFlags.None);
                sb.Append(CultureInfo.InvariantCulture, $"free f{i}{(clear ? " cleared" : string.Empty)}\n");
            }
        }

        var secondRound = new List<BuddyBlock>?[n];
        for (int i = 0; i < n; i++)
        {
            secondRound[i] = mm.TryAlloc(0, mmSize, big, big, BuddyFlags.None, out List<BuddyBlock>? got, out _) ? got : null;
            sb.Append(CultureInfo.InvariantCulture, $"alloc g{i} 0x0 0x{mmSize:x} 0x{big:x} 0x{big:x}\n");
        }

        for (int i = 0; i < n; i++)
        {
            if (secondRound[i] is { } blocks)
            {
                mm.FreeList(blocks);
                sb.Append(CultureInfo.InvariantCulture, $"free g{i}\n");
            }
        }

        return sb.ToString();
    }

    private static string GenerateChurn(BuddyTraceGeneratorOptions options)
    {
        var rng = new Random(options.Seed);
        var mm = new GpuBuddy(options.Size, options.ChunkSize);
        ulong chunk = mm.ChunkSize;
        ulong mmSize = mm.Size;
        ulong pagesTotal = mmSize / chunk;
        StringBuilder sb = Header(options, "churn", options.Ops);
        var live = new List<(int Id, List<BuddyBlock> Blocks)>();
        int nextId = 0;
        for (int n = 0; n < options.Ops; n++)
        {
            double fullness = 1.0 - ((double)mm.Avail / mmSize);
            double pFree = live.Count == 0 ? 0 : fullness > 0.75 ? 0.9 : fullness < 0.5 ? 0.2 : 0.5;
            if (rng.NextDouble() < pFree)
            {
                int i = rng.Next(live.Count);
                (int id, List<BuddyBlock> blocks) = live[i];
                live[i] = live[^1];
                live.RemoveAt(live.Count - 1);
                bool cleared = rng.NextDouble() < 0.3;
                mm.FreeList(blocks, cleared ? BuddyFlags.Cleared : BuddyFlags.None);
                sb.Append(CultureInfo.InvariantCulture, $"free c{id}{(cleared ? " cleared" : string.Empty)}\n");
                continue;
            }

            if (rng.NextDouble() < 0.00002)
            {
                bool clear = rng.Next(2) == 0;
                mm.ResetClear(clear);
                sb.Append(clear ? "reset_clear clear\n" : "reset_clear dirty\n");
                continue;
            }

            // Size class: pages and minimum block (in chunks).
            double r = rng.NextDouble();
            ulong pages;
            ulong minPages;
            if (r < 0.6)
            {
                pages = (ulong)rng.Next(1, 17);
                minPages = 1;
            }
            else if (r < 0.9)
            {
                minPages = 16;
                pages = (ulong)rng.Next(1, 33) * minPages;
            }
            else
            {
                minPages = rng.NextDouble() < 0.5 ? 16UL : 512UL;
                pages = (ulong)rng.Next(512, 8193);
                pages = (pages + minPages - 1) / minPages * minPages;
            }

            pages = Math.Max(1, Math.Min(pages, pagesTotal / 4));
            minPages = Math.Min(minPages, 1UL << BitOperations.Log2(pages));
            ulong size = pages * chunk;
            ulong min = minPages * chunk;
            BuddyFlags flags = BuddyFlags.None;
            var names = new StringBuilder();
            if (rng.NextDouble() < 0.3)
            {
                flags |= BuddyFlags.Clear;
                names.Append(" clear");
            }

            if (rng.NextDouble() < 0.1)
            {
                flags |= BuddyFlags.TopDown;
                names.Append(" topdown");
            }

            if (rng.NextDouble() < 0.05)
            {
                flags |= BuddyFlags.Contiguous;
                names.Append(" contiguous");
            }

            ulong start = 0;
            ulong end = 0;
            if (rng.NextDouble() < 0.05)
            {
                flags |= BuddyFlags.Range;
                names.Append(" range");
                ulong windowPages = Math.Max(pages * 4, pagesTotal / 8);
                ulong startPage = (ulong)rng.NextInt64(0, (long)(pagesTotal - Math.Min(windowPages, pagesTotal) + 1));
                startPage &= ~(minPages - 1);
                start = startPage * chunk;
                end = Math.Min(mmSize, start + (windowPages * chunk));
                if (start + size == end)
                {
                    end = 0;
                }
            }

            int allocId = nextId++;
            if (mm.TryAlloc(start, end, size, min, flags, out List<BuddyBlock>? got, out _))
            {
                live.Add((allocId, got));
            }

            sb.Append(CultureInfo.InvariantCulture, $"alloc c{allocId} 0x{start:x} 0x{end:x} 0x{size:x} 0x{min:x}").Append(names).Append('\n');
        }

        return sb.ToString();
    }
}
