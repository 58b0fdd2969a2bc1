using NovaMm.Driver.Buddy;
using NovaMm.Driver.Fb;
using NovaMm.Driver.Memory;
using NovaMm.Driver.Mmu;
using NovaMm.Hardware;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;
using NovaMm.Spec.Device;

namespace NovaMm.Driver.Tests.Memory;

public class GpuMmTests
{
    private static Gpu Boot(string chip = "GA102") =>
        Gpu.Boot(new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(chip) }) is var hw ? hw.Bar0 : null!, hw.Bar1, hw.Gsp);

    [Theory]
    [InlineData("TU117")]
    [InlineData("GA102")]
    [InlineData("GH100")]
    [InlineData("GB100")]
    public void Manages_exactly_the_usable_regions(string chip)
    {
        var gpu = Boot(chip);
        Assert.Equal(gpu.FbLayout.UsableBytes, gpu.Mm.TotalBytes);
        Assert.Equal(gpu.Mm.TotalBytes, gpu.Mm.FreeBytes);
        var usable = gpu.FbLayout.Usable[0];

        // Everything handed out lies inside usable VRAM, whatever the flags.
        var a = gpu.Mm.Allocate(16UL << 20);
        var b = gpu.Mm.Allocate(16UL << 20, new VramAllocOptions { Flags = BuddyFlags.TopDown });
        var c = gpu.Mm.Allocate(12345UL * 4096, new VramAllocOptions { Flags = BuddyFlags.Contiguous });
        foreach (var blk in a.Blocks.Concat(b.Blocks).Concat(c.Blocks))
        {
            Assert.True(usable.Contains(blk.Start, blk.Size), $"{blk} outside {usable}");
        }

        Assert.True(c.IsContiguous);
        Assert.Equal(12345UL * 4096, c.Size);
        gpu.Mm.Free(a);
        gpu.Mm.Free(b);
        gpu.Mm.Free(c);
        Assert.Equal(gpu.Mm.TotalBytes, gpu.Mm.FreeBytes);
    }

    [Fact]
    public void Range_allocation_uses_absolute_addresses()
    {
        var gpu = Boot();
        var a = gpu.Mm.Allocate(1UL << 20, new VramAllocOptions { Range = new VramRange(new VramAddress(0x4000_0000), 0x1000_0000) });
        Assert.Equal(0x4000_0000UL, a.Start.Value); // RANGE is lowest-address first
        var bad = Assert.Throws<ArgumentException>(() => gpu.Mm.Allocate(4096, new VramAllocOptions { Range = new VramRange(new VramAddress(gpu.FbLayout.TotalFbEnd - 0x1000), 0x1000) }));
        Assert.Contains("not inside one usable region", bad.Message);
    }

    [Fact]
    public void Bad_requests_name_the_value_and_change_nothing()
    {
        var gpu = Boot();
        var free = gpu.Mm.FreeBytes;
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.Mm.Allocate(0));
        Assert.Contains("0x1001", Assert.Throws<ArgumentException>(() => gpu.Mm.Allocate(0x1001)).Message);
        Assert.Throws<ArgumentException>(() => gpu.Mm.Allocate(4096, new VramAllocOptions { MinBlockSize = 3000 }));
        Assert.Contains("beyond the managed size", Assert.Throws<ArgumentException>(() => gpu.Mm.Allocate(gpu.Mm.TotalBytes + (1UL << 30))).Message);
        var all = gpu.Mm.Allocate(gpu.Mm.TotalBytes);
        var e = Assert.Throws<NovaMmException>(() => gpu.Mm.AllocatePage());
        Assert.Equal(ErrorCode.NoSpace, e.Code);
        Assert.Equal(0UL, gpu.Mm.FreeBytes);
        gpu.Mm.Free(all);
        Assert.Equal(free, gpu.Mm.FreeBytes);
        var a = gpu.Mm.Allocate(4096);
        gpu.Mm.Free(a);
        Assert.Throws<InvalidOperationException>(() => gpu.Mm.Free(a));
        Assert.Equal(free, gpu.Mm.FreeBytes);
    }

    [Fact]
    public void Several_usable_regions_each_get_an_allocator()
    {
        var hw = new SimulatedGpu();
        var layout = FbLayout.FromRegions(
        [
            new(0, 0xFFF_FFFF, 0, 0, true, true, false),
            new(0x1000_0000, 0x1FFF_FFFF, 0x100, 0, true, true, false),
            new(0x2000_0000, 0x27FF_FFFF, 0, 0, true, true, false),
        ]);
        var mm = new GpuMm(layout, new Driver.Pramin.Pramin(hw.Bar0, hw.Chip.PraminWindow, layout.TotalFbEnd), new Tlb(hw.Bar0));
        Assert.Equal(2, mm.Regions.Count);
        Assert.Equal(0x1800_0000UL, mm.TotalBytes);
        var big = mm.Allocate(0x1000_0000, new VramAllocOptions { MinBlockSize = 0x1000_0000 });
        Assert.Equal(0UL, big.Start.Value);
        var next = mm.Allocate(0x400_0000);
        Assert.Equal(1, next.Region); // the first region is full: the second serves it
        Assert.Equal(0x2400_0000UL, next.Start.Value);
        Assert.Equal(2, mm.Statistics().Count);
    }

    [Fact]
    public void Overlapping_usable_regions_are_refused()
    {
        var hw = new SimulatedGpu();
        var layout = FbLayout.FromRegions([new(0, 0xFFF_FFFF, 0, 0, true, true, false), new(0x800_0000, 0x1FFF_FFFF, 0, 0, true, true, false)]);
        Assert.Equal(ErrorCode.NoDevice, Assert.Throws<NovaMmException>(() =>
            new GpuMm(layout, new Driver.Pramin.Pramin(hw.Bar0, hw.Chip.PraminWindow, layout.TotalFbEnd), new Tlb(hw.Bar0))).Code);
    }

    [Fact]
    public void Injected_failure_is_no_memory_and_changes_nothing()
    {
        var gpu = Boot();
        var free = gpu.Mm.FreeBytes;
        gpu.Mm.FailAllocation = _ => true;
        Assert.Equal(ErrorCode.NoMemory, Assert.Throws<NovaMmException>(() => gpu.Mm.AllocatePage()).Code);
        Assert.Equal(free, gpu.Mm.FreeBytes);
    }

    [Fact]
    public void Self_test_scratch_is_returned()
    {
        var gpu = Boot();
        var free = gpu.Mm.FreeBytes;
        Assert.All(gpu.RunSelfTests(), r => Assert.True(r.Passed, r.Detail));
        Assert.Equal(free, gpu.Mm.FreeBytes); // scratch, test pages and BAR1 page tables all returned
        Assert.Empty(gpu.BarUser.Vmm.Mappings);
        Assert.Equal(0, gpu.BarUser.Vmm.PageTablePages);
    }

    [Fact]
    public void A_failed_page_batch_returns_clear_pages_to_the_clear_list()
    {
        var gpu = Boot();

        // Make some known-zero memory: 16 pages freed as cleared.
        var zeroed = gpu.Mm.AllocatePages(16);
        gpu.Mm.FreeAll(zeroed, cleared: true);
        var before = gpu.Mm.Statistics().Select(r => (r.Free, r.ClearFree, r.Dump)).ToArray();
        Assert.Contains(before, r => r.ClearFree >= 16 * 4096UL);

        // The batch takes clear pages first; the ninth allocation fails and everything taken goes back.
        var calls = 0;
        gpu.Mm.FailAllocation = _ => ++calls == 9;
        Assert.Throws<NovaMmException>(() => gpu.Mm.AllocatePages(12));
        gpu.Mm.FailAllocation = null;
        Assert.Equal(9, calls);
        Assert.Equal(before, gpu.Mm.Statistics().Select(r => (r.Free, r.ClearFree, r.Dump)).ToArray());
    }
}
