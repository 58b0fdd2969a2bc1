using NovaMm.Driver.Memory;
using NovaMm.Driver.PageTables;
using NovaMm.Driver.Pramin;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Driver.VirtualMemory;

/// <summary>How to create a <see cref="Vmm"/>.</summary>
public sealed record VmmOptions
{
    /// <summary>The page-table format (the chip's <c>ChipInfo.Format</c>).</summary>
    public required MmuFormat Format { get; init; }

    /// <summary>An existing root directory to manage (e.g. GSP's BAR1 PDB, not owned); null = allocate one.</summary>
    public VramAddress? Pdb { get; init; }

    /// <summary>First usable VA (default 0).</summary>
    public ulong VaStart { get; init; }

    /// <summary>One past the last usable VA; null = the format's whole VA width.</summary>
    public ulong? VaEnd { get; init; }

    /// <summary>Invalidate only the hub TLB on flush (BAR1/BAR2 address spaces, as nouveau does).</summary>
    public bool HubTlbOnly { get; init; }
}

/// <summary>
/// One GPU virtual address space (nova-core v7 <c>mm/vmm.rs</c>; docs/vmm.md), identified by its root page directory (PDB), on MMU v2 or v3
/// at any VA inside the format's width.
/// <para>Beyond nova v7: page sizes 4 KiB to 256 GiB where the format allows; hardware VA indexing; mapping over
/// a live mapping is refused unless <see cref="MapRequest.Replace"/>; page-table pages left empty by an unmap are
/// freed after the flush that makes the GPU forget them; every failure rolls back completely; the exact number of
/// page-table pages a map needs (<see cref="PageTablePagesNeeded"/>).</para>
/// <para>Two phases as in nova-core: <see cref="Prepare"/> does everything that allocates (VA range, page-table pages,
/// zeroing, installing the empty tables — an empty table changes no translation); <see cref="Execute"/> only writes
/// PTEs through PRAMIN and flushes the TLB once, allocating nothing.</para>
/// <para>Locks: <c>_prepareLock</c> serialises preparations and is the only lock held across a VRAM allocation;
/// <c>_stateLock</c> guards the shadow of the page-table tree, the VA space and the mappings and is never held across
/// an allocation, so <see cref="Execute"/> never waits for one. Lock order: _prepareLock, then _stateLock, then the
/// PRAMIN window, then the TLB lock.</para>
/// </summary>
public sealed class Vmm : IDisposable
{
    private readonly Lock _prepareLock = new();
    private readonly Lock _stateLock = new();
    private readonly GpuMm _mm;
    private readonly Dictionary<(PageTableLevel Level, ulong Prefix), Table> _tables = [];
    private readonly OrderedMap<ulong, Mapping> _mappings = new();
    private readonly VaSpace _va;
    private readonly Table _root;
    private bool _disposed;

    /// <summary>Where one table's worth of entries is computed before it goes out in one PRAMIN access (under _stateLock).</summary>
    private ulong[] _scratch = new ulong[1024];

    private readonly Dictionary<PageTableLevel, MmuLevel[]> _chains = [];

    /// <summary>Directory-entry templates per shape (dual?, big half present?, small half present?); under _stateLock.</summary>
    private readonly Dictionary<(bool Dual, bool Big, bool Small), (UInt128 Base, UInt128 BigStep, UInt128 SmallStep)> _directoryTemplates = [];

    /// <summary>Creates the address space; allocates and zeroes a root directory unless <see cref="VmmOptions.Pdb"/> is given.</summary>
    /// <exception cref="ArgumentException">A VA range outside the format's width or not 4 KiB aligned.</exception>
    public Vmm(GpuMm mm, VmmOptions options)
    {
        _mm = mm ?? throw new ArgumentNullException(nameof(mm));
        ArgumentNullException.ThrowIfNull(options);
        Format = options.Format;
        var end = options.VaEnd ?? Format.VaLimit;
        if (end > Format.VaLimit || options.VaStart >= end || (options.VaStart | end) % GpuPage.Size != 0)
        {
            throw new ArgumentException($"VA range 0x{options.VaStart:x}..0x{end:x} is not a 4 KiB aligned range inside the {Format.VaBits}-bit VA space", nameof(options));
        }

        _va = new VaSpace(options.VaStart, end);
        HubTlbOnly = options.HubTlbOnly;
        if (options.Pdb is { } pdb)
        {
            if (!pdb.IsAligned(GpuPage.Size))
            {
                throw new ArgumentException($"PDB {pdb} is not 4 KiB aligned", nameof(options));
            }

            _root = new Table(pdb, Format.Root, null, null);
            OwnsRoot = false;
        }
        else
        {
            var page = _mm.AllocatePage();
            using (var w = _mm.Pramin.Acquire())
            {
                w.Fill(page.Start, GpuPage.Size, 0);
            }

            _root = new Table(page.Start, Format.Root, page, null);
            OwnsRoot = true;
        }

        _tables[(Format.Root.Id, 0)] = _root;
    }

    /// <summary>The page-table format.</summary>
    public MmuFormat Format { get; }

    /// <summary>VRAM address of the root page directory.</summary>
    public VramAddress Pdb => _root.Address;

    /// <summary>Whether the root directory was allocated by (and is freed with) this VMM.</summary>
    public bool OwnsRoot { get; }

    /// <summary>Whether flushes invalidate only the hub TLB.</summary>
    public bool HubTlbOnly { get; }

    /// <summary>First usable VA.</summary>
    public ulong VaStart => _va.Start;

    /// <summary>One past the last usable VA.</summary>
    public ulong VaEnd => _va.End;

    /// <summary>Free VA bytes.</summary>
    public ulong FreeVaBytes
    {
        get
        {
            lock (_stateLock)
            {
                return _va.FreeBytes;
            }
        }
    }

    /// <summary>Page-table pages this VMM holds (root excluded).</summary>
    public int PageTablePages
    {
        get
        {
            lock (_stateLock)
            {
                return _tables.Count - 1;
            }
        }
    }

    /// <summary>Every page-table page of this address space (root first, then by level and VA), from the shadow tree.</summary>
    public IReadOnlyList<(VramAddress Address, string Level)> PageTables()
    {
        lock (_stateLock)
        {
            return _tables.Values.OrderBy(t => t.Parent is null ? 0 : 1).ThenBy(t => t.Level.Id).ThenBy(t => t.Prefix)
                .Select(t => (t.Address, t.Level.Name)).ToArray();
        }
    }

    /// <summary>Live mappings in VA order.</summary>
    public IReadOnlyList<Mapping> Mappings
    {
        get
        {
            lock (_stateLock)
            {
                return _mappings.InOrder().Select(e => e.Value).ToArray();
            }
        }
    }

    /// <summary>Number of live mappings (without copying them, unlike <see cref="Mappings"/>).</summary>
    public int MappingCount
    {
        get
        {
            lock (_stateLock)
            {
                return _mappings.Count;
            }
        }
    }

    /// <summary>
    /// Exactly how many page-table pages mapping <c>[va, va + size)</c> with <paramref name="pageSize"/> pages would
    /// allocate now (nova's <c>pt_pages_upper_bound</c> is not a bound for ranges straddling tables).
    /// </summary>
    public int PageTablePagesNeeded(GpuVa va, ulong size, ulong pageSize)
    {
        var leaf = LeafLevel(pageSize);
        CheckRange(va.Value, size, pageSize);
        lock (_stateLock)
        {
            return Missing(va.Value, size, leaf).Count;
        }
    }

    /// <summary>Prepares a mapping (phase 1): reserves VA, allocates, zeroes and installs the page tables it needs.</summary>
    /// <exception cref="ArgumentException">Bad size, page size, alignment or VA (the message names the value).</exception>
    /// <exception cref="NovaMmException"><see cref="ErrorCode.Busy"/> when the range holds live mappings (and no replace),
    /// <see cref="ErrorCode.NoSpace"/> when no VA range fits, VRAM errors from GpuMm. Nothing changes on failure.</exception>
    public PreparedMapping Prepare(MapRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var leaf = LeafLevel(request.PageSize);
        if (request.Size == 0 || request.Size % request.PageSize != 0)
        {
            throw new ArgumentException($"map size 0x{request.Size:x} is not a non-zero multiple of the page size 0x{request.PageSize:x}", nameof(request));
        }

        if (request.Va is { } want)
        {
            CheckRange(want.Value, request.Size, request.PageSize);
        }
        else if (request.Replace)
        {
            throw new ArgumentException("replace needs an exact VA", nameof(request));
        }

        lock (_prepareLock)
        {
            ulong va;
            Mapping[] replaced = [];
            List<Table> pinned;
            List<(MmuLevel Level, ulong Prefix)> missing;
            lock (_stateLock)
            {
                ThrowIfDisposed();
                (va, replaced) = ReserveVa(request, leaf);
                try
                {
                    CheckLeafSlots(va, request.Size, leaf);
                }
                catch
                {
                    UnreserveVa(va, request.Size, replaced);
                    throw;
                }

                missing = Missing(va, request.Size, leaf);
                pinned = PinPath(va, request.Size, leaf);
            }

            AfterPlanForTesting?.Invoke();

            // Allocate with no lock but _prepareLock held; a failure frees what was taken and changes nothing.
            // One allocator-lock acquisition for all the pages, and one zeroing access per contiguous stretch of them.
            VramAllocation[] pages = [];
            try
            {
                pages = _mm.AllocatePages(missing.Count);
                using var w = _mm.Pramin.Acquire();
                // A page the allocator hands out as cleared was zeroed when it was freed (a scrubbed page table).
                ZeroPages(w, pages.Where(p => !p.IsCleared).Select(p => p.Start.Value));
            }
            catch
            {
                // A clear page was not written (ZeroPages skips them): it goes back to the clear list.
                foreach (var p in pages)
                {
                    _mm.Free(p, p.IsCleared);
                }

                lock (_stateLock)
                {
                    Unpin(pinned);
                    UnreserveVa(va, request.Size, replaced);
                }

                throw;
            }

            lock (_stateLock)
            {
                Install(missing, pages);

                // Every table on the path now exists: the preparation keeps them pinned until it is executed or cancelled.
                var keep = PinPath(va, request.Size, leaf);
                Unpin(pinned);
                return new PreparedMapping(this, new GpuVa(va), request, leaf, keep, replaced, pages.Length);
            }
        }
    }

    /// <summary>
    /// Executes a prepared mapping (phase 2): writes one PTE per page at <paramref name="pages"/>' physical addresses
    /// through PRAMIN and flushes the TLB once. Allocates nothing. Consecutive pages that are physically contiguous are
    /// merged into runs and written as <see cref="ExecuteRuns"/> writes them.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong page count, or a page not aligned to the page size / outside VRAM.</exception>
    /// <exception cref="NovaMmException"><see cref="ErrorCode.TimedOut"/> from the flush: every written entry is restored,
    /// the preparation stays valid and can be executed again or cancelled.</exception>
    public Mapping Execute(PreparedMapping prepared, IReadOnlyList<VramAddress> pages)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(pages);
        CheckPending(prepared);
        var pageSize = prepared.Request.PageSize;
        var count = prepared.Request.Size / pageSize;
        var sparse = prepared.Request.Sparse;
        if ((ulong)pages.Count != (sparse ? 0 : count))
        {
            throw new ArgumentException(sparse
                ? $"{pages.Count} pages given for a sparse mapping (it has none)"
                : $"{pages.Count} pages given for a mapping of {count} pages", nameof(pages));
        }

        var limit = _mm.Pramin.Limit;
        var runs = new List<VramRange>();
        ulong runStart = 0, runSize = 0;
        for (var i = 0; i < pages.Count; i++)
        {
            var p = pages[i].Value;
            if (p % pageSize != 0 || p >= limit || pageSize > limit - p)
            {
                throw new ArgumentException($"page {i} at {pages[i]} is not a {PageSize.Format(pageSize)}-aligned page inside VRAM", nameof(pages));
            }

            if (runSize > 0 && runStart + runSize == p)
            {
                runSize += pageSize;
            }
            else
            {
                if (runSize > 0)
                {
                    runs.Add(new VramRange(new VramAddress(runStart), runSize));
                }

                (runStart, runSize) = (p, pageSize);
            }
        }

        if (runSize > 0)
        {
            runs.Add(new VramRange(new VramAddress(runStart), runSize));
        }

        return ExecuteCore(prepared, [.. runs]);
    }

    /// <summary>
    /// Executes a prepared mapping (phase 2) onto runs of physically contiguous memory, in VA order: the first run
    /// backs the first <c>run.Size</c> bytes of the mapping, the next one the bytes after. Each leaf table's share of
    /// the mapping is computed into a buffer and written with one PRAMIN access; the TLB is flushed once. Allocates
    /// nothing from VRAM, and nothing per page on the host.
    /// </summary>
    /// <exception cref="ArgumentException">A run that is empty, not made of page-size-aligned pages, or outside VRAM;
    /// runs that do not add up to the mapping's size; runs for a sparse mapping. The preparation stays pending.</exception>
    /// <exception cref="NovaMmException"><see cref="ErrorCode.TimedOut"/> from the flush: every written entry is restored,
    /// the preparation stays valid and can be executed again or cancelled.</exception>
    public Mapping ExecuteRuns(PreparedMapping prepared, IReadOnlyList<VramRange> runs)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(runs);
        CheckPending(prepared);
        var pageSize = prepared.Request.PageSize;
        var size = prepared.Request.Size;
        if (prepared.Request.Sparse && runs.Count != 0)
        {
            throw new ArgumentException($"{runs.Count} runs given for a sparse mapping (it has none)", nameof(runs));
        }

        var limit = _mm.Pramin.Limit;
        var merged = new List<VramRange>(runs.Count);
        var total = 0UL;
        for (var i = 0; i < runs.Count; i++)
        {
            var r = runs[i];
            if (r.Size == 0 || !r.Start.IsAligned(pageSize) || r.Size % pageSize != 0)
            {
                throw new ArgumentException($"run {i} ({r.Start}+0x{r.Size:x}) is not made of {PageSize.Format(pageSize)}-aligned pages", nameof(runs));
            }

            if (r.Start.Value >= limit || r.Size > limit - r.Start.Value)
            {
                throw new ArgumentException($"run {i} ({r.Start}+0x{r.Size:x}) is not inside VRAM (0x0..0x{limit:x})", nameof(runs));
            }

            if (r.Size > size - total)
            {
                throw new ArgumentException($"run {i} ({r.Start}+0x{r.Size:x}) goes past the end of the 0x{size:x}-byte mapping", nameof(runs));
            }

            total += r.Size;
            if (merged.Count > 0 && merged[^1].End == r.Start)
            {
                merged[^1] = new VramRange(merged[^1].Start, merged[^1].Size + r.Size);
            }
            else
            {
                merged.Add(r);
            }
        }

        if (!prepared.Request.Sparse && total != size)
        {
            throw new ArgumentException($"runs cover 0x{total:x} bytes; the mapping has 0x{size:x}", nameof(runs));
        }

        return ExecuteCore(prepared, [.. merged]);
    }

    private void CheckPending(PreparedMapping prepared)
    {
        if (!ReferenceEquals(prepared.Owner, this) || prepared.IsDone)
        {
            throw new ArgumentException("the prepared mapping is not pending on this VMM", nameof(prepared));
        }
    }

    /// <summary>Phase 2 on validated, merged runs: leaf spans per table, one write each, one flush, then commit.</summary>
    private Mapping ExecuteCore(PreparedMapping prepared, VramRange[] runs)
    {
        var request = prepared.Request;
        var leaf = prepared.Leaf;
        var va = prepared.Va.Value;
        LeafEntries entries;
        if (request.Sparse)
        {
            var (lo, hi) = EntryCodec.Sparse(Format, leaf);
            entries = LeafEntries.Constant(lo, hi);
        }
        else
        {
            entries = LeafEntries.ForRuns(Format, leaf, va, request.PageSize, runs, request.Attributes);
        }

        lock (_stateLock)
        {
            ThrowIfDisposed();
            if (prepared.IsDone)
            {
                throw new ArgumentException("the prepared mapping is not pending on this VMM", nameof(prepared));
            }

            var removals = new List<LeafSpan>();
            foreach (var old in prepared.Replaced)
            {
                AddSpans(removals, old, LeafEntries.Invalid, old.Entries);
            }

            var additions = new List<LeafSpan>();
            AddSpans(additions, va, request.Size, leaf, entries, LeafEntries.Invalid);
            Apply(removals, additions, prepared.LeafPins);
            foreach (var old in prepared.Replaced)
            {
                old.IsUnmapped = true;
                old.PendingReplace = false;
                _mappings.Remove(old.Va.Value);
            }

            var mapping = new Mapping(prepared.Va, request.Size, request.PageSize, request.Attributes, entries, prepared.PtPagesAllocated) { IsSparse = request.Sparse };
            _mappings.Set(va, mapping);
            prepared.IsDone = true;
            return mapping;
        }
    }

    /// <summary>Prepares and executes in one call (nova's <c>map_pages</c>).</summary>
    public Mapping Map(MapRequest request, IReadOnlyList<VramAddress> pages)
    {
        using var prepared = Prepare(request);
        return Execute(prepared, pages);
    }

    /// <summary>Prepares and executes onto runs of contiguous memory in one call (see <see cref="ExecuteRuns"/>).</summary>
    public Mapping MapRuns(MapRequest request, IReadOnlyList<VramRange> runs)
    {
        using var prepared = Prepare(request);
        return ExecuteRuns(prepared, runs);
    }

    /// <summary>Maps <paramref name="size"/> bytes sparse: reads return zero, writes are dropped, nothing faults.</summary>
    public Mapping MapSparse(ulong size, ulong pageSize = GpuPage.Size, GpuVa? va = null) =>
        MapRuns(new MapRequest { Size = size, PageSize = pageSize, Va = va, Sparse = true }, []);

    /// <summary>Maps the blocks of a VRAM allocation, contiguous in VA, in block-list order (each block is one run).</summary>
    /// <exception cref="ArgumentException">A block not aligned to the page size or not a multiple of it.</exception>
    public Mapping Map(VramAllocation allocation, ulong pageSize = GpuPage.Size, GpuVa? va = null, MapAttributes attributes = default, bool replace = false)
    {
        ArgumentNullException.ThrowIfNull(allocation);
        foreach (var b in allocation.Blocks)
        {
            if (!b.Start.IsAligned(pageSize) || b.Size % pageSize != 0)
            {
                throw new ArgumentException($"block {b} is not made of {PageSize.Format(pageSize)} pages", nameof(allocation));
            }
        }

        return MapRuns(new MapRequest { Size = allocation.Size, PageSize = pageSize, Va = va, Attributes = attributes, Replace = replace }, allocation.Blocks);
    }

    /// <summary>
    /// Unmaps <paramref name="mapping"/>: invalid PTEs, page tables left empty detached, one TLB flush, then the
    /// detached pages freed and the VA released.
    /// </summary>
    /// <exception cref="NovaMmException"><see cref="ErrorCode.NotMapped"/> if it is not live here; <see cref="ErrorCode.TimedOut"/>
    /// from the flush (everything restored, still mapped).</exception>
    public void Unmap(Mapping mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        lock (_stateLock)
        {
            ThrowIfDisposed();
            if (mapping.IsUnmapped || !_mappings.TryGetValue(mapping.Va.Value, out var live) || !ReferenceEquals(live, mapping))
            {
                throw new NovaMmException(ErrorCode.NotMapped, $"mapping {mapping} is not live in this VMM");
            }

            if (mapping.PendingReplace)
            {
                throw new NovaMmException(ErrorCode.Busy, $"mapping {mapping} is being replaced by a prepared mapping");
            }

            var removals = new List<LeafSpan>();
            AddSpans(removals, mapping, LeafEntries.Invalid, mapping.Entries);
            Apply(removals, [], []);
            _mappings.Remove(mapping.Va.Value);
            _va.Release(mapping.Va.Value, mapping.Size);
            mapping.IsUnmapped = true;
        }
    }

    /// <summary>Walks <paramref name="va"/> through the page tables in VRAM (via PRAMIN).</summary>
    public WalkResult Walk(GpuVa va)
    {
        using var w = _mm.Pramin.Acquire();
        return PageTableWalker.Walk(w, Pdb, Format, va);
    }

    /// <summary>The physical address <paramref name="va"/> maps to according to the page tables in VRAM, or null (nova's <c>read_mapping</c>).</summary>
    public VramAddress? ReadMapping(GpuVa va) => Walk(va).PhysicalAddress;

    /// <summary>Test hook: runs inside <see cref="Prepare"/> between planning and allocating (the window another
    /// preparation could race into if preparations were not serialised).</summary>
    internal Action? AfterPlanForTesting { get; set; }

    /// <summary>Test hook: leave out the TLB flush of map and unmap, to prove the tests can see a missing flush.</summary>
    internal bool SkipFlushForTesting { get; set; }

    /// <summary>Flushes this address space from the TLB.</summary>
    public void Flush() => _mm.Tlb.Flush(Pdb, HubTlbOnly);

    /// <summary>
    /// Unmaps everything, detaches and frees every page table (and the root if owned). A borrowed root (GSP's BAR1
    /// PDB) is left with no entries of ours — unlike nova's self-test, which leaves PDEs pointing at freed VRAM.
    /// </summary>
    public void Dispose()
    {
        lock (_prepareLock)
        {
            lock (_stateLock)
            {
                if (_disposed)
                {
                    return;
                }

                var removals = new List<LeafSpan>();
                foreach (var (_, m) in _mappings.InOrder())
                {
                    AddSpans(removals, m, LeafEntries.Invalid, m.Entries);
                }

                Apply(removals, [], [], _tables.Values.Where(t => t != _root));
                _mappings.Clear();
                if (OwnsRoot)
                {
                    _mm.Free(_root.Allocation!);
                }

                _disposed = true;
            }
        }
    }

    internal void Cancel(PreparedMapping prepared)
    {
        lock (_stateLock)
        {
            if (prepared.IsDone)
            {
                return;
            }

            prepared.IsDone = true;
            UnreserveVa(prepared.Va.Value, prepared.Request.Size, prepared.Replaced);
            try
            {
                Apply([], [], prepared.LeafPins);
            }
            catch (NovaMmException)
            {
                // The flush that would let us free the now-empty tables failed: they stay installed (empty, so they
                // change no translation) and tracked, and a later unmap, cancel or Dispose frees them.
                Unpin(prepared.LeafPins);
                throw;
            }
        }
    }

    private MmuLevel LeafLevel(ulong pageSize) =>
        Format.TryGetLevelForPageSize(pageSize, out var level)
            ? level
            : throw new ArgumentException($"page size 0x{pageSize:x} is not supported by {Format.Name} (supported: {string.Join(", ", Format.PageSizes.Select(PageSize.Format))})", nameof(pageSize));

    private void CheckRange(ulong va, ulong size, ulong pageSize)
    {
        if (va % pageSize != 0)
        {
            throw new ArgumentException($"VA 0x{va:x} is not aligned to the page size 0x{pageSize:x}", nameof(va));
        }

        if (size == 0 || va < _va.Start || va >= _va.End || size > _va.End - va)
        {
            throw new ArgumentException($"VA range 0x{va:x}+0x{size:x} is outside this address space (0x{_va.Start:x}..0x{_va.End:x})", nameof(va));
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>The levels of the tables from the root down to the one holding <paramref name="leaf"/> entries (computed once per leaf level).</summary>
    private MmuLevel[] Chain(MmuLevel leaf)
    {
        lock (_chains)
        {
            if (!_chains.TryGetValue(leaf.Id, out var chain))
            {
                chain = [.. BuildChain(leaf)];
                _chains[leaf.Id] = chain;
            }

            return chain;
        }
    }

    private List<MmuLevel> BuildChain(MmuLevel leaf)
    {
        var chain = new List<MmuLevel>();
        foreach (var level in Format.Levels)
        {
            if (leaf.Id == PageTableLevel.PtBig && level.Id == PageTableLevel.Pt)
            {
                chain.Add(leaf);
                break;
            }

            chain.Add(level);
            if (level.Id == leaf.Id)
            {
                break;
            }
        }

        return chain;
    }

    /// <summary>The VA shift that identifies the table of <paramref name="level"/> holding a VA.</summary>
    private static int TableShift(MmuLevel level) => level.VaBits.Hi + 1;

    private List<(MmuLevel Level, ulong Prefix)> Missing(ulong va, ulong size, MmuLevel leaf)
    {
        var missing = new List<(MmuLevel, ulong)>();
        foreach (var level in Chain(leaf).AsSpan(1))
        {
            var shift = TableShift(level);
            for (var p = va >> shift; p <= (va + size - 1) >> shift; p++)
            {
                if (!_tables.ContainsKey((level.Id, p)))
                {
                    missing.Add((level, p));
                }
            }
        }

        return missing;
    }

    private List<Table> PinPath(ulong va, ulong size, MmuLevel leaf)
    {
        var pinned = new List<Table>();
        foreach (var level in Chain(leaf))
        {
            var shift = TableShift(level);
            for (var p = va >> shift; p <= (va + size - 1) >> shift; p++)
            {
                if (_tables.TryGetValue((level.Id, p), out var t))
                {
                    t.Pins++;
                    pinned.Add(t);
                }
            }
        }

        return pinned;
    }

    private static void Unpin(List<Table> tables)
    {
        foreach (var t in tables)
        {
            t.Pins--;
        }
    }

    /// <summary>A large-page leaf slot must not hold a page table: check every slot of the range.</summary>
    private void CheckLeafSlots(ulong va, ulong size, MmuLevel leaf)
    {
        if (leaf.IsPageTable)
        {
            return;
        }

        var childLevels = Format.AllLevels.Where(l => l.VaBits.Hi < leaf.VaBits.Lo).ToList();
        for (var at = va; at < va + size; at += leaf.PteSize!.Value)
        {
            foreach (var child in childLevels)
            {
                if (_tables.TryGetValue((child.Id, at >> TableShift(child)), out var t) && (t.Used > 0 || t.Pins > 0))
                {
                    throw new NovaMmException(ErrorCode.Busy, $"VA 0x{at:x} is covered by a {child.Name} page table in use: a {PageSize.Format(leaf.PteSize!.Value)} page cannot go there");
                }
            }
        }
    }

    private (ulong Va, Mapping[] Replaced) ReserveVa(MapRequest request, MmuLevel leaf)
    {
        var pageSize = request.PageSize;
        if (request.Va is not { } want)
        {
            return (_va.TryAllocate(request.Size, pageSize)
                ?? throw new NovaMmException(ErrorCode.NoSpace, $"no free VA range of 0x{request.Size:x} bytes aligned to 0x{pageSize:x} (0x{_va.FreeBytes:x} free in {_va.FreeRanges} ranges)"), []);
        }

        var start = want.Value;
        var end = start + request.Size;
        var overlapping = Overlapping(start, end);
        if (overlapping.Length > 0 && !request.Replace)
        {
            throw new NovaMmException(ErrorCode.Busy, $"VA range {want}..0x{end:x} overlaps live mapping {overlapping[0]} (ask to replace it)");
        }

        foreach (var m in overlapping)
        {
            if (m.Va.Value < start || m.End.Value > end)
            {
                throw new NovaMmException(ErrorCode.Busy, $"mapping {m} sticks out of the replaced range {want}..0x{end:x}");
            }

            if (m.PendingReplace)
            {
                throw new NovaMmException(ErrorCode.Busy, $"mapping {m} is already being replaced");
            }

            if (m.PageSize != request.PageSize)
            {
                // Changing page size in place would rewrite live directory entries before the new PTEs exist.
                throw new NovaMmException(ErrorCode.Busy, $"mapping {m} uses {PageSize.Format(m.PageSize)} pages: replace keeps the page size (unmap it first)");
            }
        }

        foreach (var m in overlapping)
        {
            _va.Release(m.Va.Value, m.Size);
        }

        if (!_va.TryAllocateExact(start, request.Size))
        {
            foreach (var m in overlapping)
            {
                _va.TryAllocateExact(m.Va.Value, m.Size);
            }

            throw new NovaMmException(ErrorCode.Busy, $"VA range {want}..0x{end:x} is reserved by a pending mapping");
        }

        foreach (var m in overlapping)
        {
            m.PendingReplace = true;
        }

        return (start, overlapping);
    }

    /// <summary>The live mappings meeting <c>[start, end)</c>, in VA order: O(log n + k) since mappings do not overlap.</summary>
    private Mapping[] Overlapping(ulong start, ulong end)
    {
        var found = new List<Mapping>();
        var key = end;
        while (_mappings.TryLower(key, out _, out var m) && m.End.Value > start)
        {
            found.Add(m);
            key = m.Va.Value;
        }

        found.Reverse();
        return [.. found];
    }

    private void UnreserveVa(ulong va, ulong size, IReadOnlyList<Mapping> replaced)
    {
        _va.Release(va, size);
        foreach (var m in replaced)
        {
            _va.TryAllocateExact(m.Va.Value, m.Size);
            m.PendingReplace = false;
        }
    }

    private void Install(List<(MmuLevel Level, ulong Prefix)> missing, VramAllocation[] pages)
    {
        var created = new List<Table>(missing.Count);
        for (var i = 0; i < missing.Count; i++)
        {
            var (level, prefix) = missing[i];
            var table = new Table(pages[i].Start, level, pages[i], prefix);
            _tables[(level.Id, prefix)] = table;
            var va = prefix << TableShift(level);
            var parentLevel = ParentLevel(level);
            var parent = _tables[(parentLevel.Id, va >> TableShift(parentLevel))];
            table.Parent = parent;
            parent.Used++;
            created.Add(table);
        }

        using var w = _mm.Pramin.Acquire();
        RewriteParentEntries(w, created, [], null);
    }

    /// <summary>
    /// Rewrites, from the shadow, the directory entries pointing at <paramref name="children"/> (leaving out
    /// <paramref name="detached"/>): the entries of one parent that are consecutive go out as one span, so installing
    /// or detaching the 512 page tables under a directory is one PRAMIN access, not 512. With <paramref name="undo"/>,
    /// each span's old bytes are recorded first.
    /// </summary>
    private void RewriteParentEntries(PraminWindow w, ICollection<Table> children, HashSet<Table> detached, List<Undo>? undo)
    {
        if (children.Count == 0)
        {
            return;
        }

        var slots = children
            .Select(c => (Parent: c.Parent!, Level: ParentLevel(c.Level), Va: c.Prefix!.Value << TableShift(c.Level)))
            .Select(x => (x.Parent, x.Level, Index: x.Level.IndexOf(new GpuVa(x.Va)), x.Va))
            .DistinctBy(x => (x.Parent, x.Index))
            .OrderBy(x => x.Parent.Address.Value).ThenBy(x => x.Index)
            .ToList();
        var i = 0;
        while (i < slots.Count)
        {
            var (parent, level, first, va) = slots[i];
            var j = i + 1;
            while (j < slots.Count && slots[j].Parent == parent && slots[j].Index == slots[j - 1].Index + 1)
            {
                j++;
            }

            var words = level.EntrySize / 8;
            var n = (j - i) * words;
            if (_scratch.Length < n)
            {
                _scratch = new ulong[n];
            }

            var at = new VramAddress(parent.Address.Value + ((ulong)first * (ulong)level.EntrySize));
            if (undo is not null)
            {
                var old = new byte[n * 8];
                w.Read(at, old);
                undo.Add(new Undo(at, old, default));
            }

            for (var k = 0; k < j - i; k++)
            {
                // Directory entries are computed from a per-shape template; both ends of every span are checked against
                // the entry codec (an encoding that is not linear in the table address would be caught there).
                var check = k == 0 || k == j - i - 1;
                var (lo, hi) = ParentEntry(level, va + ((ulong)k * level.EntryCoverage), detached, check);
                _scratch[k * words] = lo;
                if (words == 2)
                {
                    _scratch[(k * words) + 1] = hi;
                }
            }

            w.Write64Span(at, _scratch.AsSpan(0, n));
            i = j;
        }
    }

    /// <summary>The directory entry of <paramref name="parentLevel"/> covering <paramref name="va"/>, from the shadow, leaving out <paramref name="detached"/>.</summary>
    private (ulong Low, ulong High) ParentEntry(MmuLevel parentLevel, ulong va, HashSet<Table> detached, bool checkCodec)
    {
        VramAddress? big = null, small;
        if (parentLevel.IsDual)
        {
            var p = va >> TableShift(Format.SmallPageTable);
            big = _tables.TryGetValue((PageTableLevel.PtBig, p), out var b) && !detached.Contains(b) ? b.Address : null;
            small = _tables.TryGetValue((PageTableLevel.Pt, p), out var s) && !detached.Contains(s) ? s.Address : null;
        }
        else
        {
            var childLevel = ChildLevel(parentLevel);
            small = _tables.TryGetValue((childLevel.Id, va >> TableShift(childLevel)), out var c) && !detached.Contains(c) ? c.Address : null;
        }

        var entry = DirectoryEntry(parentLevel.IsDual, big, small);
        if (checkCodec && entry != DirectoryEntryFromCodec(parentLevel.IsDual, big, small))
        {
            throw new InvalidOperationException($"{Format.Name} {parentLevel.Name} entries are not linear in the table address (VA 0x{va:x})");
        }

        return entry;
    }

    private (ulong Low, ulong High) DirectoryEntryFromCodec(bool dual, VramAddress? big, VramAddress? small)
    {
        static TableRef Ref(VramAddress? a) => a is { } x ? TableRef.Vram(x) : TableRef.None;
        return dual ? EntryCodec.DualPde(Format, Ref(big), Ref(small)) : (EntryCodec.Pde(Format, Ref(small)), 0);
    }

    /// <summary>
    /// A directory entry (a PDE, or a dual PDE with a big and a small half) from a template per shape — which halves
    /// are present — built with the codec once: the table addresses are plain binary fields, so the 128-bit entry is
    /// <c>base + (big/4K - 1) × bigStep + (small/4K - 1) × smallStep</c>. The codec costs hundreds of nanoseconds per
    /// entry; a table install or detach writes hundreds of entries.
    /// </summary>
    private (ulong Low, ulong High) DirectoryEntry(bool dual, VramAddress? big, VramAddress? small)
    {
        if (big is null && small is null)
        {
            return DirectoryEntryFromCodec(dual, null, null);
        }

        var key = (dual, big.HasValue, small.HasValue);
        if (!_directoryTemplates.TryGetValue(key, out var t))
        {
            var one = new VramAddress(GpuPage.Size);
            var two = new VramAddress(2 * GpuPage.Size);
            var baseEntry = Wide(DirectoryEntryFromCodec(dual, big.HasValue ? one : null, small.HasValue ? one : null));
            var bigStep = big.HasValue ? Wide(DirectoryEntryFromCodec(dual, two, small.HasValue ? one : null)) - baseEntry : 0;
            var smallStep = small.HasValue ? Wide(DirectoryEntryFromCodec(dual, big.HasValue ? one : null, two)) - baseEntry : 0;
            t = (baseEntry, bigStep, smallStep);
            _directoryTemplates[key] = t;
        }

        var value = t.Base;
        if (big is { } bg)
        {
            value += ((UInt128)(bg.Value / GpuPage.Size) - 1) * t.BigStep;
        }

        if (small is { } sm)
        {
            value += ((UInt128)(sm.Value / GpuPage.Size) - 1) * t.SmallStep;
        }

        return ((ulong)value, (ulong)(value >> 64));

        static UInt128 Wide((ulong Low, ulong High) e) => ((UInt128)e.High << 64) | e.Low;
    }

    private MmuLevel ParentLevel(MmuLevel level)
    {
        if (level.Id == PageTableLevel.PtBig)
        {
            return Format.DualLevel;
        }

        var levels = Format.Levels;
        for (var i = 1; i < levels.Count; i++)
        {
            if (levels[i].Id == level.Id)
            {
                return levels[i - 1];
            }
        }

        throw new InvalidOperationException($"{level.Name} has no parent level");
    }

    private MmuLevel ChildLevel(MmuLevel parentLevel)
    {
        var levels = Format.Levels;
        for (var i = 0; i < levels.Count - 1; i++)
        {
            if (levels[i].Id == parentLevel.Id)
            {
                return levels[i + 1];
            }
        }

        throw new InvalidOperationException($"{parentLevel.Name} has no child level");
    }

    /// <summary>Zeroes fresh page-table pages: one fill per physically contiguous stretch of them.</summary>
    private static void ZeroPages(PraminWindow w, IEnumerable<ulong> pages)
    {
        var starts = pages.ToArray();
        if (starts.Length == 0)
        {
            return;
        }

        Array.Sort(starts);
        var i = 0;
        while (i < starts.Length)
        {
            var j = i + 1;
            while (j < starts.Length && starts[j] == starts[j - 1] + GpuPage.Size)
            {
                j++;
            }

            w.Fill(new VramAddress(starts[i]), (ulong)(j - i) * GpuPage.Size, 0);
            i = j;
        }
    }

    /// <summary>The leaf-table spans of <paramref name="m"/>, to be written with <paramref name="source"/>.</summary>
    private void AddSpans(List<LeafSpan> spans, Mapping m, LeafEntries source, LeafEntries undo) =>
        AddSpans(spans, m.Va.Value, m.Size, LeafLevel(m.PageSize), source, undo);

    /// <summary>
    /// Cuts <c>[va, va + size)</c> at leaf-table boundaries: one span per table, its entries consecutive. For page
    /// tables, the entries a span replaces are known (invalid where no mapping is, the replaced mapping's where one
    /// is), so <paramref name="undo"/> rewrites them on rollback; directory-level leaves copy the old bytes instead.
    /// </summary>
    private void AddSpans(List<LeafSpan> spans, ulong va, ulong size, MmuLevel leaf, LeafEntries source, LeafEntries undo)
    {
        var shift = TableShift(leaf);
        var pageSize = leaf.PteSize!.Value;
        var end = va + size;
        for (var at = va; at < end;)
        {
            var next = Math.Min(end, ((at >> shift) + 1) << shift);
            var table = _tables[(leaf.Id, at >> shift)];
            spans.Add(new LeafSpan(table, leaf.IndexOf(new GpuVa(at)), (int)((next - at) / pageSize), at, source, leaf.IsPageTable ? undo : null));
            at = next;
        }
    }

    /// <summary>Computes a span's entries from <paramref name="source"/> and writes them with one PRAMIN access.</summary>
    private void WriteSpan(PraminWindow w, in LeafSpan span, LeafEntries source)
    {
        var words = span.Table.Level.EntrySize / 8;
        var n = span.Count * words;
        if (_scratch.Length < n)
        {
            _scratch = new ulong[n];
        }

        var buffer = _scratch.AsSpan(0, n);
        source.Fill(span.Va, span.Count, words, buffer);
        w.Write64Span(span.At, buffer);
    }

    /// <summary>
    /// Writes leaf entries (removals as invalid, then additions), detaches tables the change leaves empty, flushes
    /// once, and only then commits the shadow and frees the detached pages. On a flush failure every write is undone
    /// in reverse order and nothing is committed.
    /// </summary>
    private void Apply(List<LeafSpan> removals, List<LeafSpan> additions, List<Table> unpin, IEnumerable<Table>? alsoCheck = null)
    {
        var delta = new Dictionary<Table, int>();
        foreach (var r in removals)
        {
            delta[r.Table] = delta.GetValueOrDefault(r.Table) - r.Count;
        }

        foreach (var a in additions)
        {
            delta[a.Table] = delta.GetValueOrDefault(a.Table) + a.Count;
        }

        var pinDelta = new Dictionary<Table, int>();
        foreach (var t in unpin)
        {
            pinDelta[t] = pinDelta.GetValueOrDefault(t) + 1;
            delta.TryAdd(t, 0);
        }

        foreach (var t in alsoCheck ?? [])
        {
            delta.TryAdd(t, 0);
        }

        // Tables that end up with no entries and no pins are detached, bottom-up.
        var detached = new HashSet<Table>();
        var queue = new Queue<Table>(delta.Keys);
        while (queue.Count > 0)
        {
            var t = queue.Dequeue();
            if (t == _root || detached.Contains(t) || t.Used + delta.GetValueOrDefault(t) != 0 || t.Pins - pinDelta.GetValueOrDefault(t) != 0)
            {
                continue;
            }

            detached.Add(t);
            delta[t.Parent!] = delta.GetValueOrDefault(t.Parent!) - 1;
            queue.Enqueue(t.Parent!);
        }

        var undo = new List<Undo>();
        using (var w = _mm.Pramin.Acquire())
        {
            // A table this change detaches is cut off at its parent and scrubbed after the flush: writing invalid
            // entries into it first would only write the same page twice.
            WriteSpans(w, removals, undo, detached);
            WriteSpans(w, additions, undo, detached);
            RewriteParentEntries(w, detached.Where(t => !detached.Contains(t.Parent!)).ToList(), detached, undo);

            if (removals.Count + additions.Count + detached.Count > 0)
            {
                try
                {
                    if (!SkipFlushForTesting)
                    {
                        Flush();
                    }
                }
                catch
                {
                    for (var i = undo.Count - 1; i >= 0; i--)
                    {
                        if (undo[i].Old is { } old)
                        {
                            w.Write(undo[i].At, old);
                        }
                        else
                        {
                            WriteSpan(w, undo[i].Span, undo[i].Span.Undo!);
                        }
                    }

                    throw;
                }
            }

            // The GPU has forgotten the detached tables: scrub them so freed VRAM holds no stale directory entries.
            ZeroPages(w, detached.Select(t => t.Address.Value));
        }

        foreach (var (t, d) in delta)
        {
            t.Used += d;
        }

        foreach (var (t, d) in pinDelta)
        {
            t.Pins -= d;
        }

        foreach (var t in detached)
        {
            _tables.Remove((t.Level.Id, t.Prefix!.Value));
        }

        // Scrubbed above: they go back as known-zero, so the next preparation that gets them need not zero them again.
        _mm.FreeAll(detached.Select(t => t.Allocation!), cleared: true);
    }

    /// <summary>Writes each span with one PRAMIN access, recording how to undo it (rewrite, or the old bytes).</summary>
    private void WriteSpans(PraminWindow w, List<LeafSpan> spans, List<Undo> undo, HashSet<Table> detached)
    {
        foreach (var span in spans)
        {
            if (detached.Contains(span.Table))
            {
                continue;
            }

            if (span.Undo is null)
            {
                var old = new byte[span.Count * span.Table.Level.EntrySize];
                w.Read(span.At, old);
                undo.Add(new Undo(span.At, old, default));
            }
            else
            {
                undo.Add(new Undo(span.At, null, span));
            }

            WriteSpan(w, span, span.Source);
        }
    }

    /// <summary>A page-table page in the shadow of the tree: where it is, what covers it, how many entries are in use.</summary>
    internal sealed class Table(VramAddress address, MmuLevel level, VramAllocation? allocation, ulong? prefix)
    {
        public VramAddress Address { get; } = address;

        public MmuLevel Level { get; } = level;

        public VramAllocation? Allocation { get; } = allocation;

        public ulong? Prefix { get; } = prefix;

        public Table? Parent { get; set; }

        public int Used { get; set; }

        public int Pins { get; set; }
    }

    /// <summary>
    /// Consecutive leaf entries of one table: <paramref name="Count"/> entries from index <paramref name="First"/>,
    /// mapping from <paramref name="Va"/>, to hold <paramref name="Source"/>'s entries; <paramref name="Undo"/> gives
    /// the entries they held before (null: copy them before writing).
    /// </summary>
    private readonly record struct LeafSpan(Table Table, int First, int Count, ulong Va, LeafEntries Source, LeafEntries? Undo)
    {
        public VramAddress At => new(Table.Address.Value + ((ulong)First * (ulong)Table.Level.EntrySize));
    }

    /// <summary>How to undo one write: restore <paramref name="Old"/> at <paramref name="At"/>, or (when null) rewrite <paramref name="Span"/> from its undo source.</summary>
    private readonly record struct Undo(VramAddress At, byte[]? Old, LeafSpan Span);
}
