using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using NovaMm.Driver.Pramin;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Driver.PageTables;

/// <summary>
/// One non-zero entry of a page-table tree, as <see cref="PageTableDump"/> found it.
/// </summary>
/// <param name="Level">The level of the table the entry is in.</param>
/// <param name="Index">The entry's index in its table.</param>
/// <param name="VaStart">First VA the entry covers.</param>
/// <param name="VaEnd">One past the last VA the entry covers.</param>
/// <param name="EntryAddress">VRAM address of the entry.</param>
/// <param name="Low">The entry (low qword of a dual PDE).</param>
/// <param name="High">The high qword of a dual PDE; null for 8-byte entries.</param>
/// <param name="Decoded">The decoded entry.</param>
/// <param name="Children">Entries of the tables this entry points to (for a dual PDE: the big-page table's, then the small-page table's).</param>
/// <param name="Notes">What the dumper could not follow or found wrong here (table outside VRAM, visited twice, in system memory, reserved bits).</param>
public sealed record PageTableNode(
    MmuLevel Level,
    int Index,
    ulong VaStart,
    ulong VaEnd,
    VramAddress EntryAddress,
    ulong Low,
    ulong? High,
    PageTableEntryInfo Decoded,
    IReadOnlyList<PageTableNode> Children,
    IReadOnlyList<string> Notes)
{
    /// <summary>The entry as hex: 16 digits, or 32 for a dual PDE (high qword first: the 128-bit value).</summary>
    public string RawHex => PageTableDump.RawHex(Low, High);
}

/// <summary>The attributes that must match for pages to coalesce into one <see cref="MappedRange"/>.</summary>
/// <param name="Aperture">Where the pages are.</param>
/// <param name="PeerId">The peer id (peer aperture only).</param>
/// <param name="ReadOnly">Writes fault.</param>
/// <param name="Privileged">Privileged accesses only.</param>
/// <param name="AtomicDisabled">Atomics fault.</param>
/// <param name="Volatile">v2 VOL / v3 PCF uncached.</param>
/// <param name="Encrypted">v2 ENCRYPTED.</param>
/// <param name="Kind">The PTE kind.</param>
/// <param name="PcfName">v3: the PCF name; null for v2.</param>
public readonly record struct MappingAttributes(
    PteAperture Aperture, int PeerId, bool ReadOnly, bool Privileged, bool AtomicDisabled, bool Volatile, bool Encrypted, byte Kind, string? PcfName)
{
    /// <summary>The attributes of a valid decoded PTE.</summary>
    public static MappingAttributes Of(DecodedPte pte)
    {
        ArgumentNullException.ThrowIfNull(pte);
        return new(pte.Aperture, pte.Aperture == PteAperture.Peer ? pte.PeerId : 0, pte.ReadOnly, pte.Privileged, pte.AtomicDisabled,
            pte.Volatile, pte.Encrypted, pte.Kind, pte.PcfName);
    }

    /// <summary>The aperture as docs/json-output.md spells it: <c>video</c>, <c>peer</c>, <c>system-coherent</c>, <c>system-noncoherent</c>.</summary>
    public string ApertureName => Aperture switch
    {
        PteAperture.Video => "video",
        PteAperture.Peer => "peer",
        PteAperture.SystemCoherent => "system-coherent",
        _ => "system-noncoherent",
    };

    /// <summary>Short text: <c>video rw kind 0x0</c> plus <c>priv</c>, <c>noatomic</c>, <c>vol</c>, <c>enc</c>, <c>pcf NAME</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(ApertureName);
        if (Aperture == PteAperture.Peer)
        {
            sb.Append(CultureInfo.InvariantCulture, $" {PeerId}");
        }

        sb.Append(ReadOnly ? " ro" : " rw");
        if (Privileged)
        {
            sb.Append(" priv");
        }

        if (AtomicDisabled)
        {
            sb.Append(" noatomic");
        }

        if (Volatile)
        {
            sb.Append(" vol");
        }

        if (Encrypted)
        {
            sb.Append(" enc");
        }

        sb.Append(" kind ").Append(Hex.Format(Kind));
        if (PcfName is not null)
        {
            sb.Append(" pcf ").Append(PcfName);
        }

        return sb.ToString();
    }
}

/// <summary>
/// Consecutive pages whose VA and physical address are both contiguous, with the same page size and attributes:
/// <c>[VaStart, VaEnd) → [PaStart, PaStart + Size)</c>.
/// </summary>
/// <param name="VaStart">First VA.</param>
/// <param name="VaEnd">One past the last VA.</param>
/// <param name="PaStart">Physical address of the first byte.</param>
/// <param name="PageSize">The page size of every page.</param>
/// <param name="Attributes">The attributes of every page.</param>
public sealed record MappedRange(ulong VaStart, ulong VaEnd, ulong PaStart, ulong PageSize, MappingAttributes Attributes)
{
    /// <summary>Bytes mapped.</summary>
    public ulong Size => VaEnd - VaStart;

    /// <summary>One past the last physical byte.</summary>
    public ulong PaEnd => PaStart + Size;

    /// <summary>Number of PTEs.</summary>
    public ulong Pages => Size / PageSize;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Hex.Format(VaStart)}..{Hex.Format(VaEnd)} -> {Hex.Format(PaStart)}..{Hex.Format(PaEnd)} {Spec.PageTables.PageSize.Format(PageSize)} x{Pages} {Attributes}";
}

/// <summary>A VA range covered by sparse entries (v2 VOL with VALID 0; v3 PCF SPARSE): <c>[VaStart, VaEnd)</c>.</summary>
/// <param name="VaStart">First VA.</param>
/// <param name="VaEnd">One past the last VA.</param>
public sealed record SparseRange(ulong VaStart, ulong VaEnd)
{
    /// <summary>Bytes covered.</summary>
    public ulong Size => VaEnd - VaStart;

    /// <inheritdoc />
    public override string ToString() => $"{Hex.Format(VaStart)}..{Hex.Format(VaEnd)} sparse";
}

/// <summary>Everything <see cref="PageTableDump.Dump"/> found.</summary>
/// <param name="Pdb">The root directory.</param>
/// <param name="Format">The format walked.</param>
/// <param name="VaStart">First VA of the range dumped.</param>
/// <param name="VaEnd">One past the last VA of the range dumped.</param>
/// <param name="Roots">The non-zero entries of the root directory, each with its subtree.</param>
/// <param name="Mappings">The translations the GMMU would make, coalesced, in VA order.</param>
/// <param name="Problems">Everything the dumper could not follow or found wrong, one line each, with the entry address.</param>
/// <param name="TablesRead">Tables read.</param>
public sealed record PageTableDumpResult(
    VramAddress Pdb,
    MmuFormat Format,
    ulong VaStart,
    ulong VaEnd,
    IReadOnlyList<PageTableNode> Roots,
    IReadOnlyList<MappedRange> Mappings,
    IReadOnlyList<string> Problems,
    int TablesRead)
{
    /// <summary>VA ranges the GMMU treats as sparse (reads return zero, writes are dropped, no fault), coalesced, in VA order.</summary>
    public IReadOnlyList<SparseRange> Sparse { get; init; } = [];

    /// <summary>Total bytes mapped.</summary>
    public ulong MappedBytes => Mappings.Aggregate(0UL, (s, m) => s + m.Size);

    /// <summary>Total PTEs behind <see cref="Mappings"/>.</summary>
    public ulong MappedPages => Mappings.Aggregate(0UL, (s, m) => s + m.Pages);
}

/// <summary>
/// Dumps a whole page-table tree through PRAMIN (so it runs on a live GPU and on a VRAM image alike): every non-zero
/// entry depth-first in VA order — both halves of a dual PDE, large-page PTEs at PD0/PD1/PD2 where the format
/// allows them — as a tree, plus the translations as coalesced <see cref="MappedRange"/>s.
/// <para>Mappings follow the GMMU's precedence (docs/gmmu-bar1.md; nouveau <c>vmmgp100.c</c> <c>gp100_vmm_lpt_invalid</c>; <c>Gmmu.WalkDual</c>): under a dual PDE a valid
/// big (64 KiB) PTE wins; a sparse or NO_VALID_4KB_PAGE big PTE hides the small PTEs below it (the GPU faults or
/// reads zero there); a plain invalid big PTE lets the small PTEs decide. A directory pointing into system memory,
/// at a table outside VRAM, or at a table already visited (shared or looping) is reported in
/// <see cref="PageTableDumpResult.Problems"/> and not followed.</para>
/// </summary>
public static class PageTableDump
{
    /// <summary>Dumps the tree rooted at <paramref name="pdb"/>, limited to entries that overlap <c>[vaStart, vaEnd)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The VA range is empty or passes the format's VA width.</exception>
    public static PageTableDumpResult Dump(PraminWindow window, VramAddress pdb, MmuFormat format, ulong vaStart = 0, ulong? vaEnd = null)
    {
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(format);
        var end = vaEnd ?? format.VaLimit;
        if (end > format.VaLimit || vaStart >= end)
        {
            throw new ArgumentOutOfRangeException(nameof(vaEnd), end,
                $"VA range 0x{vaStart:x}..0x{end:x} is empty or passes the {format.VaBits}-bit VA space of {format.Name} (end 0x{format.VaLimit:x})");
        }

        var walker = new Walker(window, format, vaStart, end);
        var roots = walker.Directory(format.Root, pdb, 0, null, out _);
        walker.Flush();
        return new PageTableDumpResult(pdb, format, vaStart, end, roots, walker.Ranges, walker.Problems, walker.TablesRead) { Sparse = walker.SparseRanges };
    }

    /// <summary>An entry as hex: 16 digits, or for a dual PDE 32 digits, high qword first (the 128-bit value).</summary>
    public static string RawHex(ulong low, ulong? high) =>
        high is { } h ? "0x" + h.ToString("x16", CultureInfo.InvariantCulture) + low.ToString("x16", CultureInfo.InvariantCulture) : Hex.Format(low, 16);

    private sealed class Walker(PraminWindow window, MmuFormat format, ulong vaStart, ulong vaEnd)
    {
        private readonly HashSet<(PageTableLevel, ulong)> _visited = [];
        private MappedRange? _current;

        public List<MappedRange> Ranges { get; } = [];

        public List<string> Problems { get; } = [];

        public List<SparseRange> SparseRanges { get; } = [];

        public int TablesRead { get; private set; }

        /// <summary>Reads a table; null (and a note) when it cannot be read or was seen before.</summary>
        public byte[]? ReadTable(MmuLevel level, VramAddress table, List<string> notes)
        {
            if (!_visited.Add((level.Id, table.Value)))
            {
                Note(notes, $"{level.Name} table at {table} was already visited (shared or looping): not followed again");
                return null;
            }

            var bytes = new byte[level.TableSize];
            try
            {
                window.Read(table, bytes);
            }
            catch (ArgumentOutOfRangeException)
            {
                Note(notes, $"{level.Name} table at {table}..{Hex.Format(table.Value + level.TableSize)} is outside VRAM: not followed");
                return null;
            }
            catch (OverflowException)
            {
                Note(notes, $"{level.Name} table at {table} is outside VRAM: not followed");
                return null;
            }

            TablesRead++;
            return bytes;
        }

        /// <summary>The non-zero entries of a directory (or page table) at <paramref name="table"/> whose entry 0 covers <paramref name="vaBase"/>.</summary>
        public List<PageTableNode> Directory(MmuLevel level, VramAddress table, ulong vaBase, List<string>? parentNotes, out DecodedPte?[]? ptes)
        {
            ptes = null;
            var nodes = new List<PageTableNode>();
            var tableNotes = parentNotes ?? [];
            var bytes = ReadTable(level, table, tableNotes);
            if (bytes is null)
            {
                return nodes;
            }

            if (level.IsPageTable)
            {
                ptes = new DecodedPte?[level.EntryCount];
            }

            var (first, last) = IndexRange(level, vaBase);
            for (var i = first; i <= last; i++)
            {
                var off = i * level.EntrySize;
                var low = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(off));
                ulong? high = level.IsDual ? BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(off + 8)) : null;
                if (low == 0 && (high ?? 0) == 0)
                {
                    continue;
                }

                var va = vaBase + ((ulong)i << level.VaBits.Lo);
                var at = table.Add((ulong)off);
                var decoded = EntryCodec.Decode(format, level, low, high ?? 0);
                var notes = new List<string>();
                foreach (var p in decoded.Problems)
                {
                    Note(notes, $"{level.Name}[{i}] at {at}: {p}");
                }

                var children = new List<PageTableNode>();
                switch (decoded)
                {
                    case DecodedPte pte when level.IsPageTable:
                        ptes![i] = pte;
                        break;
                    case DecodedPte pte:
                        Leaf(va, pte);
                        break;
                    case DecodedPde { Sparse: true }:
                        SparseLeaf(va, level.EntryCoverage);
                        break;
                    case DecodedPde { IsDual: true } dual:
                        Dual(va, at, dual, children, notes);
                        break;
                    case DecodedPde pde when pde.Next.IsPresent:
                        if (pde.Next.Aperture != PdeAperture.Video)
                        {
                            Note(notes, $"{level.Name}[{i}] at {at} points to a table in system memory ({pde.Next}): not followed");
                        }
                        else
                        {
                            children.AddRange(Directory(format.Next(level)!, new VramAddress(pde.Next.Address), va, notes, out _));
                        }

                        break;
                }

                nodes.Add(new PageTableNode(level, i, va, va + level.EntryCoverage, at, low, high, decoded, children, notes));
            }

            return nodes;
        }

        /// <summary>Both halves of a dual PDE, with the GMMU's precedence for the mappings.</summary>
        private void Dual(ulong va, VramAddress at, DecodedPde dual, List<PageTableNode> children, List<string> notes)
        {
            DecodedPte?[]? big = null, small = null;
            var blocked = false;
            foreach (var (half, level) in new[] { (dual.Big, format.BigPageTable), (dual.Small, format.SmallPageTable) })
            {
                if (!half.IsPresent)
                {
                    continue;
                }

                if (half.Aperture != PdeAperture.Video)
                {
                    Note(notes, $"PD0 entry at {at}: the {level.Name} table is in system memory ({half}): not followed");
                    blocked = true;
                    continue;
                }

                children.AddRange(Directory(level, new VramAddress(half.Address), va, notes, out var ptes));
                if (level == format.BigPageTable)
                {
                    big = ptes;
                }
                else
                {
                    small = ptes;
                }
            }

            if (blocked)
            {
                return; // the GMMU faults the whole 2 MiB (SysmemNotModelled)
            }

            var bigLevel = format.BigPageTable;
            var perBig = 1 << (bigLevel.VaBits.Lo - format.SmallPageTable.VaBits.Lo);
            for (var b = 0; b < bigLevel.EntryCount; b++)
            {
                var bigPte = big?[b];
                if (bigPte is { IsValid: true })
                {
                    Leaf(va + ((ulong)b << bigLevel.VaBits.Lo), bigPte);
                    continue;
                }

                if (bigPte is { } p && (p.Sparse || p.NoValidSmallPages))
                {
                    if (p.Sparse)
                    {
                        SparseLeaf(va + ((ulong)b << bigLevel.VaBits.Lo), bigLevel.EntryCoverage);
                    }

                    continue; // hides the small PTEs: the GMMU stops at the big PTE
                }

                if (small is null)
                {
                    continue;
                }

                for (var s = b * perBig; s < (b + 1) * perBig; s++)
                {
                    if (small[s] is { } smallPte)
                    {
                        Leaf(va + ((ulong)s << format.SmallPageTable.VaBits.Lo), smallPte);
                    }
                }
            }
        }

        /// <summary>Adds one valid page to the coalesced ranges (pages arrive in VA order).</summary>
        private void Leaf(ulong va, DecodedPte pte)
        {
            if (!pte.IsValid)
            {
                if (pte.Sparse)
                {
                    SparseLeaf(va, pte.PageSize);
                }

                return;
            }

            if (va >= vaEnd || va + pte.PageSize <= vaStart)
            {
                return;
            }

            var attributes = MappingAttributes.Of(pte);
            if (_current is { } c && c.VaEnd == va && c.PaEnd == pte.Address && c.PageSize == pte.PageSize && c.Attributes == attributes)
            {
                _current = c with { VaEnd = va + pte.PageSize };
                return;
            }

            Flush();
            _current = new MappedRange(va, va + pte.PageSize, pte.Address, pte.PageSize, attributes);
        }

        /// <summary>Adds a sparse stretch (they arrive in VA order).</summary>
        private void SparseLeaf(ulong va, ulong size)
        {
            if (va >= vaEnd || va + size <= vaStart)
            {
                return;
            }

            if (SparseRanges.Count > 0 && SparseRanges[^1].VaEnd == va)
            {
                SparseRanges[^1] = SparseRanges[^1] with { VaEnd = va + size };
                return;
            }

            SparseRanges.Add(new SparseRange(va, va + size));
        }

        public void Flush()
        {
            if (_current is { } c)
            {
                Ranges.Add(c);
                _current = null;
            }
        }

        private (int First, int Last) IndexRange(MmuLevel level, ulong vaBase)
        {
            var shift = level.VaBits.Lo;
            var first = vaStart > vaBase ? (ulong)Math.Min(level.EntryCount, (long)Math.Min((vaStart - vaBase) >> shift, (ulong)int.MaxValue)) : 0;
            var lastVa = vaEnd - 1;
            var last = lastVa < vaBase ? -1L : (long)Math.Min((lastVa - vaBase) >> shift, (ulong)(level.EntryCount - 1));
            return ((int)first, (int)last);
        }

        private void Note(List<string> notes, string message)
        {
            notes.Add(message);
            Problems.Add(message);
        }
    }
}
