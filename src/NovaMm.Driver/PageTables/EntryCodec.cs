using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Driver.PageTables;

/// <summary>Attributes of a mapping's PTEs (the per-version bits are chosen by <see cref="EntryCodec"/>).</summary>
public readonly record struct MapAttributes
{
    /// <summary>Writes fault (v2 READ_ONLY; v3 PCF RO).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Only privileged accesses may use the page (v2 PRIVILEGE; v3 PCF PRIVILEGE).</summary>
    public bool Privileged { get; init; }

    /// <summary>Atomics fault (v2 ATOMIC_DISABLE; v3 PCF NO_ATOMIC).</summary>
    public bool NoAtomic { get; init; }

    /// <summary>The PTE kind (v2: 8 bits; v3: 4 bits).</summary>
    public byte Kind { get; init; }

    /// <summary>Short text for tools: <c>rw</c>, <c>ro</c>, plus <c>priv</c>, <c>noatomic</c>, <c>kind=N</c>.</summary>
    public override string ToString() =>
        (ReadOnly ? "ro" : "rw") + (Privileged ? " priv" : "") + (NoAtomic ? " noatomic" : "") + (Kind != 0 ? $" kind=0x{Kind:x}" : "");
}

/// <summary>
/// The driver's entry encoder: which Spec factory builds a PDE, dual PDE or PTE for a format and level.
/// Directory entries point at video memory with nouveau's choices (v2 <c>gp100_vmm_pde</c>: aperture VIDEO;
/// v3 <c>gh100_vmm_pde</c>: aperture VIDEO + PCF VALID_CACHED_ATS_NOT_ALLOWED = 0x12; Linux <c>nouveau/nvkm/subdev/mmu/vmmgp100.c</c>, <c>vmmgh100.c</c>; docs/page-tables.md, Golden vectors). PTEs follow
/// nouveau's <c>gh100_vmm_valid</c> for v3: the ACD variants of the PCF (0x10 | uncached | priv &lt;&lt; 1 | ro &lt;&lt; 2,
/// plus NO_ATOMIC when asked).
/// </summary>
public static class EntryCodec
{
    /// <summary>An 8-byte PDE pointing at <paramref name="next"/> (absent = invalid).</summary>
    public static ulong Pde(MmuFormat format, TableRef next) => !next.IsPresent
        ? 0
        : format.Version == MmuVersion.V2 ? PdeV2.For(next).Raw : PdeV3.For(next, PdePcf.ValidCachedAtsNotAllowed).Raw;

    /// <summary>A 16-byte dual PDE (PD0) with the given big (64 KiB-page) and small (4 KiB-page) tables.</summary>
    public static (ulong Low, ulong High) DualPde(MmuFormat format, TableRef big, TableRef small)
    {
        if (!big.IsPresent && !small.IsPresent)
        {
            return (0, 0);
        }

        if (format.Version == MmuVersion.V2)
        {
            var e = DualPdeV2.Create(big, small);
            return (e.Low, e.High);
        }

        var v3 = DualPdeV3.Create(big, small,
            big.IsPresent ? PdePcf.ValidCachedAtsNotAllowed : default,
            small.IsPresent ? PdePcf.ValidCachedAtsNotAllowed : default);
        return (v3.Low, v3.High);
    }

    /// <summary>A valid video-memory PTE for a page at <paramref name="address"/>, as stored at <paramref name="level"/>.</summary>
    /// <returns>The entry; for the dual level (a 2 MiB page) the high qword is 0.</returns>
    public static (ulong Low, ulong High) Pte(MmuFormat format, MmuLevel level, VramAddress address, MapAttributes attributes)
    {
        ulong raw;
        if (format.Version == MmuVersion.V2)
        {
            var pte = PteV2.ForVram(address, new PteV2Attributes
            {
                ReadOnly = attributes.ReadOnly,
                Privileged = attributes.Privileged,
                AtomicDisable = attributes.NoAtomic,
                Kind = attributes.Kind,
            });
            raw = level.IsDual ? DualPdeV2.ForLargePage(pte).Low : pte.Raw;
        }
        else
        {
            var pcf = PtePcf.Create(uncached: false, privileged: attributes.Privileged, readOnly: attributes.ReadOnly,
                noAtomic: attributes.NoAtomic, accessCountingDisabled: true);
            var pte = PteV3.ForVram(address, pcf, attributes.Kind);
            raw = level.IsDual ? DualPdeV3.ForLargePage(pte).Low : pte.Raw;
        }

        return (raw, 0);
    }

    /// <summary>
    /// A sparse entry at <paramref name="level"/>: reads return zero and writes are dropped without a fault
    /// (v2 VALID 0 + VOL 1 = 0x8; v3 PCF SPARSE = 0x8; a sparse dual PDE has the big half's VOL / PCF SPARSE).
    /// </summary>
    public static (ulong Low, ulong High) Sparse(MmuFormat format, MmuLevel level)
    {
        if (level.IsDual)
        {
            return format.Version == MmuVersion.V2 ? (DualPdeV2.Sparse.Low, DualPdeV2.Sparse.High) : (DualPdeV3.Sparse.Low, DualPdeV3.Sparse.High);
        }

        return (format.Version == MmuVersion.V2 ? PteV2.Sparse.Raw : PteV3.Sparse.Raw, 0);
    }

    /// <summary>Decodes an entry read at <paramref name="level"/> (the Spec decoder, shared by every tool).</summary>
    public static PageTableEntryInfo Decode(MmuFormat format, MmuLevel level, ulong low, ulong high) =>
        PageTableDecoder.Decode(format, level.Id, low, high);
}
