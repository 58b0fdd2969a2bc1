using System.Buffers.Binary;
using NovaMm.Spec.Device;

namespace NovaMm.Hardware.Bus;

/// <summary>
/// What every memory-mapped BAR of the model shares: the sized accessors and bulk copies of <see cref="IMmio"/>,
/// refusing accesses outside the BAR or not naturally aligned (the kernel's checked MMIO layer refuses them before
/// they reach the device). A device supplies the decoding: <see cref="ReadSized"/>/<see cref="WriteSized"/> for
/// 1/2/4/8-byte accesses, the block hooks for bulk copies, and optionally 32-bit registers.
/// </summary>
public abstract class MmioDevice : IMmio
{
    /// <summary>Creates a BAR called <paramref name="name"/> (for messages) of <paramref name="length"/> bytes.</summary>
    protected MmioDevice(string name, ulong length)
    {
        Name = name;
        Length = length;
    }

    /// <inheritdoc />
    public ulong Length { get; }

    /// <summary>The BAR's name in messages (<c>BAR0</c>, <c>BAR1</c>).</summary>
    protected string Name { get; }

    /// <inheritdoc />
    public byte Read8(ulong offset)
    {
        Span<byte> b = stackalloc byte[1];
        CheckedRead(offset, b);
        return b[0];
    }

    /// <inheritdoc />
    public ushort Read16(ulong offset)
    {
        Span<byte> b = stackalloc byte[2];
        CheckedRead(offset, b);
        return BinaryPrimitives.ReadUInt16LittleEndian(b);
    }

    /// <inheritdoc />
    public uint Read32(ulong offset)
    {
        Check(offset, 4);
        if (TryReadRegister(offset, out var value))
        {
            return value;
        }

        Span<byte> b = stackalloc byte[4];
        ReadSized(offset, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    /// <inheritdoc />
    public ulong Read64(ulong offset)
    {
        Span<byte> b = stackalloc byte[8];
        CheckedRead(offset, b);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <inheritdoc />
    public void Write8(ulong offset, byte value) => CheckedWrite(offset, [value]);

    /// <inheritdoc />
    public void Write16(ulong offset, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        CheckedWrite(offset, b);
    }

    /// <inheritdoc />
    public void Write32(ulong offset, uint value)
    {
        Check(offset, 4);
        if (TryWriteRegister(offset, value))
        {
            return;
        }

        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        WriteSized(offset, b);
    }

    /// <inheritdoc />
    public void Write64(ulong offset, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        CheckedWrite(offset, b);
    }

    /// <inheritdoc />
    public void ReadBlock(ulong offset, Span<byte> destination)
    {
        CheckBlock(offset, (ulong)destination.Length);
        ReadBlockCore(offset, destination);
    }

    /// <inheritdoc />
    public void WriteBlock(ulong offset, ReadOnlySpan<byte> source)
    {
        CheckBlock(offset, (ulong)source.Length);
        WriteBlockCore(offset, source);
    }

    /// <inheritdoc />
    public void Fill(ulong offset, ulong length, byte value)
    {
        CheckBlock(offset, length);
        FillCore(offset, length, value);
    }

    /// <summary>A checked 1/2/4/8-byte read (not a 32-bit register).</summary>
    protected abstract void ReadSized(ulong offset, Span<byte> destination);

    /// <summary>A checked 1/2/4/8-byte write (not a 32-bit register).</summary>
    protected abstract void WriteSized(ulong offset, ReadOnlySpan<byte> source);

    /// <summary>A checked bulk read.</summary>
    protected abstract void ReadBlockCore(ulong offset, Span<byte> destination);

    /// <summary>A checked bulk write.</summary>
    protected abstract void WriteBlockCore(ulong offset, ReadOnlySpan<byte> source);

    /// <summary>A checked fill; by default bulk writes of a 4 KiB pattern.</summary>
    protected virtual void FillCore(ulong offset, ulong length, byte value)
    {
        Span<byte> buffer = stackalloc byte[4096];
        buffer.Fill(value);
        while (length > 0)
        {
            var n = (int)Math.Min(length, (ulong)buffer.Length);
            WriteBlockCore(offset, buffer[..n]);
            offset += (ulong)n;
            length -= (ulong)n;
        }
    }

    /// <summary>Serves a 32-bit register read; false if <paramref name="offset"/> is not a register.</summary>
    protected virtual bool TryReadRegister(ulong offset, out uint value)
    {
        value = 0;
        return false;
    }

    /// <summary>Serves a 32-bit register write; false if <paramref name="offset"/> is not a register.</summary>
    protected virtual bool TryWriteRegister(ulong offset, uint value) => false;

    private void CheckedRead(ulong offset, Span<byte> destination)
    {
        Check(offset, destination.Length);
        ReadSized(offset, destination);
    }

    private void CheckedWrite(ulong offset, ReadOnlySpan<byte> source)
    {
        Check(offset, source.Length);
        WriteSized(offset, source);
    }

    private void Check(ulong offset, int width)
    {
        if (offset >= Length || (ulong)width > Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"{Name} offset 0x{offset:x} (width {width}) is outside {Name} of 0x{Length:x} bytes");
        }

        if (offset % (ulong)width != 0)
        {
            throw new ArgumentException($"{Name} offset 0x{offset:x} is not aligned to the access width {width}", nameof(offset));
        }
    }

    private void CheckBlock(ulong offset, ulong length)
    {
        if (offset > Length || length > Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"{Name} block 0x{offset:x}+0x{length:x} is outside {Name} of 0x{Length:x} bytes");
        }
    }
}
