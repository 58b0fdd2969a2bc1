using System.Globalization;

namespace NovaMm.Spec.Addresses;

/// <summary>Size of a small GPU page and of a page-table page: 4 KiB (nova-core <c>PAGE_SIZE</c>; docs/page-tables.md, nova-core v7).</summary>
public static class GpuPage
{
    /// <summary>4096 bytes.</summary>
    public const ulong Size = 4096;

    /// <summary>log2 of <see cref="Size"/>.</summary>
    public const int Shift = 12;
}

/// <summary>A physical byte address in the GPU's video memory (VRAM), as PRAMIN and page-table entries use it (nova-core <c>VramAddress</c>; docs/page-tables.md).</summary>
/// <param name="Value">The byte address.</param>
public readonly record struct VramAddress(ulong Value) : IComparable<VramAddress>
{
    /// <summary>The page frame that holds this address (<c>Value &gt;&gt; 12</c>).</summary>
    public Pfn Frame => new(Value >> GpuPage.Shift);

    /// <summary>The offset of this address inside its 4 KiB frame.</summary>
    public ulong PageOffset => Value & (GpuPage.Size - 1);

    /// <summary>This address plus <paramref name="bytes"/>; throws <see cref="OverflowException"/> on wrap-around.</summary>
    public VramAddress Add(ulong bytes) => new(checked(Value + bytes));

    /// <inheritdoc />
    public int CompareTo(VramAddress other) => Value.CompareTo(other.Value);

    /// <summary>Whether the address is a multiple of <paramref name="alignment"/> (a power of two).</summary>
    public bool IsAligned(ulong alignment) => (Value & (alignment - 1)) == 0;

    /// <inheritdoc />
    public override string ToString() => Hex.Format(Value);
}

/// <summary>A GPU virtual address (nova-core <c>VirtualAddress</c>; docs/page-tables.md).</summary>
/// <param name="Value">The byte address.</param>
public readonly record struct GpuVa(ulong Value) : IComparable<GpuVa>
{
    /// <summary>The virtual frame that holds this address (<c>Value &gt;&gt; 12</c>).</summary>
    public Vfn Frame => new(Value >> GpuPage.Shift);

    /// <summary>The offset of this address inside its 4 KiB frame.</summary>
    public ulong PageOffset => Value & (GpuPage.Size - 1);

    /// <inheritdoc />
    public int CompareTo(GpuVa other) => Value.CompareTo(other.Value);

    /// <inheritdoc />
    public override string ToString() => Hex.Format(Value);
}

/// <summary>A physical page frame number: a VRAM (or system memory) address shifted right by 12.</summary>
/// <param name="Value">The frame number.</param>
public readonly record struct Pfn(ulong Value) : IComparable<Pfn>
{
    /// <summary>The VRAM byte address of the first byte of this frame.</summary>
    public VramAddress Address => new(checked(Value << GpuPage.Shift));

    /// <inheritdoc />
    public int CompareTo(Pfn other) => Value.CompareTo(other.Value);

    /// <inheritdoc />
    public override string ToString() => "pfn " + Hex.Format(Value);
}

/// <summary>A virtual page frame number: a GPU virtual address shifted right by 12.</summary>
/// <param name="Value">The frame number.</param>
public readonly record struct Vfn(ulong Value) : IComparable<Vfn>
{
    /// <summary>The GPU virtual address of the first byte of this frame.</summary>
    public GpuVa Address => new(checked(Value << GpuPage.Shift));

    /// <inheritdoc />
    public int CompareTo(Vfn other) => Value.CompareTo(other.Value);

    /// <inheritdoc />
    public override string ToString() => "vfn " + Hex.Format(Value);
}

/// <summary>A byte offset into the BAR1 aperture. BAR1 offset N is BAR1 virtual address N (docs/bar1.md).</summary>
/// <param name="Value">The byte offset.</param>
public readonly record struct Bar1Offset(ulong Value)
{
    /// <summary>The GPU virtual address in the BAR1 address space that this offset reaches.</summary>
    public GpuVa VirtualAddress => new(Value);

    /// <inheritdoc />
    public override string ToString() => Hex.Format(Value);
}

/// <summary>A half-open range of VRAM, <c>[Start, Start + Size)</c>.</summary>
/// <param name="Start">The first byte.</param>
/// <param name="Size">The length in bytes.</param>
public readonly record struct VramRange(VramAddress Start, ulong Size)
{
    /// <summary>One past the last byte.</summary>
    public VramAddress End => new(Start.Value + Size);

    /// <summary>Whether <paramref name="address"/> lies in the range.</summary>
    public bool Contains(VramAddress address) => address.Value >= Start.Value && address.Value - Start.Value < Size;

    /// <summary>Whether <c>[address, address + length)</c> lies entirely in the range.</summary>
    public bool Contains(VramAddress address, ulong length) =>
        Contains(address) && length <= Size - (address.Value - Start.Value);

    /// <inheritdoc />
    public override string ToString() => $"{Hex.Format(Start.Value)}..{Hex.Format(End.Value)}";
}

/// <summary>Formatting and parsing of the numbers NovaMm prints: <c>0x</c> lowercase hex and binary sizes.</summary>
public static class Hex
{
    /// <summary><c>0x</c> followed by lowercase hex digits, no padding (<c>0x0</c> for zero).</summary>
    public static string Format(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    /// <summary><c>0x</c> followed by exactly <paramref name="digits"/> lowercase hex digits.</summary>
    public static string Format(ulong value, int digits) =>
        "0x" + value.ToString("x" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
