namespace NovaMm.Spec.Bits;

/// <summary>
/// An inclusive bit range <c>hi:lo</c> of a register or table entry, written as NVIDIA's manuals write it.
/// Declared once per field; call sites never spell masks inline (ARCHITECTURE.md, Registers).
/// </summary>
/// <param name="Hi">The highest bit of the field (inclusive).</param>
/// <param name="Lo">The lowest bit of the field.</param>
public readonly record struct BitField(int Hi, int Lo)
{
    /// <summary>The number of bits in the field.</summary>
    public int Width => Hi - Lo + 1;

    /// <summary>The largest value the field holds.</summary>
    public ulong MaxValue => Width >= 64 ? ulong.MaxValue : (1UL << Width) - 1;

    /// <summary>The field's bits in place.</summary>
    public ulong Mask => MaxValue << Lo;

    /// <summary>A one-bit field.</summary>
    public static BitField Bit(int bit) => new(bit, bit);

    /// <summary>The field's value extracted from <paramref name="raw"/>.</summary>
    public ulong Get(ulong raw) => (raw >> Lo) & MaxValue;

    /// <summary>
    /// <paramref name="raw"/> with the field replaced by <paramref name="value"/>; throws
    /// <see cref="ArgumentOutOfRangeException"/> naming the value when it does not fit the field.
    /// </summary>
    public ulong Set(ulong raw, ulong value)
    {
        if (value > MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value,
                $"value 0x{value:x} does not fit the {Width}-bit field {Hi}:{Lo} (max 0x{MaxValue:x})");
        }

        return (raw & ~Mask) | (value << Lo);
    }

    /// <summary>Whether the two fields share a bit.</summary>
    public bool Overlaps(BitField other) => (Mask & other.Mask) != 0;

    /// <inheritdoc />
    public override string ToString() => Hi == Lo ? $"{Hi}:{Lo}" : $"{Hi}:{Lo}";
}

/// <summary>A named field of a register, for layout tables and decoders.</summary>
/// <param name="Name">The field name from the manual, e.g. <c>BASE</c>.</param>
/// <param name="Field">Its bit range.</param>
public readonly record struct NamedField(string Name, BitField Field);
