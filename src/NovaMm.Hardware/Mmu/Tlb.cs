using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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

    /// <summary>The attribute bits as <see cref="TranslationFlags"/>.</summary>
    public TranslationFlags Flags =>
        (ReadOnly ? TranslationFlags.ReadOnly : 0)
        | (Privileged ? TranslationFlags.Privileged : 0)
        | (AtomicDisable ? TranslationFlags.AtomicDisabled : 0)
        | (Volatile ? TranslationFlags.Volatile : 0)
        | (Encrypted ? TranslationFlags.Encrypted : 0)
        | (AccessCountingDisabled ? TranslationFlags.AccessCountingDisabled : 0);
}

/// <summary>
/// The GMMU's translation cache. Page-table writes in VRAM do NOT update it; only an invalidate through the
/// MMU_INVALIDATE registers does (docs/gmmu-bar1.md, TLB semantics: a driver that forgets a flush reads stale data).
/// The model keeps final translations only (no separate PDE cache), so every CACHE_LEVEL drops the same
/// entries, and its single TLB is the hub TLB, so HUBTLB_ONLY drops them too. Thread-safe.
/// <para>Structure: the entries live in a table keyed by (PDB, page base, page size) that is probed with the page sizes
/// present, largest first. In front of it sits a small direct-mapped array indexed by the 4 KiB frame of the VA that
/// remembers the entry the table last answered for that frame, so a repeated lookup reads one array slot, lock-free and
/// without allocating. The array only ever holds entries that are in the table and that the table would answer: it is
/// filled under the lock, emptied by every invalidate, and emptied when an insert could shadow what it holds (a larger
/// page over smaller cached ones, or a replaced entry).</para>
/// </summary>
public sealed class GmmuTlb
{
    private const int FastSlots = 1024;
    private const int SizeCount = 5; // ProbeSizes.Count

    private readonly Dictionary<Key, TlbEntry> _entries = new(KeyComparer.Instance);
    private readonly TlbEntry?[] _fast = new TlbEntry?[FastSlots];
    private readonly int[] _countBySize = new int[SizeCount];
    private readonly Lock _lock = new();
    private bool _fastFilled;
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

    private static readonly ulong[] ProbeSizesArray = [1UL << 38, 1UL << 29, 1UL << 21, 1UL << 16, 1UL << 12];

    /// <summary>Page sizes the cache is probed with, largest first.</summary>
    public static IReadOnlyList<ulong> ProbeSizes => ProbeSizesArray;

    /// <summary>The cached translation of <paramref name="va"/> in address space <paramref name="pdb"/>, or null.</summary>
    public TlbEntry? Lookup(ulong pdb, ulong va)
    {
        if (Peek(pdb, va) is { } fast)
        {
            CountHit();
            return fast;
        }

        return LookupSlow(pdb, va);
    }

    /// <summary>Caches <paramref name="entry"/>.</summary>
    public void Insert(TlbEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_lock)
        {
            var key = new Key(entry.Pdb, entry.VaBase, entry.PageSize);
            var replaced = _entries.ContainsKey(key);
            _entries[key] = entry;
            var size = SizeIndex(entry.PageSize);
            if (!replaced && size >= 0)
            {
                _countBySize[size]++;
            }

            // The fast slots must never answer differently from the table: a replaced entry may sit in them, and a
            // larger page now wins over any smaller cached page it covers (probes go largest first).
            if (replaced || (size >= 0 && SmallerPagesCached(size)))
            {
                ClearFast();
            }
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
                if (SizeIndex(key.PageSize) is var size and >= 0)
                {
                    _countBySize[size]--;
                }
            }

            if (_fastFilled)
            {
                for (var i = 0; i < _fast.Length; i++)
                {
                    if (_fast[i] is { } e && e.Pdb == pdb)
                    {
                        Volatile.Write(ref _fast[i], null);
                    }
                }
            }
        }
    }

    /// <summary>Drops every translation.</summary>
    public void InvalidateAll()
    {
        lock (_lock)
        {
            _entries.Clear();
            Array.Clear(_countBySize);
            ClearFast();
        }
    }

    /// <summary>
    /// The hit path: the fast slot's entry if it covers <paramref name="va"/> in <paramref name="pdb"/>, without counting
    /// a hit (the caller counts with <see cref="CountHit"/> once it uses the entry) and without locking. Null when the
    /// fast slot cannot answer; <see cref="Lookup"/> then decides.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal TlbEntry? Peek(ulong pdb, ulong va)
    {
        // SlotOf is masked to the array's fixed length, so the slot is read without a bounds check.
        var e = Volatile.Read(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_fast), SlotOf(pdb, va)));
        return e is not null && e.Pdb == pdb && va - e.VaBase < e.PageSize ? e : null;
    }

    /// <summary>Counts one hit (one interlocked add: measured cheaper than a per-thread counter).</summary>
    internal void CountHit() => Interlocked.Increment(ref _hits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SlotOf(ulong pdb, ulong va) => (int)(((va >> 12) ^ (pdb >> 12)) & (FastSlots - 1));

    /// <summary>The page size's position in <see cref="ProbeSizes"/>, or -1.</summary>
    private static int SizeIndex(ulong pageSize) => Array.IndexOf(ProbeSizesArray, pageSize);

    private TlbEntry? LookupSlow(ulong pdb, ulong va)
    {
        lock (_lock)
        {
            for (var i = 0; i < SizeCount; i++)
            {
                if (_countBySize[i] == 0)
                {
                    continue;
                }

                var size = ProbeSizesArray[i];
                if (_entries.TryGetValue(new Key(pdb, va & ~(size - 1), size), out var e))
                {
                    Interlocked.Increment(ref _hits);
                    Volatile.Write(ref _fast[SlotOf(pdb, va)], e);
                    _fastFilled = true;
                    return e;
                }
            }

            Interlocked.Increment(ref _misses);
            return null;
        }
    }

    private bool SmallerPagesCached(int sizeIndex)
    {
        for (var i = sizeIndex + 1; i < SizeCount; i++)
        {
            if (_countBySize[i] != 0)
            {
                return true;
            }
        }

        return false;
    }

    private void ClearFast()
    {
        if (_fastFilled)
        {
            Array.Clear(_fast);
            _fastFilled = false;
        }
    }


    private readonly record struct Key(ulong Pdb, ulong VaBase, ulong PageSize);

    private sealed class KeyComparer : IEqualityComparer<Key>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(Key x, Key y) => x.Pdb == y.Pdb && x.VaBase == y.VaBase && x.PageSize == y.PageSize;

        public int GetHashCode(Key k)
        {
            var h = (k.VaBase >> 12) ^ (k.Pdb * 0x9E37_79B9_7F4A_7C15UL) ^ ((ulong)BitOperations.TrailingZeroCount(k.PageSize) << 52);
            return (int)(h ^ (h >> 32));
        }
    }
}
