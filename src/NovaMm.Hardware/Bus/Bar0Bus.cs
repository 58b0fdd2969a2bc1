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
/// registers are served by handlers the units register; apertures (PRAMIN) take any width. An access to an
/// offset nobody decodes completes like a PRI error on hardware: reads return <see cref="BadRegisterValue"/>,
/// writes are dropped, and both are counted — never an exception. Accesses outside the BAR or misaligned are
/// refused with an exception (<see cref="MmioDevice"/>), as the kernel's checked MMIO layer refuses them.
/// </summary>
public class Bar0Bus : MmioDevice, IBar0
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
    public Bar0Bus(ulong length = DefaultLength)
        : base("BAR0", length)
    {
    }

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
    protected override bool TryReadRegister(ulong offset, out uint value)
    {
        if (_registers.TryGetValue(offset, out var reg))
        {
            value = reg.Read();
            return true;
        }

        value = 0;
        return false;
    }

    /// <inheritdoc />
    protected override bool TryWriteRegister(ulong offset, uint value)
    {
        if (!_registers.TryGetValue(offset, out var reg))
        {
            return false;
        }

        if (reg.Write is null)
        {
            Interlocked.Increment(ref _badWrites);
        }
        else
        {
            reg.Write(value);
        }

        return true;
    }

    /// <inheritdoc />
    protected override void ReadSized(ulong offset, Span<byte> destination)
    {
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

    /// <inheritdoc />
    protected override void WriteSized(ulong offset, ReadOnlySpan<byte> source)
    {
        var aperture = FindAperture(offset, (ulong)source.Length);
        if (aperture is not null)
        {
            aperture.Write(offset - aperture.Start, source);
            return;
        }

        Interlocked.Increment(ref _badWrites);
    }

    /// <inheritdoc />
    protected override void ReadBlockCore(ulong offset, Span<byte> destination)
    {
        var aperture = FindAperture(offset, (ulong)destination.Length)
            ?? throw new ArgumentException($"bulk BAR0 read at 0x{offset:x}+0x{destination.Length:x} is not inside one aperture", nameof(offset));
        aperture.Read(offset - aperture.Start, destination);
    }

    /// <inheritdoc />
    protected override void WriteBlockCore(ulong offset, ReadOnlySpan<byte> source)
    {
        var aperture = FindAperture(offset, (ulong)source.Length)
            ?? throw new ArgumentException($"bulk BAR0 write at 0x{offset:x}+0x{source.Length:x} is not inside one aperture", nameof(offset));
        aperture.Write(offset - aperture.Start, source);
    }

    /// <inheritdoc />
    protected override void FillCore(ulong offset, ulong length, byte value)
    {
        _ = FindAperture(offset, length)
            ?? throw new ArgumentException($"BAR0 fill at 0x{offset:x}+0x{length:x} is not inside one aperture", nameof(offset));
        base.FillCore(offset, length, value);
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

    private sealed record Register(Func<uint> Read, Action<uint>? Write);
}
