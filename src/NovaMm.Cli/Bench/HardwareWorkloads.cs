using NovaMm.Hardware.Mmu;

namespace NovaMm.Cli.Bench;

/// <summary>The simulated hardware's hot paths: a GMMU translation that hits the TLB, and BAR1 bulk reads and writes.</summary>
internal static class HardwareWorkloads
{
    private const int Bytes = 1 << 20;
    private const int Vas = 256;

    /// <summary>A TLB-hit translation (<c>Gmmu.TryTranslate</c>, the hardware's own hot path) against a <see cref="Dictionary{TKey, TValue}"/> lookup of the same 256 pages.</summary>
    public static IEnumerable<Figure> Translate(BenchContext ctx)
    {
        ctx.Step("GMMU translation with a TLB hit");
        var (hw, gpu) = BenchContext.Boot("GA102");
        using var access = gpu.BarUser.Map(gpu.Mm.Allocate(Bytes));
        var pdb = gpu.Bar1Pdb.Value;
        var format = gpu.Chip.Format;
        var gmmu = hw.Gmmu;
        var table = new Dictionary<ulong, ulong>();
        for (var i = 0UL; i < Vas; i++)
        {
            table[i * 4096] = gmmu.Translate(pdb, format, i * 4096, AccessType.Read, false).Translation!.PhysicalAddress;
            if (!gmmu.TryTranslate(pdb, format, i * 4096, AccessType.Read, false, out var page) || !page.TlbHit || page.PhysicalAddress != table[i * 4096])
            {
                throw new InvalidOperationException($"BAR1 VA 0x{i * 4096:x} did not hit the TLB with the walked address");
            }
        }

        ulong sink = 0;
        void Gmmu()
        {
            for (var i = 0UL; i < Vas; i++)
            {
                gmmu.TryTranslate(pdb, format, i * 4096, AccessType.Read, false, out var page);
                sink += page.PhysicalAddress;
            }
        }

        void Lookup()
        {
            for (var i = 0UL; i < Vas; i++)
            {
                sink += table[i * 4096];
            }
        }

        var minimum = TimeSpan.FromMilliseconds(ctx.Quick ? 20 : 100);
        Clock.WarmUp(TimeSpan.FromMilliseconds(300), Gmmu, Lookup);
        Sample nova = new(), floor = new();
        for (var r = 0; r < ctx.Runs; r++)
        {
            nova.Add(Clock.PerOperation(Gmmu, Vas, minimum));
            floor.Add(Clock.PerOperation(Lookup, Vas, minimum));
        }

        GC.KeepAlive(sink);
        yield return new Figure("translate-tlb-hit", "GMMU translation, TLB hit (GA102, BAR1 space)", "ns", nova, "Dictionary<ulong, ulong> lookup", floor, FigureKind.TimeRatio, nova.Median / floor.Median, 1.5);
    }

    /// <summary>BAR1 bulk read and write of 1 MiB through a BarUser mapping, against a copy of the same bytes in memory.</summary>
    public static IEnumerable<Figure> Bar1(BenchContext ctx)
    {
        ctx.Step("BAR1 bulk read and write of 1 MiB");
        var (_, gpu) = BenchContext.Boot("GA102");
        using var access = gpu.BarUser.Map(gpu.Mm.Allocate(Bytes));
        var source = new byte[Bytes];
        var destination = new byte[Bytes];
        new Random(1).NextBytes(source);
        access.Write(0, source);
        access.Read(0, destination);
        if (!source.AsSpan().SequenceEqual(destination))
        {
            throw new InvalidOperationException("BAR1 did not read back what was written");
        }

        var minimum = TimeSpan.FromMilliseconds(ctx.Quick ? 20 : 100);
        Clock.WarmUp(TimeSpan.FromMilliseconds(300), () => access.Write(0, source), () => access.Read(0, destination), () => source.AsSpan().CopyTo(destination));
        Sample write = new(), read = new(), copy = new();
        for (var r = 0; r < ctx.Runs; r++)
        {
            write.Add(Clock.PerOperation(() => access.Write(0, source), 1, minimum) / 1000);
            read.Add(Clock.PerOperation(() => access.Read(0, destination), 1, minimum) / 1000);
            copy.Add(Clock.PerOperation(() => source.AsSpan().CopyTo(destination), 1, minimum) / 1000);
        }

        const string floorName = "copy 1 MiB in memory (Span.CopyTo)";
        yield return new Figure("bar1-write-1mib", "BAR1 bulk write of 1 MiB (GA102)", "µs", write, floorName, copy, FigureKind.TimeRatio, write.Median / copy.Median, 2.0);
        yield return new Figure("bar1-read-1mib", "BAR1 bulk read of 1 MiB (GA102)", "µs", read, floorName, copy, FigureKind.TimeRatio, read.Median / copy.Median, 2.0);
    }
}
