using NovaMm.Spec.Bits;

namespace NovaMm.Spec.Registers;

/// <summary>
/// A 32-bit BAR0 register, one <c>readonly struct</c> per register named after NVIDIA's manual
/// (docs/architecture.md, Registers). Implementations hold the raw value; fields are declared once as
/// <see cref="BitField"/>s and exposed through getters and <c>With…</c> setters that reject values too wide.
/// </summary>
/// <typeparam name="TSelf">The register type.</typeparam>
public interface IRegister<TSelf> where TSelf : struct, IRegister<TSelf>
{
    /// <summary>The register's byte offset in BAR0.</summary>
    static abstract uint Offset { get; }

    /// <summary>The register's name in NVIDIA's manuals.</summary>
    static abstract string Name { get; }

    /// <summary>Every defined field, for layout tests and decoders.</summary>
    static abstract IReadOnlyList<NamedField> Fields { get; }

    /// <summary>Wraps a raw 32-bit value.</summary>
    static abstract TSelf FromRaw(uint raw);

    /// <summary>The raw 32-bit value.</summary>
    uint Raw { get; }
}
