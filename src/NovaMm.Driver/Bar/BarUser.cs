using System.Collections.Concurrent;
using NovaMm.Driver.Memory;
using NovaMm.Driver.PageTables;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Device;
using NovaMm.Spec.PageTables;

namespace NovaMm.Driver.Bar;

/// <summary>
/// CPU access to GPU memory through BAR1 (nova-mm v7 <c>mm/bar_user.rs</c>; docs/bar1.md): a <see cref="Vmm"/> over the BAR1 address space GSP-RM built
/// (root at <c>bar1PdeBase</c>, VA range = the real BAR1 size — not nova v7's fixed 256 MiB), where BAR1 offset N is
/// virtual address N. <see cref="Map(IReadOnlyList{Pfn}, bool, GpuVa?)"/> returns a <see cref="BarAccess"/> that can
/// reach only its own mapping and unmaps on dispose. A handle dropped without dispose is reported
/// (<see cref="LeakedHandles"/>) and its mapping reclaimed on the next call, not silently leaked.
/// Thread-safe: the <see cref="Vmm"/> locks; handles may be used from any thread.
/// </summary>
public sealed class BarUser : IDisposable
{
    private readonly ConcurrentQueue<Mapping> _leaked = new();
    private long _leaks;
    private long _live;

    /// <summary>Creates the BAR1 user interface over GSP's BAR1 page directory.</summary>
    public BarUser(GpuMm mm, IBar1 bar1, VramAddress pdb, MmuFormat format)
    {
        ArgumentNullException.ThrowIfNull(mm);
        Bar1 = bar1 ?? throw new ArgumentNullException(nameof(bar1));
        Vmm = new Vmm(mm, new VmmOptions { Format = format, Pdb = pdb, VaEnd = bar1.Length, HubTlbOnly = true });
    }

    /// <summary>The BAR1 aperture.</summary>
    public IBar1 Bar1 { get; }

    /// <summary>The BAR1 address space.</summary>
    public Vmm Vmm { get; }

    /// <summary>BAR1 size (= the VA space).</summary>
    public ulong Size => Bar1.Length;

    /// <summary>Handles dropped without <see cref="BarAccess.Dispose"/> that the finalizer reported.</summary>
    public long LeakedHandles => Interlocked.Read(ref _leaks);

    /// <summary>Handles open now.</summary>
    public long LiveHandles => Interlocked.Read(ref _live);

    /// <summary>Maps 4 KiB frames contiguously into BAR1 (nova's <c>BarUser::map</c>), at <paramref name="va"/> or where the VMM chooses.</summary>
    /// <exception cref="ArgumentException">No frames, or a frame outside VRAM.</exception>
    public BarAccess Map(IReadOnlyList<Pfn> pfns, bool writable = true, GpuVa? va = null)
    {
        ArgumentNullException.ThrowIfNull(pfns);
        if (pfns.Count == 0)
        {
            throw new ArgumentException("BAR1 map of zero pages", nameof(pfns));
        }

        ReclaimLeaks();
        var mapping = Vmm.Map(
            new MapRequest { Size = (ulong)pfns.Count * GpuPage.Size, Va = va, Attributes = new MapAttributes { ReadOnly = !writable } },
            pfns.Select(p => p.Address).ToArray());
        Interlocked.Increment(ref _live);
        return new BarAccess(this, mapping);
    }

    /// <summary>Maps every 4 KiB frame of a VRAM allocation, in block-list order.</summary>
    public BarAccess Map(VramAllocation allocation, bool writable = true, GpuVa? va = null)
    {
        ArgumentNullException.ThrowIfNull(allocation);
        return Map(allocation.Frames().ToArray(), writable, va);
    }

    /// <summary>Unmaps the mappings of handles that were dropped without dispose.</summary>
    public int ReclaimLeaks()
    {
        var n = 0;
        while (_leaked.TryDequeue(out var m))
        {
            if (!m.IsUnmapped)
            {
                Vmm.Unmap(m);
                n++;
            }
        }

        return n;
    }

    /// <summary>Reclaims leaks and releases the BAR1 address space (its root directory is GSP's and stays).</summary>
    public void Dispose()
    {
        ReclaimLeaks();
        Vmm.Dispose();
    }

    internal void Closed(Mapping mapping)
    {
        Interlocked.Decrement(ref _live);
        Vmm.Unmap(mapping);
    }

    internal void Leaked(Mapping mapping)
    {
        System.Diagnostics.Trace.TraceWarning($"BarAccess at BAR1 {mapping.Va} ({mapping.Size} bytes) was dropped without Dispose; its mapping will be reclaimed");
        Interlocked.Decrement(ref _live);
        Interlocked.Increment(ref _leaks);
        _leaked.Enqueue(mapping);
    }
}

/// <summary>
/// One BAR1 mapping as the CPU uses it (nova's <c>BarAccess</c>): 32/64-bit and bulk accesses at offsets inside the
/// mapping, checked before the hardware sees them (outside, misaligned or after dispose → exception, no fault).
/// Writes take (offset, value), like PRAMIN.
/// </summary>
public sealed class BarAccess : IDisposable
{
    private readonly BarUser _owner;
    private readonly Mapping _mapping;
    private int _disposed;

    internal BarAccess(BarUser owner, Mapping mapping)
    {
        _owner = owner;
        _mapping = mapping;
    }

    /// <summary>Releases nothing: reports the leak so the owner reclaims the mapping.</summary>
    ~BarAccess()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _owner.Leaked(_mapping);
        }
    }

    /// <summary>BAR1 offset (= virtual address) of the first byte.</summary>
    public Bar1Offset Base => new(_mapping.Va.Value);

    /// <summary>Bytes mapped.</summary>
    public ulong Size => _mapping.Size;

    /// <summary>First virtual frame.</summary>
    public Vfn VfnStart => _mapping.Va.Frame;

    /// <summary>Pages mapped.</summary>
    public int NumPages => _mapping.Pages.Count;

    /// <summary>The underlying mapping.</summary>
    public Mapping Mapping => _mapping;

    /// <summary>Reads 32 bits at <paramref name="offset"/>.</summary>
    public uint Read32(ulong offset) => _owner.Bar1.Read32(At(offset, 4));

    /// <summary>Reads 64 bits at <paramref name="offset"/>.</summary>
    public ulong Read64(ulong offset) => _owner.Bar1.Read64(At(offset, 8));

    /// <summary>Writes 32 bits at <paramref name="offset"/>.</summary>
    public void Write32(ulong offset, uint value) => _owner.Bar1.Write32(At(offset, 4), value);

    /// <summary>Writes 64 bits at <paramref name="offset"/>.</summary>
    public void Write64(ulong offset, ulong value) => _owner.Bar1.Write64(At(offset, 8), value);

    /// <summary>Reads <c>destination.Length</c> bytes at <paramref name="offset"/>.</summary>
    public void Read(ulong offset, Span<byte> destination) => _owner.Bar1.ReadBlock(At(offset, (ulong)destination.Length, 1), destination);

    /// <summary>Writes <paramref name="source"/> at <paramref name="offset"/>.</summary>
    public void Write(ulong offset, ReadOnlySpan<byte> source) => _owner.Bar1.WriteBlock(At(offset, (ulong)source.Length, 1), source);

    /// <summary>Unmaps the mapping. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            GC.SuppressFinalize(this);
            _owner.Closed(_mapping);
        }
    }

    private ulong At(ulong offset, ulong width, ulong alignment = 0)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (offset >= Size || width > Size - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"BAR1 access at +0x{offset:x} (0x{width:x} bytes) is outside this mapping of 0x{Size:x} bytes");
        }

        var align = alignment == 0 ? width : alignment;
        if (offset % align != 0)
        {
            throw new ArgumentException($"BAR1 access at +0x{offset:x} is not aligned to its width {width}", nameof(offset));
        }

        return _mapping.Va.Value + offset;
    }
}
