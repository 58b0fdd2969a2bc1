using System.Globalization;
using System.Text;
using NovaMm.Spec.Addresses;

namespace NovaMm.Spec.PageTables;

/// <summary>
/// A version-neutral decoded page-table entry, for tools (CLI dump, <c>novamm pte decode</c>), the
/// hardware walker's fault reports and tests. Produced by <see cref="PageTableDecoder"/>; either a
/// <see cref="DecodedPte"/> or a <see cref="DecodedPde"/>.
/// </summary>
public abstract record PageTableEntryInfo
{
    /// <summary>The MMU format generation the entry was decoded with.</summary>
    public required MmuVersion Version { get; init; }

    /// <summary>The level the entry was read from.</summary>
    public required PageTableLevel Level { get; init; }

    /// <summary>The entry's first (or only) qword.</summary>
    public required ulong Raw { get; init; }

    /// <summary>The second qword of a 16-byte PD0 entry; null for 8-byte entries.</summary>
    public ulong? RawHigh { get; init; }

    /// <summary>Set bits that no field defines (low qword), 0 when well-formed.</summary>
    public ulong ReservedBits { get; init; }

    /// <summary>Set reserved bits of the high qword of a PD0 entry.</summary>
    public ulong ReservedBitsHigh { get; init; }

    /// <summary>Anything the hardware would not accept or that has no defined meaning (reserved bits, a PTE where the level cannot hold one, an undefined PCF).</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>Whether the entry maps a page (PTE) or points at a table (PDE).</summary>
    public abstract bool Valid { get; }

    /// <summary>A one-line human description, e.g. <c>PT v2: PTE valid vid 0x123456000 (4K page) kind 0x0 RW</c>.</summary>
    public abstract string Describe();

    /// <summary>The raw value(s) in hex: <c>0x..</c> or <c>lo 0x.. hi 0x..</c>.</summary>
    public string RawText => RawHigh is { } hi ? $"lo {Hex.Format(Raw, 16)} hi {Hex.Format(hi, 16)}" : Hex.Format(Raw, 16);

    /// <summary>The level/version prefix of <see cref="Describe"/>.</summary>
    protected string Prefix => string.Create(CultureInfo.InvariantCulture, $"{Level.DisplayName()} {Version.ToString().ToLowerInvariant()}: ");

    /// <summary>The problems, as a suffix for <see cref="Describe"/>.</summary>
    protected string ProblemsSuffix => Problems.Count == 0 ? string.Empty : " [" + string.Join("; ", Problems) + "]";
}

/// <summary>A decoded PTE (in a page table, or a large-page PTE in PD0/PD1/PD2).</summary>
public sealed record DecodedPte : PageTableEntryInfo
{
    /// <summary>VALID.</summary>
    public required bool IsValid { get; init; }

    /// <inheritdoc />
    public override bool Valid => IsValid;

    /// <summary>APERTURE (meaningful when valid).</summary>
    public PteAperture Aperture { get; init; }

    /// <summary>The mapped page's physical address (meaningful when valid).</summary>
    public ulong Address { get; init; }

    /// <summary>The page size an entry at this level maps.</summary>
    public ulong PageSize { get; init; }

    /// <summary>KIND.</summary>
    public byte Kind { get; init; }

    /// <summary>Peer id for the peer aperture.</summary>
    public int PeerId { get; init; }

    /// <summary>Invalid, sparse (v2 VOL; v3 PCF SPARSE).</summary>
    public bool Sparse { get; init; }

    /// <summary>Invalid, "no valid 4 KiB page" (v2 PRIV; v3 PCF NO_VALID_4KB_PAGE).</summary>
    public bool NoValidSmallPages { get; init; }

    /// <summary>Invalid, v3 PCF MAPPING_NOWHERE.</summary>
    public bool MappingNowhere { get; init; }

    /// <summary>Volatile / uncached (v2 VOL; v3 PCF UNCACHED).</summary>
    public bool Volatile { get; init; }

    /// <summary>Privileged only (v2 PRIVILEGE; v3 PCF PRIVILEGE).</summary>
    public bool Privileged { get; init; }

    /// <summary>Read-only (v2 READ_ONLY; v3 PCF RO).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Atomics disabled (v2 ATOMIC_DISABLE; v3 PCF NO_ATOMIC).</summary>
    public bool AtomicDisabled { get; init; }

    /// <summary>v2 ENCRYPTED (bit 4).</summary>
    public bool Encrypted { get; init; }

    /// <summary>v2 COMPTAGLINE (video/peer apertures).</summary>
    public uint CompTagLine { get; init; }

    /// <summary>v3 only: access counting disabled (PCF ACD).</summary>
    public bool AccessCountingDisabled { get; init; }

    /// <summary>v3 only: the PCF; null for v2.</summary>
    public PtePcf? Pcf { get; init; }

    /// <summary>v3 only: the PCF's header name for this entry's VALID bit.</summary>
    public string? PcfName { get; init; }

    /// <inheritdoc />
    public override string Describe()
    {
        var sb = new StringBuilder(Prefix).Append("PTE ");
        if (!IsValid)
        {
            sb.Append("invalid");
            if (Sparse)
            {
                sb.Append(" sparse");
            }

            if (NoValidSmallPages)
            {
                sb.Append(" no-valid-4K-pages");
            }

            if (MappingNowhere)
            {
                sb.Append(" mapping-nowhere");
            }

            if (PcfName is not null)
            {
                sb.Append(" PCF ").Append(PcfName);
            }

            return sb.Append(ProblemsSuffix).ToString();
        }

        sb.Append("valid ").Append(Aperture switch
        {
            PteAperture.Video => "vid",
            PteAperture.Peer => string.Create(CultureInfo.InvariantCulture, $"peer{PeerId}"),
            PteAperture.SystemCoherent => "sys-coh",
            _ => "sys-ncoh",
        });
        sb.Append(' ').Append(Hex.Format(Address)).Append(" (").Append(PageTables.PageSize.Format(PageSize)).Append(" page) kind ").Append(Hex.Format(Kind));
        sb.Append(ReadOnly ? " RO" : " RW");
        if (Volatile)
        {
            sb.Append(Version == MmuVersion.V2 ? " VOL" : " UNCACHED");
        }

        if (Privileged)
        {
            sb.Append(" PRIV");
        }

        if (AtomicDisabled)
        {
            sb.Append(" NO_ATOMIC");
        }

        if (Encrypted)
        {
            sb.Append(" ENCRYPTED");
        }

        if (CompTagLine != 0)
        {
            sb.Append(" comptag ").Append(Hex.Format(CompTagLine));
        }

        if (Pcf is { } pcf)
        {
            sb.Append(" PCF ").Append(Hex.Format(pcf.Value)).Append(' ').Append(PcfName);
        }

        return sb.Append(ProblemsSuffix).ToString();
    }
}

/// <summary>A decoded PDE: an 8-byte PDE (<see cref="Next"/>) or a 16-byte dual PD0 entry (<see cref="Big"/> and <see cref="Small"/>).</summary>
public sealed record DecodedPde : PageTableEntryInfo
{
    /// <summary>Whether this is a 16-byte dual entry.</summary>
    public bool IsDual { get; init; }

    /// <summary>The next-level table of an 8-byte PDE (<see cref="TableRef.None"/> for a dual entry or an invalid PDE).</summary>
    public TableRef Next { get; init; }

    /// <summary>The big-page table of a dual entry.</summary>
    public TableRef Big { get; init; }

    /// <summary>The small-page table of a dual entry.</summary>
    public TableRef Small { get; init; }

    /// <summary>Sparse (v2: aperture 0 + VOL; v3: aperture 0 + sparse PCF; dual: both apertures 0 + big VOL/PCF).</summary>
    public bool Sparse { get; init; }

    /// <summary>v2 VOL / v3 PCF uncached (8-byte PDE, or the big half of a dual entry).</summary>
    public bool Volatile { get; init; }

    /// <summary>Dual entries: the small half's VOL / PCF uncached.</summary>
    public bool SmallVolatile { get; init; }

    /// <summary>v2 NO_ATS (8-byte PDE) / v3 PCF ATS_NOT_ALLOWED (8-byte PDE or big half).</summary>
    public bool NoAts { get; init; }

    /// <summary>v3 only: the PCF name (8-byte PDE or big half).</summary>
    public string? PcfName { get; init; }

    /// <summary>v3 dual entries only: the small half's PCF name.</summary>
    public string? SmallPcfName { get; init; }

    /// <inheritdoc />
    public override bool Valid => IsDual ? Big.IsPresent || Small.IsPresent : Next.IsPresent;

    /// <inheritdoc />
    public override string Describe()
    {
        var sb = new StringBuilder(Prefix);
        if (Sparse)
        {
            sb.Append(IsDual ? "dual PDE sparse" : "PDE sparse");
        }
        else if (IsDual)
        {
            sb.Append("dual PDE big ").Append(Big);
            if (Volatile)
            {
                sb.Append(" VOL");
            }

            if (PcfName is not null)
            {
                sb.Append(" PCF ").Append(PcfName);
            }

            sb.Append(", small ").Append(Small);
            if (SmallVolatile)
            {
                sb.Append(" VOL");
            }

            if (SmallPcfName is not null)
            {
                sb.Append(" PCF ").Append(SmallPcfName);
            }
        }
        else
        {
            sb.Append(Next.IsPresent ? "PDE -> " + Next : "PDE invalid");
            if (Volatile)
            {
                sb.Append(" VOL");
            }

            if (NoAts && PcfName is null)
            {
                sb.Append(" NO_ATS");
            }

            if (PcfName is not null)
            {
                sb.Append(" PCF ").Append(PcfName);
            }
        }

        return sb.Append(ProblemsSuffix).ToString();
    }
}

/// <summary>
/// Decodes a raw entry at any level of any format into a <see cref="PageTableEntryInfo"/>: PTEs in the
/// page tables, PDEs in the directories, dual PDEs in PD0, and large-page PTEs in PD0 (2 MiB), PD1
/// (512 MiB) and PD2 (256 GiB) where the <see cref="MmuFormat"/> allows them.
/// </summary>
public static class PageTableDecoder
{
    /// <summary>Decodes with the most permissive geometry of <paramref name="version"/> (<see cref="MmuFormat.Widest"/>).</summary>
    /// <exception cref="ArgumentException">When the version has no such level (PD4 in v2).</exception>
    public static PageTableEntryInfo Decode(MmuVersion version, PageTableLevel level, ulong raw, ulong rawHigh = 0) =>
        Decode(MmuFormat.Widest(version), level, raw, rawHigh);

    /// <summary>Decodes the entry <paramref name="raw"/> (and, for PD0, <paramref name="rawHigh"/>) read at <paramref name="level"/> of <paramref name="format"/>.</summary>
    /// <exception cref="ArgumentException">When the format has no such level, or <paramref name="rawHigh"/> is non-zero for an 8-byte level.</exception>
    public static PageTableEntryInfo Decode(MmuFormat format, PageTableLevel level, ulong raw, ulong rawHigh = 0)
    {
        ArgumentNullException.ThrowIfNull(format);
        var l = format.Level(level);
        if (!l.IsDual && rawHigh != 0)
        {
            throw new ArgumentException($"Level {l.Name} has 8-byte entries; a second qword {Hex.Format(rawHigh)} makes no sense.", nameof(rawHigh));
        }

        return (format.Version, l) switch
        {
            (MmuVersion.V2, { IsPageTable: true }) => V2Pte(level, PteV2.FromRaw(raw), l.PteSize!.Value, null, []),
            (MmuVersion.V3, { IsPageTable: true }) => V3Pte(level, PteV3.FromRaw(raw), l.PteSize!.Value, null, []),
            (MmuVersion.V2, { IsDual: true }) => V2Dual(level, DualPdeV2.FromRaw(raw, rawHigh), l.PteSize!.Value),
            (MmuVersion.V3, { IsDual: true }) => V3Dual(level, DualPdeV3.FromRaw(raw, rawHigh), l.PteSize!.Value),
            (MmuVersion.V2, _) => V2Directory(format, l, raw),
            _ => V3Directory(format, l, raw),
        };
    }

    private static DecodedPte V2Pte(PageTableLevel level, PteV2 pte, ulong pageSize, ulong? rawHigh, List<string> problems) => new()
    {
        Version = MmuVersion.V2,
        Level = level,
        Raw = pte.Raw,
        RawHigh = rawHigh,
        ReservedBitsHigh = rawHigh ?? 0,
        Problems = problems,
        IsValid = pte.IsValid,
        Aperture = pte.Aperture,
        Address = pte.Address,
        PageSize = pageSize,
        Kind = pte.Kind,
        PeerId = pte.PeerId,
        Sparse = pte.IsSparse,
        NoValidSmallPages = pte.IsNoValidSmallPages && level == PageTableLevel.PtBig,
        Volatile = pte.IsVolatile,
        Privileged = pte.IsPrivileged,
        ReadOnly = pte.IsReadOnly,
        AtomicDisabled = pte.IsAtomicDisabled,
        Encrypted = pte.IsEncrypted,
        CompTagLine = pte.CompTagLine,
    };

    private static DecodedPte V3Pte(PageTableLevel level, PteV3 pte, ulong pageSize, ulong? rawHigh, List<string> problems)
    {
        if (!pte.IsValid && pte.Pcf.InvalidName is null)
        {
            problems.Add($"PCF {Hex.Format(pte.Pcf.Value)} is undefined in an invalid PTE");
        }

        if (pte.ReservedBits != 0)
        {
            problems.Add($"reserved bits {Hex.Format(pte.ReservedBits)} set");
        }

        var pcf = pte.Pcf;
        return new()
        {
            Version = MmuVersion.V3,
            Level = level,
            Raw = pte.Raw,
            RawHigh = rawHigh,
            ReservedBits = pte.ReservedBits,
            ReservedBitsHigh = rawHigh ?? 0,
            Problems = problems,
            IsValid = pte.IsValid,
            Aperture = pte.Aperture,
            Address = pte.Address,
            PageSize = pageSize,
            Kind = pte.Kind,
            PeerId = pte.PeerId,
            Sparse = pte.IsSparse,
            NoValidSmallPages = pte.IsNoValidSmallPages,
            MappingNowhere = pte.IsMappingNowhere,
            Volatile = pte.IsValid && pcf.IsUncached,
            Privileged = pte.IsValid && pcf.IsPrivileged,
            ReadOnly = pte.IsValid && pcf.IsReadOnly,
            AtomicDisabled = pte.IsValid && pcf.IsNoAtomic,
            AccessCountingDisabled = pte.IsValid && pcf.IsAccessCountingDisabled,
            Pcf = pcf,
            PcfName = pte.PcfName,
        };
    }

    private static PageTableEntryInfo V2Dual(PageTableLevel level, DualPdeV2 e, ulong pageSize)
    {
        var problems = new List<string>();
        if (e.IsPte)
        {
            if (e.High != 0)
            {
                problems.Add($"high qword {Hex.Format(e.High)} must be 0 for a 2M PTE");
            }

            return V2Pte(level, e.LargePage, pageSize, e.High, problems);
        }

        var (rlo, rhi) = e.ReservedBits;
        AddReserved(problems, rlo, rhi);
        return new DecodedPde
        {
            Version = MmuVersion.V2,
            Level = level,
            Raw = e.Low,
            RawHigh = e.High,
            ReservedBits = rlo,
            ReservedBitsHigh = rhi,
            Problems = problems,
            IsDual = true,
            Big = e.Big,
            Small = e.Small,
            Sparse = e.IsSparse,
            Volatile = e.IsBigVolatile,
            SmallVolatile = e.IsSmallVolatile,
        };
    }

    private static PageTableEntryInfo V3Dual(PageTableLevel level, DualPdeV3 e, ulong pageSize)
    {
        var problems = new List<string>();
        if (e.IsPte)
        {
            if (e.High != 0)
            {
                problems.Add($"high qword {Hex.Format(e.High)} must be 0 for a 2M PTE");
            }

            return V3Pte(level, e.LargePage, pageSize, e.High, problems);
        }

        var (rlo, rhi) = e.ReservedBits;
        AddReserved(problems, rlo, rhi);
        AddPcf(problems, e.BigPcf, "PCF_BIG");
        AddPcf(problems, e.SmallPcf, "PCF_SMALL");
        return new DecodedPde
        {
            Version = MmuVersion.V3,
            Level = level,
            Raw = e.Low,
            RawHigh = e.High,
            ReservedBits = rlo,
            ReservedBitsHigh = rhi,
            Problems = problems,
            IsDual = true,
            Big = e.Big,
            Small = e.Small,
            Sparse = e.IsSparse,
            Volatile = e.Big.IsPresent && e.BigPcf.IsUncached,
            SmallVolatile = e.Small.IsPresent && e.SmallPcf.IsUncached,
            NoAts = e.BigPcf.IsAtsNotAllowed,
            PcfName = e.BigPcf.Name(e.Big.IsPresent),
            SmallPcfName = e.SmallPcf.Name(e.Small.IsPresent),
        };
    }

    private static PageTableEntryInfo V2Directory(MmuFormat format, MmuLevel level, ulong raw)
    {
        var pde = PdeV2.FromRaw(raw);
        var problems = new List<string>();
        if (pde.IsPte)
        {
            if (level.PteSize is { } size)
            {
                return V2Pte(level.Id, PteV2.FromRaw(raw), size, null, problems);
            }

            problems.Add($"IS_PTE set, but {level.Name} cannot hold a PTE in {format.Name}");
        }

        AddReserved(problems, pde.ReservedBits, 0);
        return new DecodedPde
        {
            Version = MmuVersion.V2,
            Level = level.Id,
            Raw = raw,
            ReservedBits = pde.ReservedBits,
            Problems = problems,
            Next = pde.IsPte ? TableRef.None : pde.Next,
            Sparse = pde.IsSparse,
            Volatile = pde.IsVolatile,
            NoAts = pde.NoAts,
        };
    }

    private static PageTableEntryInfo V3Directory(MmuFormat format, MmuLevel level, ulong raw)
    {
        var pde = PdeV3.FromRaw(raw);
        var problems = new List<string>();
        if (pde.IsPte)
        {
            if (level.PteSize is { } size)
            {
                return V3Pte(level.Id, PteV3.FromRaw(raw), size, null, problems);
            }

            problems.Add($"IS_PTE set, but {level.Name} cannot hold a PTE in {format.Name}");
        }

        AddReserved(problems, pde.ReservedBits, 0);
        AddPcf(problems, pde.Pcf, "PCF");
        return new DecodedPde
        {
            Version = MmuVersion.V3,
            Level = level.Id,
            Raw = raw,
            ReservedBits = pde.ReservedBits,
            Problems = problems,
            Next = pde.IsPte ? TableRef.None : pde.Next,
            Sparse = pde.IsSparse,
            Volatile = pde.IsValid && pde.Pcf.IsUncached,
            NoAts = pde.Pcf.IsAtsNotAllowed,
            PcfName = pde.PcfName,
        };
    }

    private static void AddReserved(List<string> problems, ulong low, ulong high)
    {
        if (low != 0)
        {
            problems.Add($"reserved bits {Hex.Format(low)} set");
        }

        if (high != 0)
        {
            problems.Add($"reserved bits {Hex.Format(high)} set in the high qword");
        }
    }

    private static void AddPcf(List<string> problems, PdePcf pcf, string field)
    {
        if (!pcf.IsDefined)
        {
            problems.Add($"{field} {pcf.Value} is undefined");
        }
    }
}
