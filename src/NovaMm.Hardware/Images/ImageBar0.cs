using System.Buffers.Binary;
using NovaMm.Hardware.Bus;
using NovaMm.Spec.Chips;
using NovaMm.Spec.Device;
using NovaMm.Spec.PageTables;
using NovaMm.Spec.Registers;

namespace NovaMm.Hardware.Images;

/// <summary>
/// A BAR0 backed by a <see cref="VramImage"/> instead of a GPU (docs/architecture.md: another backend implements the
/// same interfaces), so the driver's <c>Pramin</c> and page-table walker run unchanged on a saved image. It serves
/// only what reading VRAM needs: the chip's PRAMIN window register (reads back what was written; starts at VRAM 0)
/// and the 1 MiB aperture at 0x700000, which shows the image's bytes from the window base (past the VRAM size it
/// reads all-ones, as the simulated PRAMIN does). Every other register reads <see cref="Bar0Bus.BadRegisterValue"/>
/// and drops writes, counted in <see cref="Bar0Bus.BadReads"/>/<see cref="Bar0Bus.BadWrites"/>.
/// <para>Writes to the aperture: refused with <see cref="InvalidOperationException"/> by default (tools on an image
/// are read-only, and a refused write shows a bug at once); with <c>writable: true</c> they go to an in-memory
/// copy-on-write overlay of 64 KiB chunks that later reads see. The image file is never modified.</para>
/// Thread-safe: one lock guards the window register and the overlay.
/// </summary>
public sealed class ImageBar0 : Bar0Bus
{
    private const int ChunkShift = 16;
    private const int ChunkSize = 1 << ChunkShift;

    /// <summary>Guards <see cref="_window"/> and <see cref="_overlay"/>.</summary>
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, byte[]> _overlay = [];
    private uint _window;

    /// <summary>Serves <paramref name="image"/> through the window register of <paramref name="layout"/>.</summary>
    /// <param name="image">The image (not owned: dispose it yourself).</param>
    /// <param name="layout">The PRAMIN window register to decode (see <see cref="LayoutFor"/>).</param>
    /// <param name="writable">Keep aperture writes in an overlay instead of refusing them.</param>
    public ImageBar0(VramImage image, PraminWindowLayout layout, bool writable = false)
    {
        Image = image ?? throw new ArgumentNullException(nameof(image));
        Layout = layout ?? throw new ArgumentNullException(nameof(layout));
        Writable = writable;
        _window = layout.Encode(0);
        MapRegister(layout.RegisterOffset, () =>
        {
            lock (_lock)
            {
                return _window;
            }
        }, v =>
        {
            lock (_lock)
            {
                _window = v;
            }
        });
        MapAperture(new Aperture(this));
    }

    /// <summary>The image served.</summary>
    public VramImage Image { get; }

    /// <summary>The window register decoded.</summary>
    public PraminWindowLayout Layout { get; }

    /// <summary>Whether aperture writes go to an overlay (otherwise they throw).</summary>
    public bool Writable { get; }


    /// <summary>The VRAM address the window shows now.</summary>
    public ulong WindowBase
    {
        get
        {
            lock (_lock)
            {
                return Layout.Decode(_window).VramBase;
            }
        }
    }

    /// <summary>
    /// The window register for an image: the named chip's (<paramref name="chip"/>, else the header's <c>chip</c> when
    /// NovaMm knows it), else by MMU version — v2 NV_PBUS_BAR0_WINDOW, v3 NV_XAL_EP_BAR0_WINDOW with Blackwell's
    /// 23-bit BASE (the widest reach) — and NV_PBUS_BAR0_WINDOW when nothing is known.
    /// </summary>
    public static PraminWindowLayout LayoutFor(VramImageHeader header, ChipInfo? chip = null, MmuVersion? mmu = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        if ((chip ?? header.KnownChip) is { } c)
        {
            return c.PraminWindow;
        }

        return (mmu ?? header.Mmu) == MmuVersion.V3 ? PraminWindowLayout.XalEpBlackwell : PraminWindowLayout.PbusBar0Window;
    }

    private void ReadAperture(ulong offset, Span<byte> destination)
    {
        lock (_lock)
        {
            var (vramBase, toVram) = Layout.Decode(_window);
            var address = vramBase + offset;
            if (!toVram)
            {
                destination.Fill(0xFF);
                return;
            }

            // Past the end of VRAM the aperture reads all-ones (as the simulated PRAMIN unit).
            var inside = address >= Image.VramSize ? 0 : (int)Math.Min((ulong)destination.Length, Image.VramSize - address);
            destination[inside..].Fill(0xFF);
            var d = destination[..inside];
            while (!d.IsEmpty)
            {
                var chunkOffset = (int)(address & (ChunkSize - 1));
                var n = Math.Min(d.Length, ChunkSize - chunkOffset);
                if (_overlay.TryGetValue(address >> ChunkShift, out var chunk))
                {
                    chunk.AsSpan(chunkOffset, n).CopyTo(d);
                }
                else
                {
                    Image.Read(address, d[..n]);
                }

                d = d[n..];
                address += (ulong)n;
            }
        }
    }

    private void WriteAperture(ulong offset, ReadOnlySpan<byte> source)
    {
        lock (_lock)
        {
            var (vramBase, toVram) = Layout.Decode(_window);
            var address = vramBase + offset;
            if (!Writable)
            {
                throw new InvalidOperationException(
                    $"the VRAM image is read-only: refused a {source.Length}-byte PRAMIN write at VRAM 0x{address:x}");
            }

            if (!toVram || address >= Image.VramSize)
            {
                return; // nothing there: dropped, as the simulated PRAMIN drops it
            }

            var s = source[..(int)Math.Min((ulong)source.Length, Image.VramSize - address)];
            while (!s.IsEmpty)
            {
                var key = address >> ChunkShift;
                var chunkOffset = (int)(address & (ChunkSize - 1));
                var n = Math.Min(s.Length, ChunkSize - chunkOffset);
                if (!_overlay.TryGetValue(key, out var chunk))
                {
                    chunk = new byte[ChunkSize];
                    var start = key << ChunkShift;
                    var len = (int)Math.Min(ChunkSize, Image.VramSize - start);
                    Image.Read(start, chunk.AsSpan(0, len));
                    _overlay[key] = chunk;
                }

                s[..n].CopyTo(chunk.AsSpan(chunkOffset, n));
                s = s[n..];
                address += (ulong)n;
            }
        }
    }

    /// <summary>The PRAMIN aperture at 0x700000, showing the image from the window base.</summary>
    private sealed class Aperture(ImageBar0 owner) : IBar0Aperture
    {
        public ulong Start => PraminWindowLayout.ApertureOffset;

        public ulong Length => PraminWindowLayout.ApertureSize;

        public void Read(ulong offset, Span<byte> destination) => owner.ReadAperture(offset, destination);

        public void Write(ulong offset, ReadOnlySpan<byte> source) => owner.WriteAperture(offset, source);
    }
}
