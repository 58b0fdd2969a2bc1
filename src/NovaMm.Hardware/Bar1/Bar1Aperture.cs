using System.Buffers.Binary;
using NovaMm.Hardware.Bus;
using NovaMm.Hardware.Memory;
using NovaMm.Hardware.Mmu;
using NovaMm.Hardware.Units;
using NovaMm.Spec.Device;
using NovaMm.Spec.PageTables;

namespace NovaMm.Hardware.Bar1;

/// <summary>
/// The BAR1 aperture: the CPU's window onto GPU virtual memory (docs/bar1.md: BAR1 offset N is virtual address N).
/// Every access is translated by the <see cref="Gmmu"/> with the page directory of the instance block bound through the
/// VF-PRIV BAR1 bind registers at the time of the access (docs/registers.md, BAR1 / BAR2 bind), page by page for bulk accesses.
/// <para>An access that does not translate completes as on hardware, as data and never as an exception: the fault is
/// recorded in the fault log (source <see cref="FaultSource.Bar1"/>), reads return all-ones bytes and writes are dropped.
/// A sparse page completes without a fault: reads return zero, writes are dropped. A translation to peer or system memory,
/// or past the end of VRAM, is recorded with reason <c>peer-not-modelled</c>, <c>sysmem-not-modelled</c> or
/// <c>vram-out-of-range</c> and completes like a fault. Accesses outside the BAR or not naturally aligned throw, as the
/// kernel's checked MMIO layer refuses them (like <see cref="Bus.Bar0Bus"/>).</para>
/// <para>Privilege: CPU accesses through BAR1 are NOT privileged (<see cref="CpuAccessIsPrivileged"/>); see
/// docs/gmmu-bar1.md. Thread-safe: the aperture keeps only counters.</para>
/// </summary>
public sealed class Bar1Aperture : MmioDevice, IBar1
{
    /// <summary>
    /// Whether a CPU access through BAR1 counts as privileged: false. No public NVIDIA source says how the BAR1 engine
    /// presents its requests; the model treats BAR1 as a regular (non-privileged) client, so a PRIVILEGE page mapped into
    /// BAR1 faults with reason <c>privilege</c>. nova and nouveau never set PRIVILEGE in BAR1 mappings.
    /// </summary>
    public const bool CpuAccessIsPrivileged = false;

    /// <summary>What a failed read returns, per byte.</summary>
    public const byte FaultReadByte = 0xFF;

    private const ulong MinimumChunk = 4096;

    private readonly SparseVram _vram;
    private readonly VfPrivUnit _vfPriv;
    private long _faultedAccesses;
    private long _sparseAccesses;

    /// <summary>A BAR1 of <paramref name="length"/> bytes translating with <paramref name="gmmu"/> in <paramref name="format"/> through the instance block bound in <paramref name="vfPriv"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="length"/> is 0.</exception>
    public Bar1Aperture(SparseVram vram, Gmmu gmmu, VfPrivUnit vfPriv, MmuFormat format, ulong length)
        : base("BAR1", length)
    {
        ArgumentNullException.ThrowIfNull(vram);
        ArgumentNullException.ThrowIfNull(gmmu);
        ArgumentNullException.ThrowIfNull(vfPriv);
        ArgumentNullException.ThrowIfNull(format);
        ArgumentOutOfRangeException.ThrowIfZero(length);
        _vram = vram;
        _vfPriv = vfPriv;
        Gmmu = gmmu;
        Format = format;
    }

    /// <summary>The GMMU that translates every access.</summary>
    public Gmmu Gmmu { get; }

    /// <summary>The chip's page-table format.</summary>
    public MmuFormat Format { get; }

    /// <summary>Page-sized pieces of accesses that faulted (one per piece, so a bulk access can count several).</summary>
    public long FaultedAccesses => Interlocked.Read(ref _faultedAccesses);

    /// <summary>Page-sized pieces of accesses that hit a sparse page.</summary>
    public long SparseAccesses => Interlocked.Read(ref _sparseAccesses);

    /// <summary>
    /// The PDB BAR1 translates with right now (latched by the last bind, <see cref="VfPrivUnit.Bar1Binding"/>), or null
    /// when BAR1 is unbound or the bound instance block named no usable PDB at the bind.
    /// </summary>
    public ulong? CurrentPdb => _vfPriv.Bar1Binding is { Reason: null } b ? b.Pdb : null;

    /// <summary>Translates BAR1 offset <paramref name="offset"/> as this aperture would (TLB, fault log and all) without moving data.</summary>
    public TranslationResult Translate(ulong offset, AccessType access) => TranslateBound(_vfPriv.Bar1Binding, offset, access);

    private TranslationResult TranslateBound(Bar1Binding? binding, ulong offset, AccessType access)
    {
        if (binding is null || binding.Reason is not null)
        {
            var fault = Gmmu.Record(new MmuFault(offset, binding?.Pdb ?? 0, access, binding?.Reason ?? MmuFaultReason.UnboundInstance, null)
            {
                Privileged = CpuAccessIsPrivileged,
                Source = FaultSource.Bar1,
            });
            return TranslationResult.Failure(fault, []);
        }

        return Gmmu.Translate(binding.Pdb, Format, offset, access, CpuAccessIsPrivileged, FaultSource.Bar1);
    }

    /// <inheritdoc />
    protected override void ReadBlockCore(ulong offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            var (pa, n, outcome) = Resolve(offset, (ulong)destination.Length, AccessType.Read);
            Complete(destination[..(int)n], pa, outcome);
            destination = destination[(int)n..];
            offset += n;
        }
    }

    /// <inheritdoc />
    protected override void WriteBlockCore(ulong offset, ReadOnlySpan<byte> source)
    {
        while (!source.IsEmpty)
        {
            var (pa, n, outcome) = Resolve(offset, (ulong)source.Length, AccessType.Write);
            if (outcome == Outcome.Vram)
            {
                _vram.Write(pa, source[..(int)n]);
            }

            source = source[(int)n..];
            offset += n;
        }
    }

    /// <inheritdoc />
    protected override void FillCore(ulong offset, ulong length, byte value)
    {
        while (length > 0)
        {
            var (pa, n, outcome) = Resolve(offset, length, AccessType.Write);
            if (outcome == Outcome.Vram)
            {
                _vram.Fill(pa, n, value);
            }

            length -= n;
            offset += n;
        }
    }

    /// <inheritdoc />
    protected override void ReadSized(ulong offset, Span<byte> destination)
    {
        var (pa, _, outcome) = Resolve(offset, (ulong)destination.Length, AccessType.Read);
        Complete(destination, pa, outcome);
    }

    /// <inheritdoc />
    protected override void WriteSized(ulong offset, ReadOnlySpan<byte> source)
    {
        var (pa, _, outcome) = Resolve(offset, (ulong)source.Length, AccessType.Write);
        if (outcome == Outcome.Vram)
        {
            _vram.Write(pa, source);
        }
    }

    private void Complete(Span<byte> destination, ulong pa, Outcome outcome)
    {
        switch (outcome)
        {
            case Outcome.Vram:
                _vram.Read(pa, destination);
                break;
            case Outcome.Sparse:
                destination.Clear();
                break;
            default:
                destination.Fill(FaultReadByte);
                break;
        }
    }

    /// <summary>
    /// Translates the first piece of an access at <paramref name="va"/> of <paramref name="length"/> bytes. A piece is a
    /// run of pages that the TLB answers and that are contiguous in VRAM (each page translated and counted once), else
    /// one page (the 4 KiB page for failures) translated on the full path: walk on a miss, faults logged.
    /// </summary>
    private (ulong Pa, ulong Length, Outcome Outcome) Resolve(ulong va, ulong length, AccessType access)
    {
        var binding = _vfPriv.Bar1Binding;
        if (binding is { Reason: null } && TlbRun(binding.Pdb, va, length, access) is { } run)
        {
            return (run.Pa, run.Length, Outcome.Vram);
        }

        var result = TranslateBound(binding, va, access);
        if (result.Translation is not { } t)
        {
            var piece = Math.Min(length, MinimumChunk - (va & (MinimumChunk - 1)));
            if (result.Fault!.Reason == MmuFaultReason.Sparse)
            {
                Interlocked.Increment(ref _sparseAccesses);
                return (0, piece, Outcome.Sparse);
            }

            Interlocked.Increment(ref _faultedAccesses);
            return (0, piece, Outcome.Fault);
        }

        var n = Math.Min(length, t.PageSize - (va & (t.PageSize - 1)));
        MmuFaultReason? reason = t.Aperture switch
        {
            PteAperture.Peer => MmuFaultReason.PeerNotModelled,
            PteAperture.SystemCoherent or PteAperture.SystemNonCoherent => MmuFaultReason.SysmemNotModelled,
            _ when t.PhysicalAddress >= _vram.Size || _vram.Size - t.PhysicalAddress < n => MmuFaultReason.VramOutOfRange,
            _ => null,
        };
        if (reason is { } r)
        {
            n = Math.Min(n, MinimumChunk - (va & (MinimumChunk - 1)));
            Gmmu.Record(new MmuFault(va, binding!.Pdb, access, r, t.Level) { Privileged = CpuAccessIsPrivileged, Source = FaultSource.Bar1 });
            Interlocked.Increment(ref _faultedAccesses);
            return (0, n, Outcome.Fault);
        }

        return (t.PhysicalAddress, n, Outcome.Vram);
    }

    /// <summary>
    /// The hit path: the longest run from <paramref name="va"/> (at most <paramref name="length"/> bytes) of pages the
    /// TLB answers with video-memory pages inside VRAM that follow each other physically. Null when the first page is
    /// not such a hit; nothing is counted or logged then, and the caller takes the full path.
    /// </summary>
    private (ulong Pa, ulong Length)? TlbRun(ulong pdb, ulong va, ulong length, AccessType access)
    {
        if (PeekVram(pdb, va, length, access) is not { } first)
        {
            return null;
        }

        Gmmu.Tlb.CountHit();
        var (pa, n) = first;
        while (n < length)
        {
            var next = va + n;
            if (PeekVram(pdb, next, length - n, access) is not { } more || more.Pa != pa + n)
            {
                break;
            }

            Gmmu.Tlb.CountHit();
            n += more.Length;
        }

        return (pa, n);
    }

    /// <summary>The TLB fast slot's answer for one page at <paramref name="va"/> if it is a permitted video-memory page inside VRAM; not counted.</summary>
    private (ulong Pa, ulong Length)? PeekVram(ulong pdb, ulong va, ulong length, AccessType access)
    {
        if (Gmmu.PeekHit(pdb, Format, va, access, CpuAccessIsPrivileged) is not { Aperture: (int)PteAperture.Video } e)
        {
            return null;
        }

        var pa = e.PhysicalBase + (va - e.VaBase);
        var n = Math.Min(length, e.VaBase + e.PageSize - va);
        return pa < _vram.Size && _vram.Size - pa >= n ? (pa, n) : null;
    }

    private enum Outcome
    {
        Vram,
        Sparse,
        Fault,
    }
}
