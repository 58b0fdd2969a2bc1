using System.Globalization;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Hardware.Mmu;

/// <summary>The kind of memory access the GMMU translates (the fault packet's ACCESS_TYPE: read, write, atomic).</summary>
public enum AccessType
{
    /// <summary>A read.</summary>
    Read,

    /// <summary>A write: faults on a read-only page.</summary>
    Write,

    /// <summary>An atomic read-modify-write: faults on a read-only page and on a page with atomics disabled (v2 ATOMIC_DISABLE, v3 PCF NO_ATOMIC).</summary>
    Atomic,
}

/// <summary>Who asked the GMMU for a translation (recorded in each <see cref="MmuFault"/>, like the fault packet's engine id).</summary>
public enum FaultSource
{
    /// <summary>A direct call of <see cref="Gmmu.Translate(ulong, MmuFormat, ulong, AccessType, bool)"/> (a tool or test acting as a GPU client).</summary>
    Translate,

    /// <summary>A CPU access through the BAR1 aperture (NVIDIA's fault engine <c>NV_PFAULT_MMU_ENG_ID_BAR1</c>).</summary>
    Bar1,
}

/// <summary>
/// Why a translation failed. The hardware's own fault types are <c>NV_PFAULT_FAULT_TYPE_*</c> in open-gpu-kernel-modules
/// <c>src/common/inc/swref/published/pascal/gp100/dev_fault.h</c>; <see cref="MmuFaultReasons.HardwareFaultType"/> gives the
/// matching one where there is one. The command-line spelling is <see cref="MmuFaultReasons.Name"/> (kebab case).
/// </summary>
public enum MmuFaultReason
{
    /// <summary><c>invalid-pde</c>: a page-directory entry (or both halves of a dual PD0 entry) names no next level (FAULT_TYPE_PDE).</summary>
    InvalidPde,

    /// <summary><c>pde-size</c>: a directory slot has IS_PTE set at a level that cannot hold a PTE in this format, e.g. a 512 MiB PTE in PD1 on Turing (FAULT_TYPE_PDE_SIZE).</summary>
    PdeSize,

    /// <summary><c>invalid-pte</c>: the PTE that decides is invalid (FAULT_TYPE_PTE). Also v3 PCF MAPPING_NOWHERE and undefined invalid-PTE PCFs.</summary>
    InvalidPte,

    /// <summary><c>sparse</c>: a sparse PTE or PDE (v2 VALID 0 + VOL 1; v3 PCF SPARSE). Not a hardware fault: the access completes with reads of zero and writes dropped, and it is not put in the <see cref="FaultLog"/>.</summary>
    Sparse,

    /// <summary><c>no-valid-4k-page</c>: the big-page PTE is v2 VALID 0 + PRIV 1 (<c>0x20</c>) or v3 PCF NO_VALID_4KB_PAGE, so the small PTEs are not looked at (FAULT_TYPE_PTE).</summary>
    NoValid4KPage,

    /// <summary><c>va-out-of-range</c>: the VA is at or above <c>2^VaBits</c> of the format (FAULT_TYPE_VA_LIMIT_VIOLATION).</summary>
    VaOutOfRange,

    /// <summary><c>unbound-instance</c>: BAR1 is not bound, or its instance block's PDB target is INVALID, or it asks for what the chip cannot do (128 KiB big pages, or no VER2 format on a v2 chip) (FAULT_TYPE_UNBOUND_INST_BLOCK).</summary>
    UnboundInstance,

    /// <summary><c>privilege</c>: a non-privileged access to a privileged page (FAULT_TYPE_PRIV_VIOLATION).</summary>
    Privilege,

    /// <summary><c>read-only</c>: a write or atomic to a read-only page (FAULT_TYPE_RO_VIOLATION).</summary>
    ReadOnly,

    /// <summary><c>atomic</c>: an atomic to a page with atomics disabled (FAULT_TYPE_ATOMIC_VIOLATION).</summary>
    Atomic,

    /// <summary><c>sysmem-not-modelled</c>: a PDB, PDE or (for a BAR1 access) PTE points into system memory, which the model does not have (closest hardware type: FAULT_TYPE_UNSUPPORTED_APERTURE).</summary>
    SysmemNotModelled,

    /// <summary><c>peer-not-modelled</c>: a BAR1 access translated to a peer GPU's memory, which the model does not have.</summary>
    PeerNotModelled,

    /// <summary><c>vram-out-of-range</c>: a table, an instance block or (for a BAR1 access) a page lies beyond the end of VRAM.</summary>
    VramOutOfRange,
}

/// <summary>Names and hardware codes of <see cref="MmuFaultReason"/>.</summary>
public static class MmuFaultReasons
{
    private static readonly MmuFaultReason[] AllReasons = Enum.GetValues<MmuFaultReason>();

    /// <summary>Every reason, in declaration order.</summary>
    public static IReadOnlyList<MmuFaultReason> All => AllReasons;

    /// <summary>The kebab-case name the CLI prints: <c>invalid-pde</c>, <c>pde-size</c>, <c>invalid-pte</c>, <c>sparse</c>, <c>no-valid-4k-page</c>, <c>va-out-of-range</c>, <c>unbound-instance</c>, <c>privilege</c>, <c>read-only</c>, <c>atomic</c>, <c>sysmem-not-modelled</c>, <c>peer-not-modelled</c>, <c>vram-out-of-range</c>.</summary>
    public static string Name(this MmuFaultReason reason) => reason switch
    {
        MmuFaultReason.InvalidPde => "invalid-pde",
        MmuFaultReason.PdeSize => "pde-size",
        MmuFaultReason.InvalidPte => "invalid-pte",
        MmuFaultReason.Sparse => "sparse",
        MmuFaultReason.NoValid4KPage => "no-valid-4k-page",
        MmuFaultReason.VaOutOfRange => "va-out-of-range",
        MmuFaultReason.UnboundInstance => "unbound-instance",
        MmuFaultReason.Privilege => "privilege",
        MmuFaultReason.ReadOnly => "read-only",
        MmuFaultReason.Atomic => "atomic",
        MmuFaultReason.SysmemNotModelled => "sysmem-not-modelled",
        MmuFaultReason.PeerNotModelled => "peer-not-modelled",
        MmuFaultReason.VramOutOfRange => "vram-out-of-range",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, $"Unknown MMU fault reason {reason}."),
    };

    /// <summary>Parses a kebab-case name (case-insensitive); false when it names no reason.</summary>
    public static bool TryParse(string? text, out MmuFaultReason reason)
    {
        foreach (var r in AllReasons)
        {
            if (string.Equals(r.Name(), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                reason = r;
                return true;
            }
        }

        reason = default;
        return false;
    }

    /// <summary>The matching <c>NV_PFAULT_FAULT_TYPE_*</c> value (gp100 dev_fault.h), or null where the hardware has none (sparse, and the model-only reasons).</summary>
    public static int? HardwareFaultType(this MmuFaultReason reason) => reason switch
    {
        MmuFaultReason.InvalidPde => 0x0,
        MmuFaultReason.PdeSize => 0x1,
        MmuFaultReason.InvalidPte or MmuFaultReason.NoValid4KPage => 0x2,
        MmuFaultReason.VaOutOfRange => 0x3,
        MmuFaultReason.UnboundInstance => 0x4,
        MmuFaultReason.Privilege => 0x5,
        MmuFaultReason.ReadOnly => 0x6,
        MmuFaultReason.SysmemNotModelled => 0xA,
        MmuFaultReason.Atomic => 0xF,
        _ => null,
    };

    /// <summary>Whether the hardware raises a fault for this reason (everything except <see cref="MmuFaultReason.Sparse"/>).</summary>
    public static bool IsFault(this MmuFaultReason reason) => reason != MmuFaultReason.Sparse;
}

/// <summary>
/// An MMU fault, as data (docs/architecture.md, The hardware model; docs/gmmu-bar1.md, Fault reasons): a BAR1 access that
/// does not translate records one, with address, access type, reason and level.
/// </summary>
/// <param name="Va">The faulting virtual address (for BAR1: the BAR1 offset).</param>
/// <param name="Pdb">The address space's root page directory (0 when none could be found, e.g. BAR1 unbound).</param>
/// <param name="Access">The access type.</param>
/// <param name="Reason">Why it failed.</param>
/// <param name="Level">The level whose entry failed the walk, or the level of the page for permission and aperture faults; null when no entry was read (VA out of range, unbound instance).</param>
public sealed record MmuFault(ulong Va, ulong Pdb, AccessType Access, MmuFaultReason Reason, PageTableLevel? Level)
{
    /// <summary>The kebab-case reason, <see cref="MmuFaultReasons.Name"/>.</summary>
    public string ReasonName => Reason.Name();

    /// <summary>Whether the access was privileged.</summary>
    public bool Privileged { get; init; }

    /// <summary>Who asked for the translation.</summary>
    public FaultSource Source { get; init; }

    /// <summary>VRAM address of the entry that decided the fault, if one was read.</summary>
    public ulong? EntryAddress { get; init; }

    /// <summary>The raw (low) qword of that entry.</summary>
    public ulong? EntryRaw { get; init; }

    /// <summary>Position in the <see cref="FaultLog"/> (1 for the first fault recorded since the GPU was built); 0 before it is logged.</summary>
    public long Sequence { get; init; }

    /// <summary>One line, e.g. <c>#3 bar1 read va 0x1000 pdb 0x7ff00000: invalid-pte at PT (entry 0x7ff03008 = 0x0)</c>.</summary>
    public override string ToString()
    {
        var where = Level is { } l ? " at " + l.DisplayName() : string.Empty;
        var entry = EntryAddress is { } a ? $" (entry {Hex.Format(a)} = {Hex.Format(EntryRaw ?? 0)})" : string.Empty;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"#{Sequence} {(Source == FaultSource.Bar1 ? "bar1" : "translate")} {Access.ToString().ToLowerInvariant()}{(Privileged ? " priv" : string.Empty)} va {Hex.Format(Va)} pdb {Hex.Format(Pdb)}: {ReasonName}{where}{entry}");
    }
}
