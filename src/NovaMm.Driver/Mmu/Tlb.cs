using System.Diagnostics;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Device;
using NovaMm.Spec.Registers;

namespace NovaMm.Driver.Mmu;

/// <summary>
/// GPU TLB invalidation through the VF-PRIV MMU_INVALIDATE registers (nova-core <c>mm/tlb.rs</c>; docs/registers.md, TLB invalidate):
/// write INVALIDATE_PDB and UPPER_PDB, then INVALIDATE with TRIGGER=1, then poll until TRIGGER reads 0.
/// Before issuing, a still-pending invalidate is waited for (as RM's <c>kgmmuCheckPendingInvalidates</c>
/// does), so one that timed out does not leave the device unusable once the hardware finishes it.
/// </summary>
public sealed class Tlb
{
    /// <summary>Guards the invalidate register sequence: one invalidate in flight per device.</summary>
    private readonly Lock _lock = new();
    private readonly IBar0 _bar0;
    private long _flushes;

    /// <summary>Creates the TLB controller over <paramref name="bar0"/>.</summary>
    /// <param name="bar0">BAR0.</param>
    /// <param name="timeout">How long to poll TRIGGER; default 2 s, as nova-core and nouveau.</param>
    public Tlb(IBar0 bar0, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(bar0);
        _bar0 = bar0;
        Timeout = timeout ?? TimeSpan.FromSeconds(2);
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "TLB flush timeout must be positive");
        }
    }

    /// <summary>How long a flush polls TRIGGER before it fails with <see cref="ErrorCode.TimedOut"/>.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Completed flushes.</summary>
    public long Flushes => Interlocked.Read(ref _flushes);

    /// <summary>Invalidates every VA of the address space whose root directory is at <paramref name="pdb"/> (VRAM, 4 KiB aligned).</summary>
    /// <param name="pdb">The page directory base.</param>
    /// <param name="hubTlbOnly">Only the hub TLB (enough for BAR1/BAR2 address spaces, as nouveau does).</param>
    /// <exception cref="NovaMmException"><see cref="ErrorCode.TimedOut"/> when TRIGGER does not clear in time.</exception>
    public void Flush(VramAddress pdb, bool hubTlbOnly = false)
    {
        var pdbRegister = NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB.ForVram(pdb.Value);
        var upper = NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB.ForAddress(pdb.Value);
        var command = new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(0).WithAllVa(true).WithHubTlbOnly(hubTlbOnly).WithTrigger(true);
        lock (_lock)
        {
            WaitIdle($"before invalidating PDB {pdb}");
            _bar0.Write(pdbRegister);
            _bar0.Write(upper);
            _bar0.Write(command);
            WaitIdle($"invalidating PDB {pdb}");
            _flushes++;
        }
    }

    /// <summary>Invalidates every VA of every address space (ALL_PDB).</summary>
    /// <exception cref="NovaMmException"><see cref="ErrorCode.TimedOut"/> when TRIGGER does not clear in time.</exception>
    public void FlushAll()
    {
        var command = new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(0).WithAllVa(true).WithAllPdb(true).WithTrigger(true);
        lock (_lock)
        {
            WaitIdle("before invalidating all PDBs");
            _bar0.Write(command);
            WaitIdle("invalidating all PDBs");
            _flushes++;
        }
    }

    private void WaitIdle(string what)
    {
        // Time out only after the deadline AND a few polls: a thread descheduled past the deadline (a GC pause, a
        // loaded machine) gets to look at the register again before it declares the hardware stuck.
        const int minimumPolls = 16;
        var clock = Stopwatch.StartNew();
        var polls = 0;
        while (_bar0.Read<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE>().Trigger)
        {
            if (++polls >= minimumPolls && clock.Elapsed > Timeout)
            {
                throw new NovaMmException(ErrorCode.TimedOut,
                    $"TLB invalidate did not complete within {Timeout.TotalMilliseconds:0} ms ({what}): NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE.TRIGGER still 1");
            }
        }
    }
}
