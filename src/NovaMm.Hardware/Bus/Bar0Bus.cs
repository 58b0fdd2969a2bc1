using NovaMm.Spec.Device;

namespace NovaMm.Hardware.Bus;

/// <summary>A memory-like window inside BAR0 (the PRAMIN aperture) that takes accesses of any width.</summary>
public interface IBar0Aperture
{
    /// <summary>First BAR0 offset of the aperture.</summary>
    ulong Start { get; }

    /// <summary>Length in bytes.</summary>
    ulong Length { get; }

    /// <summary>Reads <c>destination.Length</c> bytes at <paramref name="offset"/> (relative to <see cref="Start"/>).</summary>
    void Read(ulong offset, Span<byte> destination);

    /// <summary>Writes <paramref name="source"/> at <paramref name="offset"/> (relative to <see cref="Start"/>).</summary>
    void Write(ulong offset, ReadOnlySpan<byte> source);
}

/// <summary>
/// The BAR0 MMIO bus of the simulated GPU: dispatches each access to the unit that decodes it. 32-bit
/// registers are served by handlers the units register; the PRAMIN aperture takes any width. An access to an
/// offset nobody decodes completes like a PRI error on hardware: reads return <see cref="BadRegisterValue"/>,
/// writes are dropped, and both are counted — never an exception. Accesses outside the BAR or misaligned are
/// refused with an exception, as the kernel's checked MMIO layer refuses them before they reach the bus.
/// </summary>
public sealed class Bar0Bus : IBar0
{
    /// <summary>
    /// What a read of an undecoded register returns: NovaMm's value in the 0xBADFxxxx family that NVIDIA's PRI
    /// error replies use (the exact low bits vary on hardware and are not published).
    /// </summary>
    public const uint BadRegisterValue = 0xBADF_1000;

    /// <summary>BAR0 length: 16 MiB (nova-core <c>BAR0_SIZE</c>; PCI resource 0 on every supported board).</summary>
    public const ulong DefaultLength = 16 * 1024 * 1024;

    private readonly Dictionary<ulong, Register> _registers = [];
    private readonly List<IBar0Aperture> _apertures = [];
    private long _badReads;
    private long _badWrites;

    /// <summary>Creates an empty bus of <paramref name="length"/> bytes.</summary>
    public Bar0Bus(ulong length = DefaultLength) => Length = length;

    /// <inheritdoc />
    public ulong Length { get; }

    /// <summary>Reads of offsets no unit decodes.</summary>
    public long BadReads => Interlocked.Read(ref _badReads);

    /// <summary>Writes to offsets no unit decodes (or to read-only registers).</summary>
    public long BadWrites => Interlocked.Read(ref _badWrites);

    /// <summary>Registers a 32-bit register at <paramref name="offset"/>; <paramref name="write"/> null = read-only.</summary>
    public void MapRegister(uint offset, Func<uint> read, Action<uint>? write)
    {
        if (!_registers.TryAdd(offset, new Register(read, write)))
        {
            throw new InvalidOperationException($"BAR0 register 0x{offset:x} is mapped twice");
        }
    }

    /// <summary>Maps a memory-like aperture.</summary>
    public void MapAperture(IBar0Aperture aperture) => _apertures.Add(aperture);

    /// <inheritdoc />
    public byte Read8(ulong offset)
    {
        Span<byte> b = stackalloc byte[1];
        ReadSized(offset, b);
        return b[0];
    }

    /// <inheritdoc />
    public ushort Read16(ulong offset)
    {
        Span<byte> b = stackalloc byte[2];
        ReadSized(offset, b);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(b);
    }

    /// <inheritdoc />
    public uint Read32(ulong offset)
    {
        Check(offset, 4);
        if (_registers.TryGetValue(offset, out var reg))
        {
            return reg.Read();
        }

        Span<byte> b = stackalloc byte[4];
        ReadSized(offset, b);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    /// <inheritdoc />
    public ulong Read64(ulong offset)
    {
        Span<byte> b = stackalloc byte[8];
        ReadSized(offset, b);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <inheritdoc />
    public void Write8(ulong offset, byte value) => WriteSized(offset, [value]);

    /// <inheritdoc />
    public void Write16(ulong offset, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        WriteSized(offset, b);
    }

    /// <inheritdoc />
    public void Write32(ulong offset, uint value)
    {
        Check(offset, 4);
        if (_registers.TryGetValue(offset, out var reg))
        {
            if (reg.Write is null)
            {
                Interlocked.Increment(ref _badWrites);
            }
            else
            {
                reg.Write(value);
            }

            return;
        }

        Span<byte> b = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        WriteSized(offset, b);
    }

    /// <inheritdoc />
    public void Write64(ulong offset, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        WriteSized(offset, b);
    }

    /// <inheritdoc />
    public void ReadBlock(ulong offset, Span<byte> destination)
    {
        CheckBlock(offset, (ulong)destination.Length);
        var aperture = FindAperture(offset, (ulong)destination.Length)
            ?? throw new ArgumentException($"bulk BAR0 read at 0x{offset:x}+0x{destination.Length:x} is not inside one aperture", nameof(offset));
        aperture.Read(offset - aperture.Start, destination);
    }

    /// <inheritdoc />
    public void WriteBlock(ulong offset, ReadOnlySpan<byte> source)
    {
        CheckBlock(offset, (ulong)source.Length);
        var aperture = FindAperture(offset, (ulong)source.Length)
            ?? throw new ArgumentException($"bulk BAR0 write at 0x{offset:x}+0x{source.Length:x} is not inside one aperture", nameof(offset));
        aperture.Write(offset - aperture.Start, source);
    }

    /// <inheritdoc />
    public void Fill(ulong offset, ulong length, byte value)
    {
        CheckBlock(offset, length);
        var aperture = FindAperture(offset, length)
            ?? throw new ArgumentException($"BAR0 fill at 0x{offset:x}+0x{length:x} is not inside one aperture", nameof(offset));
        Span<byte> buffer = stackalloc byte[4096];
        buffer.Fill(value);
        var done = 0UL;
        while (done < length)
        {
            var n = (int)Math.Min(length - done, (ulong)buffer.Length);
            aperture.Write(offset - aperture.Start + done, buffer[..n]);
            done += (ulong)n;
        }
    }

    private void ReadSized(ulong offset, Span<byte> destination)
    {
        Check(offset, destination.Length);
        var aperture = FindAperture(offset, (ulong)destination.Length);
        if (aperture is not null)
        {
            aperture.Read(offset - aperture.Start, destination);
            return;
        }

        // Registers answer 32-bit accesses only; anything else is undecoded.
        Interlocked.Increment(ref _badReads);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (byte)(BadRegisterValue >> (8 * (i % 4)));
        }
    }

    private void WriteSized(ulong offset, ReadOnlySpan<byte> source)
    {
        Check(offset, source.Length);
        var aperture = FindAperture(offset, (ulong)source.Length);
        if (aperture is not null)
        {
            aperture.Write(offset - aperture.Start, source);
            return;
        }

        Interlocked.Increment(ref _badWrites);
    }

    private IBar0Aperture? FindAperture(ulong offset, ulong length)
    {
        foreach (var a in _apertures)
        {
            if (offset >= a.Start && offset - a.Start < a.Length && length <= a.Length - (offset - a.Start))
            {
                return a;
            }
        }

        return null;
    }

    private void Check(ulong offset, int width)
    {
        if (offset >= Length || (ulong)width > Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"BAR0 offset 0x{offset:x} (width {width}) is outside BAR0 of 0x{Length:x} bytes");
        }

        if (offset % (ulong)width != 0)
        {
            throw new ArgumentException($"BAR0 offset 0x{offset:x} is not aligned to the access width {width}", nameof(offset));
        }
    }

    private void CheckBlock(ulong offset, ulong length)
    {
        if (offset >= Length || length > Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"BAR0 block 0x{offset:x}+0x{length:x} is outside BAR0 of 0x{Length:x} bytes");
        }
    }

    private sealed record Register(Func<uint> Read, Action<uint>? Write);
}
