using NovaMm.Driver.Buddy;
using NovaMm.Driver.Memory;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Spec.Addresses;

namespace NovaMm.Driver.SelfTests;

/// <summary>
/// The BAR1 / VMM self-tests (nova-core <c>bar_user::run_self_test</c>; docs/bar1.md, docs/selftests.md), on MMU v2 and v3 alike: nova v7's three tests, the v8 block-size
/// test, an end-to-end <c>BarUser</c> test, and a mapping above 512 MiB of BAR1 VA where BAR1 is that large (the VA
/// indexing bug v7 has there). Unlike nova, every mapping goes through the GPU's own <c>BarUser</c> (no second VMM
/// on the same BAR1 directory), and the PDB check does not skip: GSP's root must lie in reserved VRAM.
/// </summary>
public static class Bar1SelfTests
{
    private const string Suite = "BAR1";
    private const uint PraminPattern = 0xDEADBEEF;
    private const uint Bar1Pattern = 0xCAFEBABE;

    /// <summary>Runs the tests; operational errors propagate, value mismatches are failed results.</summary>
    public static IReadOnlyList<SelfTestResult> Run(Gpu gpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        var results = new List<SelfTestResult>();
        var mm = gpu.Mm;
        var bar = gpu.BarUser;

        // 0: GSP's BAR1 root directory lies in VRAM GSP reserved, not in memory the driver allocates.
        var pdb = gpu.Bar1Pdb;
        var inUsable = gpu.FbLayout.Usable.Any(u => u.Contains(pdb));
        results.Add(new(Suite, "BAR1 PDB is in GSP-reserved VRAM", pdb.IsAligned(GpuPage.Size) && pdb.Value < gpu.FbLayout.TotalFbEnd && !inUsable,
            $"bar1PdeBase {pdb}"));

        var page = mm.AllocatePage();
        try
        {
            // 1 and 2 (nova v7): PRAMIN write -> BAR1 read, BAR1 write -> PRAMIN read.
            using (var access = bar.Map([page.Start.Frame]))
            {
                using (var w = gpu.Pramin.Acquire())
                {
                    w.Write32(page.Start.Add(0x100), PraminPattern);
                }

                var seen = access.Read32(0x100);
                results.Add(new(Suite, "PRAMIN write, BAR1 read", seen == PraminPattern, $"read 0x{seen:x8} at BAR1 {access.Base}+0x100"));
                access.Write32(0x200, Bar1Pattern);
                uint back;
                using (var w = gpu.Pramin.Acquire())
                {
                    back = w.Read32(page.Start.Add(0x200));
                }

                results.Add(new(Suite, "BAR1 write, PRAMIN read", back == Bar1Pattern, $"read 0x{back:x8} at {page.Start.Add(0x200)}"));
            }

            // 3 (nova v7): two-phase map, then read_mapping.
            using (var prepared = bar.Vmm.Prepare(new MapRequest { Size = GpuPage.Size }))
            {
                var m = bar.Vmm.Execute(prepared, [page.Start]);
                var mapped = bar.Vmm.ReadMapping(m.Va);
                results.Add(new(Suite, "prepare/execute, read_mapping", mapped == page.Start, $"VA {m.Va} -> {mapped?.ToString() ?? "none"}"));
                bar.Vmm.Unmap(m);
            }
        }
        finally
        {
            mm.Free(page);
        }

        results.Add(BlockSizeTest(gpu));
        results.Add(EndToEnd(gpu));
        if (bar.Size > 512UL << 20)
        {
            results.Add(AboveHalfGiB(gpu));
        }

        return results;
    }

    /// <summary>
    /// nova v8's block-size test: a 4 KiB hole at base + 16 KiB, then 32 KiB with RANGE in [base, base + 36 KiB) must come
    /// back as 16K, 4K, 8K, 4K (by address); each block is mapped through BAR1 and checked page by page through PRAMIN.
    /// </summary>
    private static SelfTestResult BlockSizeTest(Gpu gpu)
    {
        const ulong K = 1024;
        var mm = gpu.Mm;

        // Find a free 64 KiB-aligned 64 KiB span: allocate it aligned, then give it back and use it at once.
        var probe = mm.Allocate(64 * K, new VramAllocOptions { MinBlockSize = 64 * K });
        var baseAddr = probe.Start;
        mm.Free(probe);
        var hole = mm.Allocate(4 * K, new VramAllocOptions { Range = new VramRange(baseAddr.Add(16 * K), 4 * K) });
        VramAllocation? blocks = null;
        try
        {
            blocks = mm.Allocate(32 * K, new VramAllocOptions { Range = new VramRange(baseAddr, 36 * K) });
            var sizes = blocks.Blocks.OrderBy(b => b.Start).Select(b => b.Size / K).ToArray();
            var expected = new ulong[] { 16, 4, 8, 4 };
            var total = blocks.Blocks.Aggregate(0UL, (s, b) => s + b.Size);
            var ok = sizes.SequenceEqual(expected) && total == 32 * K;
            foreach (var b in blocks.Blocks)
            {
                using var access = gpu.BarUser.Map(FramesOf(b));
                for (var off = 0UL; off < b.Size; off += GpuPage.Size)
                {
                    access.Write32(off, Bar1Pattern);
                    using var w = gpu.Pramin.Acquire();
                    ok &= w.Read32(b.Start.Add(off)) == Bar1Pattern;
                }
            }

            return new(Suite, "block sizes of a ranged allocation (v8)", ok, $"blocks {string.Join(",", sizes.Select(s => s + "K"))} (want 16K,4K,8K,4K), total {total / K}K");
        }
        finally
        {
            if (blocks is not null)
            {
                mm.Free(blocks);
            }

            mm.Free(hole);
        }
    }

    /// <summary>End to end: map a multi-block allocation with BarUser, bulk-write through BAR1, read through PRAMIN, and back.</summary>
    private static SelfTestResult EndToEnd(Gpu gpu)
    {
        var alloc = gpu.Mm.Allocate(9 * GpuPage.Size);
        try
        {
            var data = new byte[alloc.Size];
            new Random(0x0BA4).NextBytes(data);
            bool ok;
            using (var access = gpu.BarUser.Map(alloc))
            {
                access.Write(0, data);
                var viaPramin = ReadAllocation(gpu, alloc);
                ok = viaPramin.AsSpan().SequenceEqual(data);
                Array.Reverse(data);
                WriteAllocation(gpu, alloc, data);
                var viaBar1 = new byte[data.Length];
                access.Read(0, viaBar1);
                ok &= viaBar1.AsSpan().SequenceEqual(data);
            }

            return new(Suite, "BarUser end to end (bulk, multi-block)", ok, $"{alloc.Blocks.Count} blocks, {alloc.Size} bytes");
        }
        finally
        {
            gpu.Mm.Free(alloc);
        }
    }

    /// <summary>A page mapped at the top of a BAR1 larger than 512 MiB, where nova v7 indexes wrongly.</summary>
    private static SelfTestResult AboveHalfGiB(Gpu gpu)
    {
        var page = gpu.Mm.AllocatePage();
        try
        {
            var va = new GpuVa(gpu.BarUser.Size - GpuPage.Size);
            using var access = gpu.BarUser.Map([page.Start.Frame], va: va);
            access.Write32(0x40, Bar1Pattern);
            using var w = gpu.Pramin.Acquire();
            var back = w.Read32(page.Start.Add(0x40));
            return new(Suite, "mapping above 512 MiB of BAR1 VA", back == Bar1Pattern && access.Base.Value == va.Value,
                $"BAR1 {access.Base} -> {page.Start}, read 0x{back:x8}");
        }
        finally
        {
            gpu.Mm.Free(page);
        }
    }

    private static byte[] ReadAllocation(Gpu gpu, VramAllocation alloc)
    {
        var bytes = new byte[alloc.Size];
        using var w = gpu.Pramin.Acquire();
        var at = 0;
        foreach (var b in alloc.Blocks)
        {
            w.Read(b.Start, bytes.AsSpan(at, (int)b.Size));
            at += (int)b.Size;
        }

        return bytes;
    }

    private static void WriteAllocation(Gpu gpu, VramAllocation alloc, byte[] data)
    {
        using var w = gpu.Pramin.Acquire();
        var at = 0;
        foreach (var b in alloc.Blocks)
        {
            w.Write(b.Start, data.AsSpan(at, (int)b.Size));
            at += (int)b.Size;
        }
    }

    private static Pfn[] FramesOf(VramRange block) =>
        Enumerable.Range(0, (int)(block.Size / GpuPage.Size)).Select(i => block.Start.Add((ulong)i * GpuPage.Size).Frame).ToArray();
}
