using NovaMm.Hardware.Bus;
using NovaMm.Hardware.Memory;
using NovaMm.Spec.Registers;

namespace NovaMm.Hardware.Units;

/// <summary>
/// PRAMIN: the 1 MiB BAR0 aperture at 0x700000 that shows VRAM from the base held in the chip's window register
/// (NV_PBUS_BAR0_WINDOW or NV_XAL_EP_BAR0_WINDOW; docs/registers.md, PRAMIN window). The register reads back what was written.
/// A system-memory TARGET is not modelled: such accesses, and accesses that fall past the end of VRAM, read
/// all-ones, drop writes and are counted.
/// </summary>
public sealed class PraminUnit : IBar0Aperture
{
    private readonly SparseVram _vram;
    private readonly PraminWindowLayout _layout;
    private uint _window;
    private long _strayAccesses;
    private long _windowWrites;

    /// <summary>Maps the window register and the aperture onto <paramref name="bus"/>. The window starts at VRAM 0.</summary>
    public PraminUnit(Bar0Bus bus, SparseVram vram, PraminWindowLayout layout)
    {
        _vram = vram;
        _layout = layout;
        _window = layout.Encode(0);
        bus.MapRegister(layout.RegisterOffset, () => Volatile.Read(ref _window), v =>
        {
            Volatile.Write(ref _window, v);
            Interlocked.Increment(ref _windowWrites);
        });
        bus.MapAperture(this);
    }

    /// <inheritdoc />
    public ulong Start => PraminWindowLayout.ApertureOffset;

    /// <inheritdoc />
    public ulong Length => PraminWindowLayout.ApertureSize;

    /// <summary>The VRAM address the window points at now.</summary>
    public ulong WindowBase => _layout.Decode(Volatile.Read(ref _window)).VramBase;

    /// <summary>How many times the window register was written.</summary>
    public long WindowWrites => Interlocked.Read(ref _windowWrites);

    /// <summary>Accesses that reached neither VRAM (system-memory target, or past the end of VRAM).</summary>
    public long StrayAccesses => Interlocked.Read(ref _strayAccesses);

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> destination)
    {
        if (TryTranslate(offset, (ulong)destination.Length, out var address))
        {
            _vram.Read(address, destination);
        }
        else
        {
            destination.Fill(0xFF);
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> source)
    {
        if (TryTranslate(offset, (ulong)source.Length, out var address))
        {
            _vram.Write(address, source);
        }
    }

    private bool TryTranslate(ulong offset, ulong length, out ulong address)
    {
        var (windowBase, toVram) = _layout.Decode(Volatile.Read(ref _window));
        address = windowBase + offset;
        if (toVram && address < _vram.Size && length <= _vram.Size - address)
        {
            return true;
        }

        Interlocked.Increment(ref _strayAccesses);
        return false;
    }
}
