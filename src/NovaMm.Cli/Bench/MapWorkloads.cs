using NovaMm.Driver;
using NovaMm.Driver.Memory;
using NovaMm.Driver.PageTables;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Cli.Bench;

/// <summary>
/// The map path in 4 KiB pages: map and unmap 1 GiB against a loop storing the same PTE words into an array, and the
/// cost per page from 1 MiB to 64 GiB, on MMU v2 (GA100, 80 GiB) and v3 (GB100, 192 GiB).
/// </summary>
internal static class MapWorkloads
{
    private const ulong MiB = 1UL << 20;
    private const ulong GiB = 1UL << 30;
    private static readonly GpuVa Va = new(1UL << 40);

    /// <summary>The two boards: one per MMU version, each large enough for a 64 GiB mapping.</summary>
    public static readonly (string Version, string Chip, ulong Vram)[] Boards = [("v2", "GA100", 80 * GiB), ("v3", "GB100", 192 * GiB)];

    /// <summary>Mapping sizes of the per-page cost curve.</summary>
    public static ulong[] CurveSizes(bool quick) => quick
        ? [1 * MiB, 16 * MiB, 256 * MiB, 1 * GiB]
        : [1 * MiB, 16 * MiB, 256 * MiB, 1 * GiB, 8 * GiB, 64 * GiB];

    /// <summary>Map and unmap 1 GiB in 4 KiB pages, each against the floor, on both MMU versions.</summary>
    public static IEnumerable<Figure> OneGiB(BenchContext ctx)
    {
        foreach (var (version, chip, vram) in Boards)
        {
            ctx.Step($"map/unmap 1 GiB in 4 KiB pages on {chip} ({version})");
            var (_, gpu) = BenchContext.Boot(chip, vram);
            using var vmm = new Vmm(gpu.Mm, new VmmOptions { Format = gpu.Chip.Format });
            var backing = Backing(gpu, GiB);
            var pages = (int)(GiB / GpuPage.Size);
            var floor = new FloorLoop(gpu.Chip.Format, backing.Start, pages);
            // Warm-up: many short maps first (see WarmMapPath), then the 1 GiB map itself for the first touch of its
            // page-table pages.
            WarmMapPath(gpu, vmm);
            Clock.WarmUp(TimeSpan.FromMilliseconds(300), () => MapOnce(vmm, backing), () => floor.Run());

            Sample map = new(), unmap = new(), store = new();
            for (var r = 0; r < ctx.Runs; r++)
            {
                Mapping? m = null;
                map.Add(Clock.Nanoseconds(() => m = vmm.Map(backing, GpuPage.Size, Va)) / pages);
                unmap.Add(Clock.Nanoseconds(() => vmm.Unmap(m!)) / pages);
                store.Add(Clock.Nanoseconds(() => floor.Run()) / pages);
            }

            var floorName = $"store {pages:N0} PTE words into a ulong[]";
            yield return new Figure($"map-1gib-4k-{version}", $"map 1 GiB in 4 KiB pages ({chip}, MMU {version})", "ns/page", map, floorName, store, FigureKind.TimeRatio, map.Median / store.Median, 5.0);
            yield return new Figure($"unmap-1gib-4k-{version}", $"unmap 1 GiB of 4 KiB pages ({chip}, MMU {version})", "ns/page", unmap, floorName, store, FigureKind.TimeRatio, unmap.Median / store.Median, 5.0);
            gpu.Mm.Free(backing);
        }
    }

    /// <summary>Cost per 4 KiB page of map+unmap from 1 MiB to 64 GiB (1 GiB with --quick); the spread over sizes.</summary>
    public static IEnumerable<Figure> Curve(BenchContext ctx, List<CurveSeries> plot)
    {
        var sizes = CurveSizes(ctx.Quick);
        foreach (var (version, chip, vram) in Boards)
        {
            var (_, gpu) = BenchContext.Boot(chip, vram);
            using var vmm = new Vmm(gpu.Mm, new VmmOptions { Format = gpu.Chip.Format });
            var mapSeries = new CurveSeries($"{version} map", []);
            var unmapSeries = new CurveSeries($"{version} unmap", []);
            var floorSeries = new CurveSeries($"{version} floor", []);
            WarmMapPath(gpu, vmm);
            var points = new List<(string, double)>();
            var medians = new List<double>();
            var all = new Sample();
            foreach (var size in sizes)
            {
                ctx.Step($"per-page cost at {PageSize.Format(size)} on {chip} ({version})");
                var backing = Backing(gpu, size);
                var pages = (int)(size / GpuPage.Size);
                var floor = new FloorLoop(gpu.Chip.Format, backing.Start, pages);
                Clock.WarmUp(TimeSpan.FromMilliseconds(size >= GiB ? 0 : 200), () => MapOnce(vmm, backing), () => floor.Run());

                // Small mappings repeat the cycle until each run lasts long enough to time reliably.
                var cycles = (int)Math.Max(1, 64 * MiB / size);
                Sample map = new(), unmap = new(), store = new();
                for (var r = 0; r < ctx.Runs; r++)
                {
                    double mapNs = 0, unmapNs = 0;
                    for (var c = 0; c < cycles; c++)
                    {
                        Mapping? m = null;
                        mapNs += Clock.Nanoseconds(() => m = vmm.Map(backing, GpuPage.Size, Va));
                        unmapNs += Clock.Nanoseconds(() => vmm.Unmap(m!));
                    }

                    map.Add(mapNs / cycles / pages);
                    unmap.Add(unmapNs / cycles / pages);
                    store.Add(Clock.Nanoseconds(() =>
                    {
                        for (var c = 0; c < cycles; c++)
                        {
                            floor.Run();
                        }
                    }) / cycles / pages);
                }

                gpu.Mm.Free(backing);
                var perPage = map.Median + unmap.Median;
                mapSeries.Points.Add((size, map.Median));
                unmapSeries.Points.Add((size, unmap.Median));
                floorSeries.Points.Add((size, store.Median));
                points.Add((PageSize.Format(size), perPage));
                medians.Add(perPage);
                all.Add(perPage);
            }

            plot.Add(mapSeries);
            plot.Add(unmapSeries);
            plot.Add(floorSeries);
            var median = Sample.MedianOf(medians);
            var spread = medians.Max(m => Math.Abs((m / median) - 1));
            yield return new Figure(
                $"map-cost-flat-{version}",
                $"map+unmap cost per 4 KiB page, {PageSize.Format(sizes[0])} to {PageSize.Format(sizes[^1])} ({chip}, MMU {version})",
                "ns/page",
                all,
                "median over sizes",
                Sample.Of(median),
                FigureKind.Spread,
                spread,
                0.20,
                Points: points);
        }
    }

    /// <summary>Backing VRAM for a mapping of <paramref name="size"/> (in blocks of up to 1 GiB).</summary>
    internal static VramAllocation Backing(Gpu gpu, ulong size) =>
        gpu.Mm.Allocate(size, new VramAllocOptions { MinBlockSize = Math.Min(size, GiB) });

    /// <summary>
    /// Many short maps, so every method of the map path has been called often enough to be recompiled optimised before
    /// anything is timed (a 1 GiB map alone calls the outer ones only a few dozen times in 300 ms).
    /// </summary>
    private static void WarmMapPath(Gpu gpu, Vmm vmm)
    {
        var small = Backing(gpu, 16 * MiB);
        Clock.WarmUp(TimeSpan.FromMilliseconds(300), () => MapOnce(vmm, small));
        gpu.Mm.Free(small);
    }

    private static void MapOnce(Vmm vmm, VramAllocation backing) => vmm.Unmap(vmm.Map(backing, GpuPage.Size, Va));

    /// <summary>
    /// The floor: a plain loop computing each page's PTE word from a template the real encoder made and storing it
    /// into an array, as fast as a store of the same words can be.
    /// </summary>
    internal sealed class FloorLoop
    {
        private readonly ulong[] _words;
        private readonly ulong _template;
        private readonly int _shift;
        private readonly ulong _firstFrame;

        public FloorLoop(MmuFormat format, VramAddress first, int pages)
        {
            _words = new ulong[pages];
            _firstFrame = first.Value >> GpuPage.Shift;
            // The driver's own encoder gives the word for frame 0 and frame 1; the address field is linear in the frame.
            _template = EntryCodec.Pte(format, format.SmallPageTable, new VramAddress(0), default).Low;
            var frameOne = EntryCodec.Pte(format, format.SmallPageTable, new VramAddress(GpuPage.Size), default).Low;
            _shift = System.Numerics.BitOperations.TrailingZeroCount(frameOne ^ _template);
        }

        /// <summary>Fills the array; the last word keeps the work observable. Compiled optimised from the first call, so
        /// the floor is never timed as first-tier code.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public ulong Run()
        {
            var words = _words;
            for (var i = 0; i < words.Length; i++)
            {
                words[i] = _template | ((_firstFrame + (ulong)i) << _shift);
            }

            return words[^1];
        }
    }
}

/// <summary>One line of the per-page cost plot: (mapping size in bytes, ns per page).</summary>
internal sealed record CurveSeries(string Label, List<(ulong Size, double NsPerPage)> Points);
