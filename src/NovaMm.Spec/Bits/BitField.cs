using System.Globalization;

namespace NovaMm.Spec.Bits;

/// <summary>
/// An inclusive bit range <c>hi:lo</c> inside a 64-bit word, written the way NVIDIA's manuals write
/// fields (<c>NV_MMU_VER2_PTE_APERTURE 2:1</c>). Declare each hardware field once as a
/// <see cref="BitField"/> and read or write it only through <see cref="Get"/> and <see cref="Set(ulong, ulong)"/>,
/// so no mask or shift appears at a call site (docs/architecture.md, Patterns).
/// </summary>
public readonly record struct BitField
{
    /// <summary>Creates the field <c>hi:lo</c>; both ends are inclusive bit numbers in 0..63.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="lo"/> &gt; <paramref name="hi"/> or a bound lies outside 0..63.</exception>
    public BitField(int hi, int lo)
    {
        if (lo < 0 || lo > 63)
        {
            throw new ArgumentOutOfRangeException(nameof(lo), lo, $"Bit {lo} is outside a 64-bit word.");
        }

        if (hi < lo || hi > 63)
        {
            throw new ArgumentOutOfRangeException(nameof(hi), hi, $"Bit range {hi}:{lo} is not a valid hi:lo range of a 64-bit word.");
        }

        Hi = hi;
        Lo = lo;
    }

    /// <summary>Creates the one-bit field <c>bit:bit</c>.</summary>
    public static BitField Bit(int bit) => new(bit, bit);

    /// <summary>The highest bit of the field (inclusive).</summary>
    public int Hi { get; }

    /// <summary>The lowest bit of the field (inclusive); also the shift of the field's value.</summary>
    public int Lo { get; }

    /// <summary>The number of bits, <c>Hi - Lo + 1</c>.</summary>
    public int Width => Hi - Lo + 1;

    /// <summary>The largest value the field can hold, <c>2^Width - 1</c> (the unshifted mask).</summary>
    public ulong MaxValue => Width == 64 ? ulong.MaxValue : (1UL << Width) - 1;

    /// <summary>The field's bits in place in the word (<c>MaxValue &lt;&lt; Lo</c>).</summary>
    public ulong Mask => MaxValue << Lo;

    /// <summary>The field's value in <paramref name="raw"/>, shifted down to bit 0.</summary>
    public ulong Get(ulong raw) => (raw >> Lo) & MaxValue;

    /// <summary>Whether a one-bit field is set in <paramref name="raw"/> (any bit, for wider fields).</summary>
    public bool IsSet(ulong raw) => (raw & Mask) != 0;

    /// <summary>Whether <paramref name="value"/> fits in the field.</summary>
    public bool Fits(ulong value) => value <= MaxValue;

    /// <summary><paramref name="raw"/> with the field replaced by <paramref name="value"/>; every other bit is kept.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="value"/> does not fit in <see cref="Width"/> bits; the message names the value and the field.</exception>
    public ulong Set(ulong raw, ulong value)
    {
        if (value > MaxValue)
        {
            throw new ArgumentOutOfRangeException(
                nameof(value),
                value,
                string.Create(CultureInfo.InvariantCulture, $"Value 0x{value:x} does not fit in the {Width}-bit field {Hi}:{Lo} (max 0x{MaxValue:x})."));
        }

        return (raw & ~Mask) | (value << Lo);
    }

    /// <summary><paramref name="raw"/> with a one-bit field set to <paramref name="value"/>.</summary>
    public ulong Set(ulong raw, bool value) => Set(raw, value ? 1UL : 0UL);

    /// <summary>Whether this field and <paramref name="other"/> share at least one bit.</summary>
    public bool Overlaps(BitField other) => (Mask & other.Mask) != 0;

    /// <summary>The manual notation <c>hi:lo</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Hi}:{Lo}");
}

/// <summary>
/// A bit range of a 128-bit entry (the 16-byte dual PDE), numbered as in the manuals: bits 0..63 are
/// the first (lower-addressed) qword, bits 64..127 the second. A field never straddles the two
/// qwords; <see cref="Word"/> says which one holds it and <see cref="InWord"/> is its range there.
/// </summary>
public readonly record struct BitField128
{
    /// <summary>Creates the field <c>hi:lo</c> with both ends in 0..127 and inside one qword.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When the range is reversed, out of 0..127, or crosses bit 63/64.</exception>
    public BitField128(int hi, int lo)
    {
        if (lo < 0 || hi > 127 || hi < lo)
        {
            throw new ArgumentOutOfRangeException(nameof(hi), hi, $"Bit range {hi}:{lo} is not a valid hi:lo range of a 128-bit entry.");
        }

        if (hi / 64 != lo / 64)
        {
            throw new ArgumentOutOfRangeException(nameof(hi), hi, $"Bit range {hi}:{lo} crosses the qword boundary at bit 64.");
        }

        Hi = hi;
        Lo = lo;
    }

    /// <summary>The highest bit (0..127, inclusive).</summary>
    public int Hi { get; }

    /// <summary>The lowest bit (0..127, inclusive).</summary>
    public int Lo { get; }

    /// <summary>The number of bits.</summary>
    public int Width => Hi - Lo + 1;

    /// <summary>0 when the field is in the low qword (bits 63:0), 1 when in the high qword (bits 127:64).</summary>
    public int Word => Lo / 64;

    /// <summary>The same field as a range of its own qword.</summary>
    public BitField InWord => new(Hi % 64, Lo % 64);

    /// <summary>The field's value in the entry <c>(low, high)</c>.</summary>
    public ulong Get(ulong low, ulong high) => InWord.Get(Word == 0 ? low : high);

    /// <summary>The entry with the field replaced by <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="value"/> is too wide for the field.</exception>
    public (ulong Low, ulong High) Set(ulong low, ulong high, ulong value) =>
        Word == 0 ? (InWord.Set(low, value), high) : (low, InWord.Set(high, value));

    /// <summary>Whether this field and <paramref name="other"/> share at least one bit.</summary>
    public bool Overlaps(BitField128 other) => Lo <= other.Hi && other.Lo <= Hi;

    /// <summary>The manual notation <c>hi:lo</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Hi}:{Lo}");
}

/// <summary>A named field of a register, for layout tables and decoders.</summary>
/// <param name="Name">The field name from the manual, e.g. <c>BASE</c>.</param>
/// <param name="Field">Its bit range.</param>
public readonly record struct NamedField(string Name, BitField Field);
