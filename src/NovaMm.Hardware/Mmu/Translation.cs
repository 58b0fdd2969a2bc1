using System.Globalization;
using System.Text;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Hardware.Mmu;

/// <summary>The attribute bits of a translated page, version-neutral (v2 PTE bits or v3 PCF bits).</summary>
[Flags]
public enum TranslationFlags
{
    /// <summary>No attribute: cached, regular, read-write, atomics allowed.</summary>
    None = 0,

    /// <summary>v2 READ_ONLY / v3 PCF RO: writes and atomics fault.</summary>
    ReadOnly = 1 << 0,

    /// <summary>v2 PRIVILEGE / v3 PCF PRIVILEGE: non-privileged accesses fault.</summary>
    Privileged = 1 << 1,

    /// <summary>v2 ATOMIC_DISABLE / v3 PCF NO_ATOMIC: atomics fault.</summary>
    AtomicDisabled = 1 << 2,

    /// <summary>v2 VOL / v3 PCF UNCACHED.</summary>
    Volatile = 1 << 3,

    /// <summary>v2 ENCRYPTED (bit 4, Pascal header only).</summary>
    Encrypted = 1 << 4,

    /// <summary>v3 PCF ACD (access counting disabled).</summary>
    AccessCountingDisabled = 1 << 5,
}

/// <summary>A successful translation of one virtual address.</summary>
/// <param name="Va">The virtual address translated.</param>
/// <param name="PhysicalAddress">The physical byte address <paramref name="Va"/> maps to (page base + offset in the page).</param>
/// <param name="Aperture">Where the page is: video memory, a peer GPU, or system memory.</param>
/// <param name="PageSize">The size of the page that maps it (4 KiB, 64 KiB, 2 MiB, 512 MiB or 256 GiB).</param>
/// <param name="Kind">The PTE KIND.</param>
/// <param name="Flags">The page's attributes.</param>
/// <param name="TlbHit">Whether the TLB answered (no page-table read happened).</param>
public sealed record Translation(ulong Va, ulong PhysicalAddress, PteAperture Aperture, ulong PageSize, byte Kind, TranslationFlags Flags, bool TlbHit)
{
    /// <summary>The peer id for the peer aperture (0 otherwise).</summary>
    public int PeerId { get; init; }

    /// <summary>The level whose PTE mapped the page (PT, PT big, PD0, PD1 or PD2).</summary>
    public PageTableLevel Level { get; init; }

    /// <summary>The first physical byte of the page.</summary>
    public ulong PageBase => PhysicalAddress - (Va & (PageSize - 1));

    /// <summary>The aperture as the CLI prints it: <c>vid</c>, <c>peerN</c>, <c>sys-coh</c>, <c>sys-ncoh</c>.</summary>
    public string ApertureName => Aperture switch
    {
        PteAperture.Video => "vid",
        PteAperture.Peer => string.Create(CultureInfo.InvariantCulture, $"peer{PeerId}"),
        PteAperture.SystemCoherent => "sys-coh",
        _ => "sys-ncoh",
    };

    /// <summary>One line, e.g. <c>va 0x1000 -> vid 0x123456000 (4K page, PT) kind 0x0 RW tlb-miss</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("va ").Append(Hex.Format(Va)).Append(" -> ").Append(ApertureName).Append(' ').Append(Hex.Format(PhysicalAddress));
        sb.Append(" (").Append(Spec.PageTables.PageSize.Format(PageSize)).Append(" page, ").Append(Level.DisplayName()).Append(") kind ").Append(Hex.Format(Kind));
        sb.Append((Flags & TranslationFlags.ReadOnly) != 0 ? " RO" : " RW");
        foreach (var (flag, text) in new[] { (TranslationFlags.Privileged, " PRIV"), (TranslationFlags.AtomicDisabled, " NO_ATOMIC"), (TranslationFlags.Volatile, " VOL"), (TranslationFlags.Encrypted, " ENCRYPTED"), (TranslationFlags.AccessCountingDisabled, " ACD") })
        {
            if ((Flags & flag) != 0)
            {
                sb.Append(text);
            }
        }

        return sb.Append(TlbHit ? " tlb-hit" : " tlb-miss").ToString();
    }
}

/// <summary>
/// Where an address translated to, as <see cref="Gmmu.TryTranslate"/> answers it: no allocation, no walk steps.
/// </summary>
/// <param name="PhysicalAddress">The physical byte address (page base + offset in the page).</param>
/// <param name="BytesToPageEnd">Bytes from the address to the end of its page (at least 1).</param>
/// <param name="Aperture">Where the page is: video memory, a peer GPU, or system memory.</param>
/// <param name="TlbHit">Whether the TLB answered.</param>
public readonly record struct TranslatedPage(ulong PhysicalAddress, ulong BytesToPageEnd, PteAperture Aperture, bool TlbHit);

/// <summary>One page-table entry the walker read.</summary>
/// <param name="Level">The level of the table.</param>
/// <param name="EntryAddress">VRAM address of the entry.</param>
/// <param name="Raw">The entry's (low) qword.</param>
/// <param name="RawHigh">The high qword of a 16-byte PD0 entry; null for 8-byte entries.</param>
public readonly record struct WalkStep(PageTableLevel Level, ulong EntryAddress, ulong Raw, ulong? RawHigh)
{
    /// <summary>One line, e.g. <c>PD3 @0x7ff00000 = 0x7ff0102</c>.</summary>
    public override string ToString() =>
        $"{Level.DisplayName()} @{Hex.Format(EntryAddress)} = {Hex.Format(Raw)}{(RawHigh is { } hi ? " hi " + Hex.Format(hi) : string.Empty)}";
}

/// <summary>What <see cref="Gmmu"/> answers: a <see cref="Translation"/> or an <see cref="MmuFault"/>, and the entries read on the way.</summary>
public sealed record TranslationResult
{
    private TranslationResult(Translation? translation, MmuFault? fault, IReadOnlyList<WalkStep> steps)
    {
        Translation = translation;
        Fault = fault;
        Steps = steps;
    }

    /// <summary>The translation; null on failure.</summary>
    public Translation? Translation { get; }

    /// <summary>The fault; null on success. A <see cref="MmuFaultReason.Sparse"/> result is a failure that the hardware does not report as a fault.</summary>
    public MmuFault? Fault { get; }

    /// <summary>Whether the address translated.</summary>
    public bool IsSuccess => Translation is not null;

    /// <summary>The entries the walker read, root first (empty on a TLB hit and for faults found before any read).</summary>
    public IReadOnlyList<WalkStep> Steps { get; }

    /// <summary>A success.</summary>
    public static TranslationResult Success(Translation translation, IReadOnlyList<WalkStep> steps) => new(translation, null, steps);

    /// <summary>A failure.</summary>
    public static TranslationResult Failure(MmuFault fault, IReadOnlyList<WalkStep> steps) => new(null, fault, steps);

    /// <summary>The translation or the fault, as one line.</summary>
    public override string ToString() => Translation?.ToString() ?? Fault!.ToString();
}
