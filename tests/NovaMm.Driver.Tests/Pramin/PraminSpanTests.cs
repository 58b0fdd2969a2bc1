using NovaMm.Hardware;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;

namespace NovaMm.Driver.Tests.Pramin;

/// <summary>Bulk 64-bit span access (<see cref="Driver.Pramin.PraminWindow.Write64Span"/>, <see cref="Driver.Pramin.PraminWindow.Read64Span"/>).</summary>
public class PraminSpanTests
{
    private static (SimulatedGpu Hw, RecordingBar0 Bar0, Driver.Pramin.Pramin Pramin) Make(string chip = "GA102")
    {
        var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(chip) });
        var bar0 = new RecordingBar0(hw.Bar0);
        return (hw, bar0, new Driver.Pramin.Pramin(bar0, hw.Chip.PraminWindow, hw.Vram.Size));
    }

    [Theory]
    [InlineData("GA102")]
    [InlineData("GH100")]
    public void A_span_across_the_window_edge_lands_little_endian_and_reads_back(string chip)
    {
        var (hw, bar0, pramin) = Make(chip);
        var words = Enumerable.Range(0, 600).Select(i => 0x0123_4567_89AB_CDEFUL * (ulong)(i + 1)).ToArray();
        var at = 0x2_0000_0000UL + (1UL << 20) - (300 * 8); // half inside the window below, half past its end
        using var w = pramin.Acquire();
        w.Write8(new VramAddress(0x2_0000_0000), 0);
        Assert.Single(bar0.Writes32);
        w.Write64Span(new VramAddress(at), words);
        Assert.Equal(2, bar0.Writes32.Count); // the first half through the window as it was, then one move
        for (var i = 0; i < words.Length; i++)
        {
            Assert.Equal(words[i], hw.Vram.Read64(at + ((ulong)i * 8)));
        }

        var back = new ulong[words.Length];
        w.Read64Span(new VramAddress(at), back);
        Assert.Equal(words, back);
        Assert.Equal((byte)0xEF, w.Read8(new VramAddress(at)));
    }

    [Fact]
    public void Misaligned_or_outside_spans_throw_before_the_device_is_touched()
    {
        var (hw, bar0, pramin) = Make();
        using var w = pramin.Acquire();
        bar0.Accesses.Clear();
        Assert.Throws<ArgumentException>(() => w.Write64Span(new VramAddress(0x1004), [1UL]));
        Assert.Throws<ArgumentException>(() => w.Read64Span(new VramAddress(0x1001), new ulong[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Write64Span(new VramAddress(hw.Vram.Size - 8), [1UL, 2UL]));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Read64Span(new VramAddress(hw.Vram.Size), new ulong[1]));
        Assert.Empty(bar0.Accesses);
        Assert.Equal(0UL, hw.Vram.ResidentBytes);
        w.Write64Span(new VramAddress(hw.Vram.Size - 8), [7UL]); // the last word is fine
        Assert.Equal(7UL, hw.Vram.Read64(hw.Vram.Size - 8));
    }

    [Fact]
    public void A_released_window_refuses_span_access()
    {
        var (_, _, pramin) = Make();
        var w = pramin.Acquire();
        w.Dispose();
        Assert.Throws<ObjectDisposedException>(() => w.Write64Span(new VramAddress(0), [1UL]));
    }
}
