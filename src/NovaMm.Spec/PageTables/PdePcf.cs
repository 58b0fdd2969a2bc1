using System.Globalization;
using NovaMm.Spec.Bits;

namespace NovaMm.Spec.PageTables;

/// <summary>
/// The 3-bit Page Classification Field of an MMU v3 PDE (<c>NV_MMU_VER3_PDE_PCF</c> 5:3, and
/// <c>PCF_BIG</c> 5:3 / <c>PCF_SMALL</c> 69:67 of the dual PDE), from open-gpu-kernel-modules
/// <c>src/common/inc/swref/published/hopper/gh100/dev_mmu.h</c>. It folds v2's VOL and NO_ATS bits
/// together. Only values 0..3 are defined; each has a name for a valid PDE (aperture set) and one for
/// an invalid PDE (aperture 0): 0 VALID_CACHED_ATS_ALLOWED / INVALID_ATS_ALLOWED,
/// 1 VALID_UNCACHED_ATS_ALLOWED / SPARSE_ATS_ALLOWED, 2 VALID_CACHED_ATS_NOT_ALLOWED /
/// INVALID_ATS_NOT_ALLOWED, 3 VALID_UNCACHED_ATS_NOT_ALLOWED / SPARSE_ATS_NOT_ALLOWED.
/// Hence bit 0 = uncached (sparse when invalid), bit 1 = ATS not allowed.
/// </summary>
public readonly record struct PdePcf
{
    private PdePcf(byte value) => Value = value;

    /// <summary>The bits of the PCF value.</summary>
    public static class Bits
    {
        /// <summary>Bit 0: UNCACHED in a valid PDE, SPARSE in an invalid one.</summary>
        public static readonly BitField UncachedOrSparse = BitField.Bit(0);

        /// <summary>Bit 1: ATS_NOT_ALLOWED.</summary>
        public static readonly BitField AtsNotAllowed = BitField.Bit(1);

        /// <summary>The defined values 0..3 (bit 2 of the 3-bit field has no defined value).</summary>
        public static readonly BitField Defined = new(1, 0);
    }

    /// <summary>The 3-bit value (0..3 defined, 4..7 reserved).</summary>
    public byte Value { get; }

    /// <summary>The PCF with raw value <paramref name="value"/> (0..7; 4..7 are reserved but representable so that any entry decodes).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 0..7.</exception>
    public static PdePcf FromValue(int value)
    {
        if (value < 0 || value > 7)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"PDE PCF value {value} is outside 0..7.");
        }

        return new((byte)value);
    }

    /// <summary>0: valid PDE, next level cached, ATS allowed.</summary>
    public static readonly PdePcf ValidCachedAtsAllowed = new(0);

    /// <summary>1: valid PDE, next level uncached, ATS allowed.</summary>
    public static readonly PdePcf ValidUncachedAtsAllowed = new(1);

    /// <summary>2: valid PDE, next level cached, ATS not allowed (nouveau gh100 uses it for VRAM tables).</summary>
    public static readonly PdePcf ValidCachedAtsNotAllowed = new(2);

    /// <summary>3: valid PDE, next level uncached, ATS not allowed.</summary>
    public static readonly PdePcf ValidUncachedAtsNotAllowed = new(3);

    /// <summary>0: invalid PDE, ATS allowed.</summary>
    public static readonly PdePcf InvalidAtsAllowed = new(0);

    /// <summary>1: sparse PDE, ATS allowed.</summary>
    public static readonly PdePcf SparseAtsAllowed = new(1);

    /// <summary>2: invalid PDE, ATS not allowed.</summary>
    public static readonly PdePcf InvalidAtsNotAllowed = new(2);

    /// <summary>3: sparse PDE, ATS not allowed.</summary>
    public static readonly PdePcf SparseAtsNotAllowed = new(3);

    /// <summary>Whether the value is one the header defines (0..3).</summary>
    public bool IsDefined => Value <= Bits.Defined.MaxValue;

    /// <summary>Bit 0 in a valid PDE: the next level is uncached.</summary>
    public bool IsUncached => Bits.UncachedOrSparse.IsSet(Value);

    /// <summary>Bit 0 in an invalid PDE: sparse.</summary>
    public bool IsSparse => Bits.UncachedOrSparse.IsSet(Value);

    /// <summary>Bit 1: ATS not allowed.</summary>
    public bool IsAtsNotAllowed => Bits.AtsNotAllowed.IsSet(Value);

    /// <summary>The header name for a valid (<paramref name="valid"/> true) or invalid PDE; <c>RESERVED_n</c> for 4..7.</summary>
    public string Name(bool valid)
    {
        if (!IsDefined)
        {
            return string.Create(CultureInfo.InvariantCulture, $"RESERVED_{Value}");
        }

        var ats = IsAtsNotAllowed ? "ATS_NOT_ALLOWED" : "ATS_ALLOWED";
        return valid ? $"VALID_{(IsUncached ? "UNCACHED" : "CACHED")}_{ats}" : $"{(IsSparse ? "SPARSE" : "INVALID")}_{ats}";
    }

    /// <summary>The value and its valid-PDE name.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Value} {Name(true)}");
}
