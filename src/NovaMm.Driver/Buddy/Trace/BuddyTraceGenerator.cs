using System.Globalization;
using System.Numerics;
using System.Text;

namespace NovaMm.Driver.Buddy.Trace;

/// <summary>Parameters of a generated random buddy trace.</summary>
/// <param name="Size">init SIZE (need not be a power of two).</param>
/// <param name="ChunkSize">init CHUNK.</param>
/// <param name="Ops">Number of operations after init.</param>
/// <param name="Seed">Seed of the pseudo-random generator; the same parameters give the same trace.</param>
public sealed record BuddyTraceGeneratorOptions(ulong Size, ulong ChunkSize, int Ops, int Seed);

/// <summary>
/// Seeded random trace generator (spec/buddy-trace.md): mixes every allocation flag, exact ranges, windows (including
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
}
