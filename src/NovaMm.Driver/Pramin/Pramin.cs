using System.Buffers.Binary;
using System.Runtime.InteropServices;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Device;
using NovaMm.Spec.Registers;

namespace NovaMm.Driver.Pramin;

/// <summary>
/// CPU access to VRAM through the 1 MiB PRAMIN aperture in BAR0 (nova-core v7 <c>mm/pramin.rs</c>; docs/pramin.md). One
/// <see cref="Pramin"/> per device owns the chip's window register; <see cref="Acquire"/> hands out one
/// <see cref="PraminWindow"/> at a time.
/// <para>Policy: an access that fits the 1 MiB the window shows now is served without touching the register;
/// otherwise the window moves to the access address rounded down to 64 KiB (the register's granularity), so
/// a sequential sweep moves it once per MiB. Every access is checked against <c>[0, limit)</c> — all of VRAM
/// that GSP reported (<c>total_fb_end</c>), since page directories live in GSP-reserved memory above the
/// usable regions — and against natural alignment.</para>
/// </summary>
public sealed class Pramin
{
    /// <summary>Guards <see cref="_currentBase"/>, the window register and the aperture: one window at a time.
    /// Never held across a VRAM allocation (nova-core <c>mm/pramin.rs</c>: the lock is taken on the fence-signalling path; docs/pramin.md).</summary>
    private readonly Lock _lock = new();
    private readonly IBar0 _bar0;
    private ulong? _currentBase;
    private long _moves;

    /// <summary>Creates the PRAMIN owner over <paramref name="bar0"/> using <paramref name="layout"/>'s register.</summary>
    /// <param name="bar0">BAR0.</param>
    /// <param name="layout">The chip's window register.</param>
    /// <param name="limit">One past the highest VRAM byte an access may touch.</param>
    public Pramin(IBar0 bar0, PraminWindowLayout layout, ulong limit)
    {
        ArgumentNullException.ThrowIfNull(bar0);
        ArgumentNullException.ThrowIfNull(layout);
        if (limit == 0 || limit > layout.Reach)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit,
                $"PRAMIN limit 0x{limit:x} is outside what {layout.RegisterName} reaches (0x{layout.Reach:x})");
        }

        if (PraminWindowLayout.ApertureOffset + PraminWindowLayout.ApertureSize > bar0.Length)
        {
            throw new ArgumentException($"BAR0 of 0x{bar0.Length:x} bytes does not contain the PRAMIN aperture", nameof(bar0));
        }

        _bar0 = bar0;
        Layout = layout;
        Limit = limit;

        // Cache where the window points now. Unlike nova v7 we also look at TARGET: a window left on system
        // memory is treated as unknown, so the first access rewrites the register (nova-core v7 Pramin::new caches only the base and ignores TARGET; docs/pramin.md).
        var (vramBase, toVram) = layout.Decode(bar0.Read32(layout.RegisterOffset));
        _currentBase = toVram ? vramBase : null;
    }

    /// <summary>The chip's window register.</summary>
    public PraminWindowLayout Layout { get; }

    /// <summary>One past the highest VRAM byte an access may touch.</summary>
    public ulong Limit { get; }

    /// <summary>How many times the window register has been written.</summary>
    public long WindowMoves => Interlocked.Read(ref _moves);

    /// <summary>The VRAM address the window shows now, or null if unknown.</summary>
    public ulong? CurrentBase
    {
        get
        {
            lock (_lock)
            {
                return _currentBase;
            }
        }
    }

    /// <summary>Takes the window, blocking while another thread holds it. Dispose the guard to release it.</summary>
    public PraminWindow Acquire()
    {
        _lock.Enter();
        return new PraminWindow(this);
    }

    internal void Release() => _lock.Exit();

    /// <summary>Checks an access and returns its BAR0 offset, moving the window if needed. Caller holds the lock.</summary>
    internal ulong Prepare(ulong address, ulong length, int alignment)
    {
        CheckRange(address, length);
        if (alignment > 1 && address % (ulong)alignment != 0)
        {
            throw new ArgumentException($"PRAMIN access at 0x{address:x} is not aligned to its width {alignment}", nameof(address));
        }

        var fits = _currentBase is { } b && address >= b && address - b + length <= PraminWindowLayout.ApertureSize;
        if (!fits)
        {
            var newBase = address & ~(PraminWindowMath.BaseAlignment - 1);
            _bar0.Write32(Layout.RegisterOffset, Layout.Encode(newBase));
            _currentBase = newBase;
            _moves++;
        }

        return PraminWindowLayout.ApertureOffset + (address - _currentBase!.Value);
    }

    /// <summary>How many bytes from <paramref name="address"/> the aperture can serve once positioned there.</summary>
    internal ulong Span(ulong address, ulong remaining)
    {
        var fits = _currentBase is { } b && address >= b && address - b < PraminWindowLayout.ApertureSize;
        var start = fits ? _currentBase!.Value : address & ~(PraminWindowMath.BaseAlignment - 1);
        return Math.Min(remaining, start + PraminWindowLayout.ApertureSize - address);
    }

    internal void CheckRange(ulong address, ulong length)
    {
        if (address >= Limit || length > Limit - address)
        {
            throw new ArgumentOutOfRangeException(nameof(address), address,
                $"PRAMIN access 0x{address:x}+0x{length:x} is outside VRAM [0x0, 0x{Limit:x})");
        }
    }

    internal IBar0 Bar0 => _bar0;
}

/// <summary>
/// Exclusive use of the PRAMIN window (a guard: dispose to release). 8/16/32/64-bit accessors at naturally
/// aligned VRAM addresses, and bulk span read, write and fill of any length that move the window as they go.
/// Bad addresses throw <see cref="ArgumentOutOfRangeException"/> (outside VRAM) or <see cref="ArgumentException"/>
/// (misaligned) before the device is touched.
/// </summary>
public sealed class PraminWindow : IDisposable
{
    private Pramin? _owner;

    internal PraminWindow(Pramin owner) => _owner = owner;

    /// <summary>Reads a byte.</summary>
    public byte Read8(VramAddress address) { var o = Owner; return o.Bar0.Read8(o.Prepare(address.Value, 1, 1)); }

    /// <summary>Reads a little-endian 16-bit value.</summary>
    public ushort Read16(VramAddress address) { var o = Owner; return o.Bar0.Read16(o.Prepare(address.Value, 2, 2)); }

    /// <summary>Reads a little-endian 32-bit value.</summary>
    public uint Read32(VramAddress address) { var o = Owner; return o.Bar0.Read32(o.Prepare(address.Value, 4, 4)); }

    /// <summary>Reads a little-endian 64-bit value with one access.</summary>
    public ulong Read64(VramAddress address) { var o = Owner; return o.Bar0.Read64(o.Prepare(address.Value, 8, 8)); }

    /// <summary>Writes a byte.</summary>
    public void Write8(VramAddress address, byte value) { var o = Owner; o.Bar0.Write8(o.Prepare(address.Value, 1, 1), value); }

    /// <summary>Writes a little-endian 16-bit value.</summary>
    public void Write16(VramAddress address, ushort value) { var o = Owner; o.Bar0.Write16(o.Prepare(address.Value, 2, 2), value); }

    /// <summary>Writes a little-endian 32-bit value.</summary>
    public void Write32(VramAddress address, uint value) { var o = Owner; o.Bar0.Write32(o.Prepare(address.Value, 4, 4), value); }

    /// <summary>Writes a little-endian 64-bit value with one access.</summary>
    public void Write64(VramAddress address, ulong value) { var o = Owner; o.Bar0.Write64(o.Prepare(address.Value, 8, 8), value); }

    /// <summary>Reads <c>destination.Length</c> bytes starting at <paramref name="address"/>.</summary>
    public void Read(VramAddress address, Span<byte> destination)
    {
        var o = Owner;
        o.CheckRange(address.Value, (ulong)destination.Length);
        var a = address.Value;
        while (!destination.IsEmpty)
        {
            var n = (int)o.Span(a, (ulong)destination.Length);
            o.Bar0.ReadBlock(o.Prepare(a, (ulong)n, 1), destination[..n]);
            destination = destination[n..];
            a += (ulong)n;
        }
    }

    /// <summary>Writes <paramref name="source"/> starting at <paramref name="address"/>.</summary>
    public void Write(VramAddress address, ReadOnlySpan<byte> source)
    {
        var o = Owner;
        o.CheckRange(address.Value, (ulong)source.Length);
        var a = address.Value;
        while (!source.IsEmpty)
        {
            var n = (int)o.Span(a, (ulong)source.Length);
            o.Bar0.WriteBlock(o.Prepare(a, (ulong)n, 1), source[..n]);
            source = source[n..];
            a += (ulong)n;
        }
    }

    /// <summary>
    /// Writes <paramref name="words"/> as consecutive little-endian 64-bit values from <paramref name="address"/> (8-byte
    /// aligned): a page table's entries in one bulk access, checked once, moving the window only where it must.
    /// </summary>
    public void Write64Span(VramAddress address, ReadOnlySpan<ulong> words)
    {
        CheckWords(address, words.Length);
        if (BitConverter.IsLittleEndian)
        {
            Write(address, MemoryMarshal.AsBytes(words));
            return;
        }

        var bytes = new byte[words.Length * 8];
        for (var i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 8), words[i]);
        }

        Write(address, bytes);
    }

    /// <summary>Reads <c>destination.Length</c> consecutive little-endian 64-bit values from <paramref name="address"/> (8-byte aligned).</summary>
    public void Read64Span(VramAddress address, Span<ulong> destination)
    {
        CheckWords(address, destination.Length);
        Read(address, MemoryMarshal.AsBytes(destination));
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = BinaryPrimitives.ReverseEndianness(destination[i]);
            }
        }
    }

    /// <summary>Sets <paramref name="length"/> bytes starting at <paramref name="address"/> to <paramref name="value"/>.</summary>
    public void Fill(VramAddress address, ulong length, byte value)
    {
        var o = Owner;
        o.CheckRange(address.Value, length);
        var a = address.Value;
        while (length > 0)
        {
            var n = o.Span(a, length);
            o.Bar0.Fill(o.Prepare(a, n, 1), n, value);
            length -= n;
            a += n;
        }
    }

    /// <summary>Releases the window.</summary>
    public void Dispose()
    {
        var o = Interlocked.Exchange(ref _owner, null);
        o?.Release();
    }

    private void CheckWords(VramAddress address, int count)
    {
        var o = Owner;
        o.CheckRange(address.Value, (ulong)count * 8);
        if (address.Value % 8 != 0)
        {
            throw new ArgumentException($"PRAMIN access at 0x{address.Value:x} is not aligned to its width 8", nameof(address));
        }
    }

    private Pramin Owner => _owner ?? throw new ObjectDisposedException(nameof(PraminWindow), "the PRAMIN window was released");
}
