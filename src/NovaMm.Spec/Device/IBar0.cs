using NovaMm.Spec.Registers;

namespace NovaMm.Spec.Device;

/// <summary>
/// A memory-mapped PCI BAR as the CPU sees it: naturally aligned 8/16/32/64-bit accesses and bulk
/// copies (the kernel's <c>memcpy_fromio</c>/<c>memcpy_toio</c>/<c>memset_io</c>). Offsets are bytes from the
/// start of the BAR. An access outside <see cref="Length"/> or not naturally aligned throws
/// <see cref="ArgumentOutOfRangeException"/>/<see cref="ArgumentException"/>, as the kernel's checked MMIO layer refuses it.
/// </summary>
public interface IMmio
{
    /// <summary>The BAR's length in bytes.</summary>
    ulong Length { get; }

    /// <summary>Reads one byte.</summary>
    byte Read8(ulong offset);

    /// <summary>Reads a little-endian 16-bit value.</summary>
    ushort Read16(ulong offset);

    /// <summary>Reads a little-endian 32-bit value.</summary>
    uint Read32(ulong offset);

    /// <summary>Reads a little-endian 64-bit value with one access.</summary>
    ulong Read64(ulong offset);

    /// <summary>Writes one byte.</summary>
    void Write8(ulong offset, byte value);

    /// <summary>Writes a little-endian 16-bit value.</summary>
    void Write16(ulong offset, ushort value);

    /// <summary>Writes a little-endian 32-bit value.</summary>
    void Write32(ulong offset, uint value);

    /// <summary>Writes a little-endian 64-bit value with one access.</summary>
    void Write64(ulong offset, ulong value);

    /// <summary>Copies <c>destination.Length</c> bytes from the BAR starting at <paramref name="offset"/>.</summary>
    void ReadBlock(ulong offset, Span<byte> destination);

    /// <summary>Copies <paramref name="source"/> into the BAR starting at <paramref name="offset"/>.</summary>
    void WriteBlock(ulong offset, ReadOnlySpan<byte> source);

    /// <summary>Sets <paramref name="length"/> bytes of the BAR starting at <paramref name="offset"/> to <paramref name="value"/>.</summary>
    void Fill(ulong offset, ulong length, byte value);
}

/// <summary>BAR0: the GPU's register space (16 MiB), including the 1 MiB PRAMIN aperture at 0x700000 (docs/registers.md).</summary>
public interface IBar0 : IMmio
{
}

/// <summary>
/// BAR1: the CPU's window onto GPU virtual memory. BAR1 offset N is virtual address N of the address
/// space bound at boot; every access is translated by the GPU's MMU (docs/bar1.md).
/// </summary>
public interface IBar1 : IMmio
{
}

/// <summary>Typed register access over <see cref="IBar0"/>: one generic path serves every register.</summary>
public static class Bar0RegisterExtensions
{
    /// <summary>Reads register <typeparamref name="TReg"/>.</summary>
    public static TReg Read<TReg>(this IBar0 bar0) where TReg : struct, IRegister<TReg> =>
        TReg.FromRaw(bar0.Read32(TReg.Offset));

    /// <summary>Writes register <typeparamref name="TReg"/>.</summary>
    public static void Write<TReg>(this IBar0 bar0, TReg value) where TReg : struct, IRegister<TReg> =>
        bar0.Write32(TReg.Offset, value.Raw);

    /// <summary>Reads, transforms and writes back register <typeparamref name="TReg"/>; returns the written value.</summary>
    public static TReg Update<TReg>(this IBar0 bar0, Func<TReg, TReg> change) where TReg : struct, IRegister<TReg>
    {
        var updated = change(bar0.Read<TReg>());
        bar0.Write(updated);
        return updated;
    }
}
