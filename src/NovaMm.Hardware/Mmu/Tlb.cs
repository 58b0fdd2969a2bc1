using NovaMm.Spec.PageTables;

namespace NovaMm.Hardware.Mmu;

/// <summary>One cached translation: a whole page of <see cref="PageSize"/> bytes of one address space.</summary>
/// <param name="Pdb">VRAM address of the address space's root page directory.</param>
/// <param name="VaBase">First virtual address of the page (aligned to <see cref="PageSize"/>).</param>
/// <param name="PageSize">Page size in bytes.</param>
/// <param name="PhysicalBase">First physical byte of the page.</param>
/// <param name="Aperture">PTE aperture (0 video, 1 peer, 2 system coherent, 3 system non-coherent).</param>
/// <param name="ReadOnly">Writes fault.</param>
/// <param name="Privileged">Non-privileged accesses fault.</param>
/// <param name="AtomicDisable">Atomics fault.</param>
/// <param name="Kind">The PTE kind.</param>
public sealed record TlbEntry(
    ulong Pdb, ulong VaBase, ulong PageSize, ulong PhysicalBase, int Aperture, bool ReadOnly, bool Privileged, bool AtomicDisable, uint Kind)
{
    /// <summary>v2 VOL / v3 PCF UNCACHED.</summary>
    public bool Volatile { get; init; }

    /// <summary>v2 ENCRYPTED.</summary>
    public bool Encrypted { get; init; }

    /// <summary>v3 PCF ACD.</summary>
    public bool AccessCountingDisabled { get; init; }

    /// <summary>Peer id for the peer aperture.</summary>
    public int PeerId { get; init; }

    /// <summary>The level whose PTE mapped the page.</summary>
    public PageTableLevel Level { get; init; } = PageTableLevel.Pt;
}

/// <summary>
/// The GMMU's translation cache. Page-table writes in VRAM do NOT update it; only an invalidate through the
/// MMU_INVALIDATE registers does (ARCHITECTURE.md: a driver that forgets a flush reads stale data).
/// The model keeps final translations only (no separate PDE cache), so every CACHE_LEVEL drops the same
/// entries, and its single TLB is the hub TLB, so HUBTLB_ONLY drops them too. Thread-safe.
/// </summary>
public sealed class GmmuTlb
{
    private readonly Dictionary<(ulong Pdb, ulong VaBase, ulong PageSize), TlbEntry> _entries = [];
    private readonly Lock _lock = new();
    private long _hits;
    private long _misses;

    /// <summary>Lookups answered from the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups the cache could not answer.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Number of cached translations.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Page sizes the cache is probed with, largest first.</summary>
    public static IReadOnlyList<ulong> ProbeSizes { get; } = [1UL << 38, 1UL << 29, 1UL << 21, 1UL << 16, 1UL << 12];

    /// <summary>The cached translation of <paramref name="va"/> in address space <paramref name="pdb"/>, or null.</summary>
    public TlbEntry? Lookup(ulong pdb, ulong va)
    {
        lock (_lock)
        {
            foreach (var size in ProbeSizes)
            {
                if (_entries.TryGetValue((pdb, va & ~(size - 1), size), out var e))
                {
                    _hits++;
                    return e;
                }
            }

            _misses++;
            return null;
        }
    }

    /// <summary>Caches <paramref name="entry"/>.</summary>
    public void Insert(TlbEntry entry)
    {
        lock (_lock)
        {
            _entries[(entry.Pdb, entry.VaBase, entry.PageSize)] = entry;
        }
    }

    /// <summary>Drops every translation of address space <paramref name="pdb"/>.</summary>
    public void InvalidatePdb(ulong pdb)
    {
        lock (_lock)
        {
            foreach (var key in _entries.Keys.Where(k => k.Pdb == pdb).ToList())
            {
                _entries.Remove(key);
            }
        }
    }

    /// <summary>Drops every translation.</summary>
    public void InvalidateAll()
    {
        lock (_lock)
        {
            _entries.Clear();
        }
    }
}
