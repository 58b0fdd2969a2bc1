using System.Runtime.CompilerServices;
using NovaMm.Hardware.Memory;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Hardware.Mmu;

/// <summary>
/// The GPU's MMU (GMMU) page walker: translates a virtual address of the address space whose root page directory is at
/// a PDB by reading the page tables from VRAM with its own code, as the silicon does (docs/architecture.md, The hardware
/// model; docs/gmmu-bar1.md; formats in docs/page-tables.md). It shares only the Spec entry types and the <see cref="MmuFormat"/> level
/// table with the driver; it never goes through PRAMIN.
/// <para>Walk: from the root down to PD0, one entry per level of <see cref="MmuFormat.Levels"/>. An 8-byte slot with
/// IS_PTE set is a large-page PTE where the level may hold one (512 MiB in PD1, 256 GiB in PD2), else a
/// <see cref="MmuFaultReason.PdeSize"/> fault. PD0 is a 2 MiB PTE or a dual PDE; for a dual PDE the big-page PTE is read
/// first: valid wins, sparse stops (sparse), "no valid 4 KiB page" (v2 <c>0x20</c>, v3 PCF 3) stops
/// (<see cref="MmuFaultReason.NoValid4KPage"/>), plain invalid lets the small PTE decide (docs/page-tables.md; open-gpu-doc <c>pascal/gp100-mmu-format.pdf</c>).</para>
/// <para>TLB: <see cref="Translate(ulong, MmuFormat, ulong, AccessType, bool)"/> looks in <see cref="Tlb"/> first; a hit
/// is answered from the cached entry (permissions checked against its cached bits), a miss walks and caches the final
/// translation with its real page size. Failures are not cached. Page-table writes do not touch the TLB: only the
/// MMU_INVALIDATE registers do.</para>
/// <para>Faults are data: every failure except <see cref="MmuFaultReason.Sparse"/> is appended to <see cref="Faults"/>.
/// Thread-safe: the walker keeps no state of its own; VRAM, TLB and fault log have their own locks.</para>
/// </summary>
public sealed class Gmmu
{
    private readonly SparseVram _vram;
    private long _walks;
    private long _sparseAccesses;

    /// <summary>A GMMU reading page tables from <paramref name="vram"/>, caching in <paramref name="tlb"/> and logging into <paramref name="faults"/>.</summary>
    public Gmmu(SparseVram vram, GmmuTlb tlb, FaultLog faults)
    {
        ArgumentNullException.ThrowIfNull(vram);
        ArgumentNullException.ThrowIfNull(tlb);
        ArgumentNullException.ThrowIfNull(faults);
        _vram = vram;
        Tlb = tlb;
        Faults = faults;
    }

    /// <summary>The translation cache.</summary>
    public GmmuTlb Tlb { get; }

    /// <summary>The fault log.</summary>
    public FaultLog Faults { get; }

    /// <summary>Page walks done (TLB misses and <see cref="Walk(ulong, MmuFormat, ulong, AccessType, bool)"/> calls).</summary>
    public long Walks => Interlocked.Read(ref _walks);

    /// <summary>Accesses that hit a sparse entry (they complete without a fault).</summary>
    public long SparseAccesses => Interlocked.Read(ref _sparseAccesses);

    /// <summary>
    /// Translates <paramref name="va"/> in the address space rooted at <paramref name="pdb"/> (a VRAM address) for an
    /// access of type <paramref name="access"/>: TLB first, then a page walk. A failure is returned as
    /// <see cref="TranslationResult.Fault"/> and, unless sparse, recorded in <see cref="Faults"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException">When <paramref name="format"/> is null.</exception>
    public TranslationResult Translate(ulong pdb, MmuFormat format, ulong va, AccessType access, bool privileged) =>
        Translate(pdb, format, va, access, privileged, FaultSource.Translate);

    /// <summary>As <see cref="Translate(ulong, MmuFormat, ulong, AccessType, bool)"/> with strong address types.</summary>
    public TranslationResult Translate(VramAddress pdb, MmuFormat format, GpuVa va, AccessType access, bool privileged) =>
        Translate(pdb.Value, format, va.Value, access, privileged);

    /// <summary>
    /// The same translation as <see cref="Translate(ulong, MmuFormat, ulong, AccessType, bool)"/> (TLB, walk on a miss,
    /// TLB insert, fault log), answering only where the page is. A TLB hit that passes the permission checks is answered
    /// from the TLB's lock-free fast slots without allocating; anything else (a miss, a permission fault) takes the full
    /// path, so the counters and the fault log are the same as with <see cref="Translate(ulong, MmuFormat, ulong, AccessType, bool)"/>.
    /// </summary>
    /// <returns>True with <paramref name="page"/> set when the address translated; false (and <c>default</c>) on a fault
    /// or a sparse page.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="format"/> is null.</exception>
    public bool TryTranslate(ulong pdb, MmuFormat format, ulong va, AccessType access, bool privileged, out TranslatedPage page)
    {
        ArgumentNullException.ThrowIfNull(format);
        if (TryTlbHit(pdb, format, va, access, privileged) is { } e)
        {
            page = new TranslatedPage(e.PhysicalBase + (va - e.VaBase), e.VaBase + e.PageSize - va, (PteAperture)e.Aperture, TlbHit: true);
            return true;
        }

        if (Translate(pdb, format, va, access, privileged, FaultSource.Translate).Translation is { } t)
        {
            page = new TranslatedPage(t.PhysicalAddress, t.PageSize - (va & (t.PageSize - 1)), t.Aperture, t.TlbHit);
            return true;
        }

        page = default;
        return false;
    }

    /// <summary>A page walk only: no TLB lookup or insert and nothing logged (for tools that inspect page tables).</summary>
    /// <exception cref="ArgumentNullException">When <paramref name="format"/> is null.</exception>
    public TranslationResult Walk(ulong pdb, MmuFormat format, ulong va, AccessType access, bool privileged)
    {
        ArgumentNullException.ThrowIfNull(format);
        return WalkTables(pdb, format, va, access, privileged, FaultSource.Translate);
    }

    /// <summary>
    /// Translates through an instance block: decodes its page-directory base (docs/page-tables.md, Instance block: dwords 128/129 at +0x200/+0x204)
    /// and translates with it. A PDB with target INVALID, a 128 KiB big-page size, or (on an MMU v2 format) USE_VER2_PT_FORMAT 0
    /// gives <see cref="MmuFaultReason.UnboundInstance"/>; a system-memory PDB <see cref="MmuFaultReason.SysmemNotModelled"/>.
    /// </summary>
    public TranslationResult TranslateInstance(ulong instanceBlock, MmuFormat format, ulong va, AccessType access, bool privileged, FaultSource source = FaultSource.Translate)
    {
        ArgumentNullException.ThrowIfNull(format);
        var (pdb, reason) = ResolveInstanceBlock(instanceBlock, format);
        if (reason is { } r)
        {
            return Fail(Faults.Record(new MmuFault(va, pdb, access, r, null) { Privileged = privileged, Source = source }), []);
        }

        return Translate(pdb, format, va, access, privileged, source);
    }

    /// <summary>The root page directory named by the instance block at <paramref name="instanceBlock"/>, or the reason it names none.</summary>
    public (ulong Pdb, MmuFaultReason? Reason) ResolveInstanceBlock(ulong instanceBlock, MmuFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        var at = instanceBlock + InstanceBlock.PageDirBaseLoOffset;
        if (at < instanceBlock || at > _vram.Size || _vram.Size - at < 8)
        {
            return (0, MmuFaultReason.VramOutOfRange);
        }

        var words = PageDirectoryBase.FromDwords(_vram.Read32(at), _vram.Read32(instanceBlock + InstanceBlock.PageDirBaseHiOffset));
        return words.Target switch
        {
            PdbTarget.Invalid => (0, MmuFaultReason.UnboundInstance),
            PdbTarget.SystemCoherent or PdbTarget.SystemNonCoherent => (words.Address, MmuFaultReason.SysmemNotModelled),
            _ when !words.BigPageSize64K => (words.Address, MmuFaultReason.UnboundInstance),
            _ when format.Version == MmuVersion.V2 && !words.UseVer2PtFormat => (words.Address, MmuFaultReason.UnboundInstance),
            _ => (words.Address, null),
        };
    }

    /// <summary>Records a fault found outside the walker (by the BAR1 aperture) and returns the logged copy.</summary>
    internal MmuFault Record(MmuFault fault) => Faults.Record(fault);

    internal TranslationResult Translate(ulong pdb, MmuFormat format, ulong va, AccessType access, bool privileged, FaultSource source)
    {
        ArgumentNullException.ThrowIfNull(format);
        if (va < format.VaLimit && Tlb.Lookup(pdb, va) is { } e)
        {
            var flags = e.Flags;
            var level = e.Level;
            if (Check(flags, access, privileged) is { } denied)
            {
                return Fail(Faults.Record(new MmuFault(va, pdb, access, denied, level) { Privileged = privileged, Source = source }), []);
            }

            var hit = new Translation(va, e.PhysicalBase + (va - e.VaBase), (PteAperture)e.Aperture, e.PageSize, (byte)e.Kind, flags, TlbHit: true)
            {
                PeerId = e.PeerId,
                Level = level,
            };
            return TranslationResult.Success(hit, []);
        }

        var result = WalkTables(pdb, format, va, access, privileged, source);
        if (result.Translation is { } t)
        {
            Tlb.Insert(new TlbEntry(
                pdb,
                va & ~(t.PageSize - 1),
                t.PageSize,
                t.PageBase,
                (int)t.Aperture,
                (t.Flags & TranslationFlags.ReadOnly) != 0,
                (t.Flags & TranslationFlags.Privileged) != 0,
                (t.Flags & TranslationFlags.AtomicDisabled) != 0,
                t.Kind)
            {
                Volatile = (t.Flags & TranslationFlags.Volatile) != 0,
                Encrypted = (t.Flags & TranslationFlags.Encrypted) != 0,
                AccessCountingDisabled = (t.Flags & TranslationFlags.AccessCountingDisabled) != 0,
                PeerId = t.PeerId,
                Level = t.Level,
            });
        }
        else if (result.Fault is { } f)
        {
            if (f.Reason.IsFault())
            {
                return TranslationResult.Failure(Faults.Record(f), result.Steps);
            }

            Interlocked.Increment(ref _sparseAccesses);
        }

        return result;
    }

    /// <summary>
    /// The TLB hit path without allocation or lock: the entry the TLB's fast slot holds for <paramref name="va"/>, when it
    /// passes the permission checks (the same rules as <see cref="Check"/>, on the entry's bits), and the hit counted.
    /// Null otherwise, and nothing is counted or logged: the caller then takes the full
    /// <see cref="Translate(ulong, MmuFormat, ulong, AccessType, bool, FaultSource)"/> path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal TlbEntry? TryTlbHit(ulong pdb, MmuFormat format, ulong va, AccessType access, bool privileged)
    {
        if (PeekHit(pdb, format, va, access, privileged) is not { } e)
        {
            return null;
        }

        Tlb.CountHit();
        return e;
    }

    /// <summary>As <see cref="TryTlbHit"/> without counting the hit: the caller counts it with <see cref="GmmuTlb.CountHit"/> if it uses the entry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal TlbEntry? PeekHit(ulong pdb, MmuFormat format, ulong va, AccessType access, bool privileged) =>
        va >= format.VaLimit || Tlb.Peek(pdb, va) is not { } e
        || (e.Privileged && !privileged) || (e.ReadOnly && access != AccessType.Read) || (e.AtomicDisable && access == AccessType.Atomic)
            ? null
            : e;

    private static TranslationResult Fail(MmuFault fault, IReadOnlyList<WalkStep> steps) => TranslationResult.Failure(fault, steps);

    private TranslationResult WalkTables(ulong pdb, MmuFormat format, ulong va, AccessType access, bool privileged, FaultSource source)
    {
        var steps = new List<WalkStep>(8);
        TranslationResult Fault(MmuFaultReason reason, PageTableLevel? level, ulong? entryAddress = null, ulong? raw = null) =>
            Fail(new MmuFault(va, pdb, access, reason, level) { Privileged = privileged, Source = source, EntryAddress = entryAddress, EntryRaw = raw }, steps);

        if (va >= format.VaLimit)
        {
            return Fault(MmuFaultReason.VaOutOfRange, null);
        }

        Interlocked.Increment(ref _walks);
        var gva = new GpuVa(va);
        var table = pdb;
        foreach (var level in format.Levels)
        {
            var entryAddress = format.EntryAddress(new VramAddress(table), level, gva).Value;
            if (!Fits(entryAddress, level.EntrySize))
            {
                return Fault(MmuFaultReason.VramOutOfRange, level.Id, entryAddress);
            }

            var raw = _vram.Read64(entryAddress);
            if (level.IsDual)
            {
                var high = _vram.Read64(entryAddress + 8);
                steps.Add(new WalkStep(level.Id, entryAddress, raw, high));
                return WalkDual(format, level, va, raw, high, entryAddress, access, privileged, steps, Fault);
            }

            steps.Add(new WalkStep(level.Id, entryAddress, raw, null));
            var entry = DecodeDirectory(format.Version, raw);
            switch (entry.Kind)
            {
                case DirKind.Pte when level.PteSize is { } size:
                    return Finish(DecodePte(format.Version, raw), level.Id, size, va, access, privileged, steps, Fault, entryAddress, raw);
                case DirKind.Pte:
                    return Fault(MmuFaultReason.PdeSize, level.Id, entryAddress, raw);
                case DirKind.Sparse:
                    return Fault(MmuFaultReason.Sparse, level.Id, entryAddress, raw);
                case DirKind.Invalid:
                    return Fault(MmuFaultReason.InvalidPde, level.Id, entryAddress, raw);
            }

            if (entry.Next.Aperture != PdeAperture.Video)
            {
                return Fault(MmuFaultReason.SysmemNotModelled, level.Id, entryAddress, raw);
            }

            table = entry.Next.Address;
        }

        // Unreachable for the formats in Spec: every level table ends with the dual PD0 and the small-page table.
        throw new InvalidOperationException($"MMU format {format.Name} has no dual PD0 level.");
    }

    private TranslationResult WalkDual(
        MmuFormat format, MmuLevel pd0, ulong va, ulong low, ulong high, ulong entryAddress, AccessType access, bool privileged,
        List<WalkStep> steps, Func<MmuFaultReason, PageTableLevel?, ulong?, ulong?, TranslationResult> fault)
    {
        var dual = DecodeDual(format.Version, low, high);
        if (dual.IsPte)
        {
            return Finish(DecodePte(format.Version, low), pd0.Id, pd0.PteSize!.Value, va, access, privileged, steps, fault, entryAddress, low);
        }

        if (dual.Sparse)
        {
            return fault(MmuFaultReason.Sparse, pd0.Id, entryAddress, low);
        }

        if (!dual.Big.IsPresent && !dual.Small.IsPresent)
        {
            return fault(MmuFaultReason.InvalidPde, pd0.Id, entryAddress, low);
        }

        var gva = new GpuVa(va);
        ulong? bigEntryAddress = null;
        ulong bigRaw = 0;
        foreach (var (table, level) in new[] { (dual.Big, format.BigPageTable), (dual.Small, format.SmallPageTable) })
        {
            if (!table.IsPresent)
            {
                continue;
            }

            if (table.Aperture != PdeAperture.Video)
            {
                return fault(MmuFaultReason.SysmemNotModelled, pd0.Id, entryAddress, low);
            }

            var pteAddress = format.EntryAddress(new VramAddress(table.Address), level, gva).Value;
            if (!Fits(pteAddress, level.EntrySize))
            {
                return fault(MmuFaultReason.VramOutOfRange, level.Id, pteAddress, null);
            }

            var raw = _vram.Read64(pteAddress);
            steps.Add(new WalkStep(level.Id, pteAddress, raw, null));
            var pte = DecodePte(format.Version, raw);
            var isBig = level.Id == PageTableLevel.PtBig;
            switch (pte.Kind)
            {
                case LeafKind.Valid:
                    return Finish(pte, level.Id, level.PteSize!.Value, va, access, privileged, steps, fault, pteAddress, raw);
                case LeafKind.Sparse:
                    return fault(MmuFaultReason.Sparse, level.Id, pteAddress, raw);
                case LeafKind.NoValid4KPage when isBig:
                    return fault(MmuFaultReason.NoValid4KPage, level.Id, pteAddress, raw);
                default:
                    if (!isBig)
                    {
                        return fault(MmuFaultReason.InvalidPte, level.Id, pteAddress, raw);
                    }

                    // A plain invalid big PTE: the small PTEs decide (docs/page-tables.md, What the hardware does).
                    bigEntryAddress = pteAddress;
                    bigRaw = raw;
                    break;
            }
        }

        // The big PTE was plain invalid and there is no small table.
        return fault(MmuFaultReason.InvalidPte, PageTableLevel.PtBig, bigEntryAddress, bigRaw);
    }

    private static TranslationResult Finish(
        Leaf pte, PageTableLevel level, ulong pageSize, ulong va, AccessType access, bool privileged, List<WalkStep> steps,
        Func<MmuFaultReason, PageTableLevel?, ulong?, ulong?, TranslationResult> fault, ulong entryAddress, ulong raw)
    {
        if (pte.Kind != LeafKind.Valid)
        {
            return fault(pte.Kind == LeafKind.Sparse ? MmuFaultReason.Sparse : MmuFaultReason.InvalidPte, level, entryAddress, raw);
        }

        if (Check(pte.Flags, access, privileged) is { } denied)
        {
            return fault(denied, level, entryAddress, raw);
        }

        // The page's address plus the offset in the page; a large-page PTE's address is page aligned when built by a driver.
        var translation = new Translation(va, pte.Address + (va & (pageSize - 1)), pte.Aperture, pageSize, pte.KindValue, pte.Flags, TlbHit: false)
        {
            PeerId = pte.PeerId,
            Level = level,
        };
        return TranslationResult.Success(translation, steps);
    }

    /// <summary>Permission checks, in the order the model applies them: privilege, read-only, atomic.</summary>
    /// <remarks><see cref="PeekHit"/> states the same three rules on the TLB entry's booleans: calling this on the
    /// entry's flags instead made a TLB hit measurably slower (1.3–1.6× against 1.7–1.8× a dictionary lookup).</remarks>
    private static MmuFaultReason? Check(TranslationFlags flags, AccessType access, bool privileged)
    {
        if ((flags & TranslationFlags.Privileged) != 0 && !privileged)
        {
            return MmuFaultReason.Privilege;
        }

        if ((flags & TranslationFlags.ReadOnly) != 0 && access is AccessType.Write or AccessType.Atomic)
        {
            return MmuFaultReason.ReadOnly;
        }

        if ((flags & TranslationFlags.AtomicDisabled) != 0 && access == AccessType.Atomic)
        {
            return MmuFaultReason.Atomic;
        }

        return null;
    }

    private bool Fits(ulong address, int length) => address < _vram.Size && _vram.Size - address >= (ulong)length;

    private enum DirKind
    {
        Table,
        Pte,
        Sparse,
        Invalid,
    }

    private enum LeafKind
    {
        Valid,
        Sparse,
        NoValid4KPage,
        Invalid,
    }

    private readonly record struct Directory(DirKind Kind, TableRef Next);

    private readonly record struct Dual(bool IsPte, bool Sparse, TableRef Big, TableRef Small);

    private readonly record struct Leaf(LeafKind Kind, PteAperture Aperture, ulong Address, byte KindValue, TranslationFlags Flags, int PeerId);

    private static Directory DecodeDirectory(MmuVersion version, ulong raw)
    {
        if (version == MmuVersion.V2)
        {
            var pde = PdeV2.FromRaw(raw);
            return pde.IsPte ? new(DirKind.Pte, default) : pde.IsSparse ? new(DirKind.Sparse, default) : pde.IsValid ? new(DirKind.Table, pde.Next) : new(DirKind.Invalid, default);
        }

        var v3 = PdeV3.FromRaw(raw);
        return v3.IsPte ? new(DirKind.Pte, default) : v3.IsSparse ? new(DirKind.Sparse, default) : v3.IsValid ? new(DirKind.Table, v3.Next) : new(DirKind.Invalid, default);
    }

    private static Dual DecodeDual(MmuVersion version, ulong low, ulong high)
    {
        if (version == MmuVersion.V2)
        {
            var e = DualPdeV2.FromRaw(low, high);
            return new(e.IsPte, e.IsSparse, e.Big, e.Small);
        }

        var v3 = DualPdeV3.FromRaw(low, high);
        return new(v3.IsPte, v3.IsSparse, v3.Big, v3.Small);
    }

    private static Leaf DecodePte(MmuVersion version, ulong raw)
    {
        if (version == MmuVersion.V2)
        {
            var pte = PteV2.FromRaw(raw);
            if (!pte.IsValid)
            {
                // VALID 0: the model reads only VOL (sparse) and PRIVILEGE ("no valid 4 KiB page" in a big PT), the two invalid
                // encodings in docs/page-tables.md (open-gpu-doc pascal/gp100-mmu-format.pdf; nouveau vmmgp100.c).
                return new(pte.IsSparse ? LeafKind.Sparse : pte.IsNoValidSmallPages ? LeafKind.NoValid4KPage : LeafKind.Invalid, default, 0, 0, 0, 0);
            }

            var f = TranslationFlags.None;
            f |= pte.IsReadOnly ? TranslationFlags.ReadOnly : 0;
            f |= pte.IsPrivileged ? TranslationFlags.Privileged : 0;
            f |= pte.IsAtomicDisabled ? TranslationFlags.AtomicDisabled : 0;
            f |= pte.IsVolatile ? TranslationFlags.Volatile : 0;
            f |= pte.IsEncrypted ? TranslationFlags.Encrypted : 0;
            return new(LeafKind.Valid, pte.Aperture, pte.Address, pte.Kind, f, pte.PeerId);
        }

        var v3 = PteV3.FromRaw(raw);
        if (!v3.IsValid)
        {
            // VALID 0: PCF 1 SPARSE, 3 NO_VALID_4KB_PAGE; 0 INVALID, 2 MAPPING_NOWHERE and undefined values fault as invalid.
            return new(v3.IsSparse ? LeafKind.Sparse : v3.IsNoValidSmallPages ? LeafKind.NoValid4KPage : LeafKind.Invalid, default, 0, 0, 0, 0);
        }

        var pcf = v3.Pcf;
        var g = TranslationFlags.None;
        g |= pcf.IsReadOnly ? TranslationFlags.ReadOnly : 0;
        g |= pcf.IsPrivileged ? TranslationFlags.Privileged : 0;
        g |= pcf.IsNoAtomic ? TranslationFlags.AtomicDisabled : 0;
        g |= pcf.IsUncached ? TranslationFlags.Volatile : 0;
        g |= pcf.IsAccessCountingDisabled ? TranslationFlags.AccessCountingDisabled : 0;
        return new(LeafKind.Valid, v3.Aperture, v3.Address, v3.Kind, g, v3.PeerId);
    }
}
