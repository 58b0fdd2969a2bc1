using NovaMm.Driver.SelfTests;
using NovaMm.Hardware;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;
using NovaMm.Spec.Device;
using NovaMm.Spec.Registers;

namespace NovaMm.Driver.Tests.Pramin;

public class PraminTests
{
    private static (SimulatedGpu Hw, RecordingBar0 Bar0, Driver.Pramin.Pramin Pramin) Make(string chip = "GA102")
    {
        var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(chip) });
        var bar0 = new RecordingBar0(hw.Bar0);
        return (hw, bar0, new Driver.Pramin.Pramin(bar0, hw.Chip.PraminWindow, hw.Vram.Size));
    }

    [Fact]
    public void Novas_worked_example_programs_the_window_and_offset()
    {
        var (hw, bar0, pramin) = Make();
        using (var w = pramin.Acquire())
        {
            w.Write8(new VramAddress(0x1_2345_6789), 0x5A);
        }

        Assert.Equal((0x1700UL, 0x0001_2345u), bar0.Writes32.Single());
        Assert.Equal(0x0070_6789UL, bar0.Accesses.Last());
        Assert.Equal(0x5Au, (hw.Vram.Read32(0x1_2345_6788) >> 8) & 0xFF);
    }

    [Fact]
    public void Sequential_one_mib_sweep_inside_one_aperture_moves_the_window_at_most_once()
    {
        var (_, _, pramin) = Make();
        using var w = pramin.Acquire();
        var start = 0x4000_0000UL;
        for (var a = start; a < start + (1UL << 20); a += 8)
        {
            w.Write64(new VramAddress(a), a);
        }

        Assert.True(pramin.WindowMoves <= 1, $"{pramin.WindowMoves} moves");
        for (var a = start; a < start + (1UL << 20); a += 4096)
        {
            Assert.Equal(a, w.Read64(new VramAddress(a)));
        }

        Assert.True(pramin.WindowMoves <= 1);
    }

    [Fact]
    public void Access_outside_the_current_aperture_moves_to_the_64k_boundary()
    {
        var (hw, _, pramin) = Make();
        using var w = pramin.Acquire();
        w.Write32(new VramAddress(0x123_4568), 1);
        Assert.Equal(0x123_0000UL, pramin.CurrentBase);
        w.Write32(new VramAddress(0x130_0000), 2); // still inside 0x123_0000 + 1 MiB? 0x123_0000+0x10_0000 = 0x133_0000: yes
        Assert.Equal(1, pramin.WindowMoves);
        w.Write32(new VramAddress(0x133_0000), 3);
        Assert.Equal(2, pramin.WindowMoves);
        Assert.Equal(0x133_0000UL, hw.Pramin.WindowBase);
    }

    [Theory]
    [InlineData("GA102")]
    [InlineData("GH100")]
    [InlineData("GB100")]
    public void Bulk_spans_cross_aperture_boundaries(string chip)
    {
        var (hw, _, pramin) = Make(chip);
        var data = new byte[(3 << 20) + 123];
        new Random(7).NextBytes(data);
        var at = new VramAddress(0x2_FFF0_0005);
        using var w = pramin.Acquire();
        w.Write(at, data);
        var back = new byte[data.Length];
        w.Read(at, back);
        Assert.Equal(data, back);
        var direct = new byte[data.Length];
        hw.Vram.Read(at.Value, direct);
        Assert.Equal(data, direct);
        w.Fill(at, (ulong)data.Length, 0xEE);
        w.Read(at, back);
        Assert.All(back, b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public void Errors_are_refused_before_the_device_is_touched()
    {
        var (_, bar0, pramin) = Make();
        using var w = pramin.Acquire();
        var before = bar0.Accesses.Count;
        var end = pramin.Limit;
        Assert.Contains("outside VRAM", Assert.Throws<ArgumentOutOfRangeException>(() => w.Read32(new VramAddress(end))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Read8(new VramAddress(end)));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Read64(new VramAddress(end - 4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Read32(new VramAddress(1UL << 40)));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Read32(new VramAddress(ulong.MaxValue - 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Write(new VramAddress(end - 4), new byte[5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Fill(new VramAddress(0), end + 1, 0));
        Assert.Contains("not aligned", Assert.Throws<ArgumentException>(() => w.Write16(new VramAddress(0x1021), 1)).Message);
        Assert.Throws<ArgumentException>(() => w.Write32(new VramAddress(0x1032), 1));
        Assert.Throws<ArgumentException>(() => w.Read64(new VramAddress(0x1044)));
        Assert.Throws<ArgumentException>(() => w.Read16(new VramAddress(0x1)));
        Assert.Equal(before, bar0.Accesses.Count);
        Assert.Equal(0, pramin.WindowMoves);
    }

    [Fact]
    public void A_released_window_cannot_be_used()
    {
        var (_, _, pramin) = Make();
        var w = pramin.Acquire();
        w.Dispose();
        Assert.Throws<ObjectDisposedException>(() => w.Read32(new VramAddress(0)));
        w.Dispose(); // idempotent
        using var again = pramin.Acquire(); // the lock was released
    }

    [Fact]
    public void One_window_at_a_time()
    {
        var (_, _, pramin) = Make();
        var w = pramin.Acquire();
        var acquired = new ManualResetEventSlim();
        var t = new Thread(() =>
        {
            using var other = pramin.Acquire();
            acquired.Set();
        });
        t.Start();
        Assert.False(acquired.Wait(200, TestContext.Current.CancellationToken));
        w.Dispose();
        Assert.True(acquired.Wait(10_000, TestContext.Current.CancellationToken));
        t.Join();
    }

    [Fact]
    public void Concurrent_windows_keep_every_thread_in_its_own_region()
    {
        var (hw, _, pramin) = Make();
        Parallel.For(0, 8, t =>
        {
            var baseAddr = (ulong)(t + 1) << 28;
            for (var i = 0UL; i < 2000; i++)
            {
                using var w = pramin.Acquire();
                w.Write64(new VramAddress(baseAddr + ((i * 4096) % (16UL << 20))), baseAddr + i);
            }
        });
        for (var t = 0; t < 8; t++)
        {
            var baseAddr = (ulong)(t + 1) << 28;
            Assert.Equal(baseAddr + 1999, hw.Vram.Read64(baseAddr + ((1999UL * 4096) % (16UL << 20))));
        }
    }

    [Fact]
    public void A_window_left_on_system_memory_is_reprogrammed()
    {
        var hw = new SimulatedGpu();
        hw.Bar0.Write(new NV_PBUS_BAR0_WINDOW(0).WithBase(0).WithTarget(NV_PBUS_BAR0_WINDOW.TARGET_SYS_MEM_NONCOHERENT));
        var pramin = new Driver.Pramin.Pramin(hw.Bar0, hw.Chip.PraminWindow, hw.Vram.Size);
        Assert.Null(pramin.CurrentBase);
        using var w = pramin.Acquire();
        w.Write32(new VramAddress(0x10), 0x55);
        Assert.Equal(0x55u, hw.Vram.Read32(0x10));
        Assert.Equal(0, hw.Pramin.StrayAccesses);
    }

    [Fact]
    public void Limit_beyond_the_registers_reach_is_rejected()
    {
        var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get("GH100") });
        Assert.Throws<ArgumentOutOfRangeException>(() => new Driver.Pramin.Pramin(hw.Bar0, hw.Chip.PraminWindow, (1UL << 38) + 1));
    }

    [Theory]
    [MemberData(nameof(Boot.GpuBootTests.Chips), MemberType = typeof(Boot.GpuBootTests))]
    public void Self_tests_pass_on_every_chip(string chip)
    {
        var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(chip) });
        var gpu = Gpu.Boot(hw.Bar0, hw.Bar1, hw.Gsp);
        var results = gpu.RunSelfTests();
        Assert.True(results.Count >= 8);
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Name}: {r.Detail}"));
    }

    [Fact]
    public void Self_tests_detect_a_broken_aperture()
    {
        // A PRAMIN whose window register is ignored (always VRAM 0) must fail the window-move test.
        var hw = new SimulatedGpu();
        var gpu = Gpu.Boot(hw.Bar0, hw.Bar1, hw.Gsp);
        var broken = new BrokenWindowBar0(hw.Bar0, hw.Chip.PraminWindow.RegisterOffset);
        var pramin = new Driver.Pramin.Pramin(broken, hw.Chip.PraminWindow, gpu.FbLayout.TotalFbEnd);
        var results = PraminSelfTests.Run(pramin, new VramRange(new VramAddress(0x100_0000), PraminSelfTests.ScratchSize));
        Assert.Contains(results, r => !r.Passed && r.Name.Contains("window moves", StringComparison.Ordinal));
    }

    private sealed class BrokenWindowBar0(Spec.Device.IBar0 inner, ulong windowRegister) : Spec.Device.IBar0
    {
        public ulong Length => inner.Length;

        public byte Read8(ulong o) => inner.Read8(o);

        public ushort Read16(ulong o) => inner.Read16(o);

        public uint Read32(ulong o) => inner.Read32(o);

        public ulong Read64(ulong o) => inner.Read64(o);

        public void Write8(ulong o, byte v) => inner.Write8(o, v);

        public void Write16(ulong o, ushort v) => inner.Write16(o, v);

        public void Write32(ulong o, uint v)
        {
            if (o != windowRegister)
            {
                inner.Write32(o, v);
            }
        }

        public void Write64(ulong o, ulong v) => inner.Write64(o, v);

        public void ReadBlock(ulong o, Span<byte> d) => inner.ReadBlock(o, d);

        public void WriteBlock(ulong o, ReadOnlySpan<byte> s) => inner.WriteBlock(o, s);

        public void Fill(ulong o, ulong l, byte v) => inner.Fill(o, l, v);
    }
}
