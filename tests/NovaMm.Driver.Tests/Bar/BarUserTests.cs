using System.Runtime.CompilerServices;
using CsCheck;
using NovaMm.Driver.Bar;
using NovaMm.Driver.Memory;
using NovaMm.Driver.Tests.VirtualMemory;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;

namespace NovaMm.Driver.Tests.Bar;

public class BarUserTests
{
    public static TheoryData<string> Chips() => new(ChipCatalog.All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Chips))]
    public void Bar1_and_pramin_see_the_same_bytes_for_random_allocations(string chip)
    {
        var kit = new VmmTestKit(chip);
        var gpu = kit.Gpu;
        Gen.Select(Gen.Int[1, 24], Gen.Int[0, int.MaxValue]).Sample((pages, seed) =>
        {
            var rnd = new Random(seed);
            var alloc = gpu.Mm.Allocate((ulong)pages * GpuPage.Size, new VramAllocOptions { Flags = rnd.Next(2) == 0 ? Driver.Buddy.BuddyFlags.TopDown : Driver.Buddy.BuddyFlags.None });
            try
            {
                using var access = gpu.BarUser.Map(alloc);
                var data = new byte[alloc.Size];
                rnd.NextBytes(data);
                access.Write(0, data);
                var viaPramin = new byte[data.Length];
                using (var w = gpu.Pramin.Acquire())
                {
                    var at = 0;
                    foreach (var b in alloc.Blocks)
                    {
                        w.Read(b.Start, viaPramin.AsSpan(at, (int)b.Size));
                        at += (int)b.Size;
                    }
                }

                Assert.Equal(data, viaPramin);

                // And the other way: PRAMIN writes a word, BAR1 reads it.
                var off = (ulong)rnd.Next(0, (int)(alloc.Size / 8)) * 8;
                var value = (ulong)rnd.NextInt64();
                var (block, inBlock) = Locate(alloc, off);
                using (var w = gpu.Pramin.Acquire())
                {
                    w.Write64(block.Start.Add(inBlock), value);
                }

                Assert.Equal(value, access.Read64(off));
            }
            finally
            {
                gpu.Mm.Free(alloc);
            }
        }, iter: 12, threads: 1);
        Assert.Equal(0, kit.Hw.Faults.Count);
        Assert.Empty(gpu.BarUser.Vmm.Mappings);
    }

    [Fact]
    public void Access_outside_the_mapping_or_after_dispose_is_refused_before_the_hardware()
    {
        var kit = new VmmTestKit();
        var gpu = kit.Gpu;
        var page = gpu.Mm.Allocate(2 * GpuPage.Size);
        var access = gpu.BarUser.Map(page);
        access.Write32(0x1FFC, 1);
        Assert.Contains("outside this mapping", Assert.Throws<ArgumentOutOfRangeException>(() => access.Read32(0x2000)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => access.Write64(0x1FFC, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => access.Read(0x1000, new byte[0x1001]));
        Assert.Throws<ArgumentOutOfRangeException>(() => access.Read32(ulong.MaxValue - 1));
        Assert.Contains("not aligned", Assert.Throws<ArgumentException>(() => access.Read32(0x2)).Message);
        access.Dispose();
        Assert.Throws<ObjectDisposedException>(() => access.Read32(0));
        Assert.Throws<ObjectDisposedException>(() => access.Write32(0, 5));
        access.Dispose();
        Assert.Equal(0, kit.Hw.Faults.Count); // the driver refused; the GMMU never saw these
        Assert.Equal(0, gpu.BarUser.LiveHandles);

        // After dispose the VA really is unmapped: a raw BAR1 read now faults in the hardware.
        Assert.Equal(0xFFFF_FFFFu, kit.Hw.Bar1.Read32(access.Base.Value));
        Assert.Equal(1, kit.Hw.Faults.Count);
    }

    [Fact]
    public void A_dropped_handle_is_reported_and_its_mapping_reclaimed()
    {
        var kit = new VmmTestKit();
        var gpu = kit.Gpu;
        var page = gpu.Mm.AllocatePage();
        DropHandle(gpu.BarUser, page);
        for (var i = 0; i < 10 && gpu.BarUser.LeakedHandles == 0; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.Equal(1, gpu.BarUser.LeakedHandles);
        Assert.Single(gpu.BarUser.Vmm.Mappings);
        Assert.Equal(1, gpu.BarUser.ReclaimLeaks());
        Assert.Empty(gpu.BarUser.Vmm.Mappings);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DropHandle(BarUser bar, VramAllocation page) => bar.Map(page).Write32(0, 7);

    [Fact]
    public void Map_refuses_nothing_and_frames_outside_vram()
    {
        var kit = new VmmTestKit();
        Assert.Throws<ArgumentException>(() => kit.Gpu.BarUser.Map(Array.Empty<Pfn>()));
        Assert.Throws<ArgumentException>(() => kit.Gpu.BarUser.Map([new Pfn(kit.Gpu.FbLayout.TotalFbEnd >> 12)]));
        Assert.Empty(kit.Gpu.BarUser.Vmm.Mappings);
    }

    [Theory]
    [InlineData("GA100")] // 64 GiB BAR1
    [InlineData("GH100")] // 128 GiB BAR1
    public void Bar_user_spans_the_real_bar1_size(string chip)
    {
        var kit = new VmmTestKit(chip);
        Assert.Equal(kit.Hw.Options.EffectiveBar1Size, kit.Gpu.BarUser.Size);
        var page = kit.Gpu.Mm.AllocatePage();
        using var access = kit.Gpu.BarUser.Map(page, va: new GpuVa(kit.Gpu.BarUser.Size - 4096));
        access.Write32(0, 0x600DF00D);
        Assert.Equal(0x600DF00Du, kit.Hw.Vram.Read32(page.Start.Value));
    }

    [Fact]
    public void Self_tests_fail_when_bar1_is_bound_elsewhere()
    {
        // Negative control: point BAR1 at a different (empty) address space; the BAR1 self-tests must notice.
        var kit = new VmmTestKit();
        var other = kit.Gpu.Mm.AllocatePage();
        var inst = kit.Gpu.Mm.AllocatePage();
        var pdbWords = Spec.PageTables.PageDirectoryBase.ForVram(other.Start);
        kit.Hw.Vram.Write32(inst.Start.Value + 0x200, pdbWords.Lo);
        kit.Hw.Vram.Write32(inst.Start.Value + 0x204, pdbWords.Hi);
        kit.Hw.Bar0.Write32(Spec.Registers.NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK.Offset, Spec.Registers.NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK.ForVramInstanceBlock(inst.Start.Value).Raw);
        var results = SelfTests.Bar1SelfTests.Run(kit.Gpu);
        Assert.Contains(results, r => !r.Passed && r.Name == "PRAMIN write, BAR1 read");
    }

    private static (VramRange Block, ulong Offset) Locate(VramAllocation alloc, ulong offset)
    {
        foreach (var b in alloc.Blocks)
        {
            if (offset < b.Size)
            {
                return (b, offset);
            }

            offset -= b.Size;
        }

        throw new ArgumentOutOfRangeException(nameof(offset));
    }
}
