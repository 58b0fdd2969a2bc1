using NovaMm.Spec.Bits;

namespace NovaMm.Spec.Tests.PageTables;

public class BitFieldTests
{
    [Fact]
    public void Basics()
    {
        var f = new BitField(32, 8);
        Assert.Equal((32, 8, 25), (f.Hi, f.Lo, f.Width));
        Assert.Equal(0x1_FFFF_FF00UL, f.Mask);
        Assert.Equal(0x1FF_FFFFUL, f.MaxValue);
        Assert.Equal(0x123456UL, f.Get(0x1234_5601));
        Assert.Equal(0x1234_5601UL, f.Set(0x01, 0x123456));
        Assert.Equal("32:8", f.ToString());
        Assert.Equal(ulong.MaxValue, new BitField(63, 0).Mask);
        Assert.Equal(ulong.MaxValue, new BitField(63, 0).Set(0, ulong.MaxValue));
        Assert.Equal(1UL << 63, BitField.Bit(63).Set(0, true));
    }

    [Fact]
    public void Set_keeps_other_bits_and_rejects_too_wide_values()
    {
        var f = new BitField(2, 1);
        Assert.Equal(0xFFUL, f.Set(0xFF, 3));
        Assert.Equal(0xF9UL, f.Set(0xFF, 0));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => f.Set(0, 4));
        Assert.Contains("0x4", ex.Message);
        Assert.Equal(4UL, ex.ActualValue);
    }

    [Fact]
    public void Bad_ranges()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BitField(3, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BitField(64, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BitField(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BitField128(64, 63));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BitField128(128, 64));
    }

    [Fact]
    public void Wide_fields()
    {
        var f = new BitField128(66, 65);
        Assert.Equal((1, new BitField(2, 1)), (f.Word, f.InWord));
        Assert.Equal((0x5UL, 0x4UL), f.Set(0x5, 0, 2));
        Assert.Equal(2UL, f.Get(0, 0x4));
        Assert.True(new BitField128(53, 4).Overlaps(new BitField128(5, 5)));
        Assert.False(new BitField128(53, 4).Overlaps(new BitField128(66, 65)));
    }
}
