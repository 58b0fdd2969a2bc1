using NovaMm.Hardware.Bus;
using NovaMm.Hardware.Mmu;
using NovaMm.Spec.PageTables;
using NovaMm.Spec.Registers;

namespace NovaMm.Hardware.Units;

/// <summary>
/// The VF-PRIV block (BAR0 0xB80000 on): the BAR1 bind registers of the chip's generation and the MMU
/// invalidate registers (docs/registers.md, BAR1 / BAR2 bind and TLB invalidate).
/// <para>Bind: Turing–Ada write NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK, then poll BIND_STATUS; Hopper/Blackwell write
/// FUNC_BAR1_BLOCK_LOW_ADDR then HIGH_ADDR (the HIGH write triggers), then poll LOW's PENDING/OUTSTANDING. In the
/// model a bind is pending for one status read. The bind fetches the instance block once, as the hardware's bind
/// does: its page-directory base is decoded at the bind and latched in <see cref="Bar1Binding"/>; later writes to the
/// instance block's PDB words in VRAM take effect only at the next bind (docs/gmmu-bar1.md).</para>
/// <para>Invalidate: PDB and UPPER_PDB select the address space, INVALIDATE with TRIGGER=1 starts it. TRIGGER
/// reads 1 for <see cref="InvalidatePolls"/> reads and then 0, at which point the TLB entries are dropped
/// (ALL_PDB: all; otherwise the selected PDB; there is no VA register on this block, so every request acts as
/// ALL_VA). With <see cref="InvalidateNeverCompletes"/> TRIGGER stays 1 and nothing is dropped.</para>
/// </summary>
public sealed class VfPrivUnit
{
    private readonly Lock _lock = new();
    private readonly GmmuTlb _tlb;
    private readonly Gmmu _gmmu;
    private readonly MmuFormat _format;
    private volatile Bar1Binding? _binding;
    private uint _bar1Block;
    private uint _bar1Low;
    private uint _bar1High;
    private bool _bindPending;
    private uint _invalidatePdb;
    private uint _invalidateUpperPdb;
    private uint _invalidate;
    private int _pollsLeft;
    private long _invalidatesCompleted;

    /// <summary>
    /// Maps the registers of <paramref name="bind"/>'s generation and the invalidate registers. A bind decodes the bound
    /// instance block with <paramref name="gmmu"/> in <paramref name="format"/>; invalidates drop entries of <paramref name="gmmu"/>'s TLB.
    /// </summary>
    public VfPrivUnit(Bar0Bus bus, Bar1BindKind bind, Gmmu gmmu, MmuFormat format, int invalidatePolls)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(gmmu);
        ArgumentNullException.ThrowIfNull(format);
        ArgumentOutOfRangeException.ThrowIfNegative(invalidatePolls);
        _gmmu = gmmu;
        _format = format;
        _tlb = gmmu.Tlb;
        InvalidatePolls = invalidatePolls;
        BindKind = bind;
        if (bind == Bar1BindKind.Bar1Block)
        {
            bus.MapRegister(NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK.Offset, () => Get(ref _bar1Block), v =>
            {
                lock (_lock)
                {
                    _bar1Block = v;
                    _bindPending = true;
                    var reg = new NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK(v);
                    Bind(reg.Mode == NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK.MODE_VIRTUAL && reg.Target == 0 ? reg.InstanceBlockAddress : null);
                }
            });
            bus.MapRegister(NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS.Offset, ReadBindStatus, null);
        }
        else
        {
            bus.MapRegister(NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR.Offset, ReadBar1Low, v =>
            {
                lock (_lock)
                {
                    // PENDING and OUTSTANDING are read-only.
                    _bar1Low = v & ~(uint)(NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR.BAR1_PENDING.Mask | NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR.BAR1_OUTSTANDING.Mask);
                }
            });
            bus.MapRegister(NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR.Offset, () => Get(ref _bar1High), v =>
            {
                lock (_lock)
                {
                    _bar1High = v;
                    _bindPending = true;
                    var low = new NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR(_bar1Low);
                    Bind(low.Mode == 1 && low.Target == 0 ? low.InstanceBlockLow | new NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR(v).InstanceBlockHigh : null);
                }
            });
        }

        bus.MapRegister(NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB.Offset, () => Get(ref _invalidatePdb), v => Set(ref _invalidatePdb, v));
        bus.MapRegister(NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB.Offset, () => Get(ref _invalidateUpperPdb), v => Set(ref _invalidateUpperPdb, v));
        bus.MapRegister(NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE.Offset, ReadInvalidate, WriteInvalidate);
    }

    /// <summary>Which bind registers this chip has.</summary>
    public Bar1BindKind BindKind { get; }

    /// <summary>The VRAM instance block BAR1 is bound to (virtual mode, video memory), or null.</summary>
    public ulong? Bar1InstanceBlock => _binding?.InstanceBlock;

    /// <summary>
    /// What the last bind latched: the instance block and the page directory its PDB words named at the bind (or why
    /// they name none). Null when BAR1 is unbound. Read lock-free by every BAR1 access; replaced at once by a rebind.
    /// </summary>
    public Bar1Binding? Bar1Binding => _binding;

    /// <summary>Reads of INVALIDATE that still show TRIGGER=1 before an invalidate completes.</summary>
    public int InvalidatePolls { get; set; }

    /// <summary>Test knob: invalidates never complete (TRIGGER stays 1, the TLB keeps its entries).</summary>
    public bool InvalidateNeverCompletes { get; set; }

    /// <summary>Invalidates that have completed.</summary>
    public long InvalidatesCompleted => Interlocked.Read(ref _invalidatesCompleted);

    /// <summary>Latches the binding of <paramref name="instanceBlock"/>: the bind fetches the instance block's PDB words now.</summary>
    private void Bind(ulong? instanceBlock)
    {
        if (instanceBlock is not { } ib)
        {
            _binding = null;
            return;
        }

        var (pdb, reason) = _gmmu.ResolveInstanceBlock(ib, _format);
        _binding = new Bar1Binding(ib, pdb, reason);
    }

    private uint Get(ref uint field)
    {
        lock (_lock)
        {
            return field;
        }
    }

    private void Set(ref uint field, uint value)
    {
        lock (_lock)
        {
            field = value;
        }
    }

    private uint ReadBindStatus()
    {
        lock (_lock)
        {
            var busy = _bindPending;
            _bindPending = false;
            return busy ? (uint)(NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS.BAR1_PENDING.Mask | NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS.BAR1_OUTSTANDING.Mask) : 0;
        }
    }

    private uint ReadBar1Low()
    {
        lock (_lock)
        {
            var busy = _bindPending;
            _bindPending = false;
            return busy ? _bar1Low | (uint)NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR.BAR1_PENDING.Mask : _bar1Low;
        }
    }

    private void WriteInvalidate(uint value)
    {
        lock (_lock)
        {
            var reg = new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(value);
            if (new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(_invalidate).Trigger && !reg.Trigger)
            {
                return; // a write while busy without TRIGGER does not cancel the invalidate in flight
            }

            _invalidate = value;
            _pollsLeft = reg.Trigger ? InvalidatePolls : 0;
            if (reg.Trigger && _pollsLeft == 0 && !InvalidateNeverCompletes)
            {
                Complete();
            }
        }
    }

    private uint ReadInvalidate()
    {
        lock (_lock)
        {
            var reg = new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(_invalidate);
            if (!reg.Trigger || InvalidateNeverCompletes)
            {
                return _invalidate;
            }

            if (_pollsLeft > 0)
            {
                _pollsLeft--;
                return _invalidate;
            }

            Complete();
            return _invalidate;
        }
    }

    private void Complete()
    {
        var reg = new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(_invalidate);
        if (reg.AllPdb)
        {
            _tlb.InvalidateAll();
        }
        else
        {
            var pdb = new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB(_invalidatePdb).AddressLow
                | new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB(_invalidateUpperPdb).AddressHigh;
            _tlb.InvalidatePdb(pdb);
        }

        _invalidate = reg.WithTrigger(false).Raw;
        _invalidatesCompleted++;
    }
}

/// <summary>The BAR1 binding latched by a bind (docs/registers.md, BAR1 / BAR2 bind): the bound instance block and what its PDB words said at the bind.</summary>
/// <param name="InstanceBlock">VRAM address of the bound instance block.</param>
/// <param name="Pdb">The root page directory it named (as <see cref="Gmmu.ResolveInstanceBlock"/> decodes it).</param>
/// <param name="Reason">Why the instance block names no usable page directory (every BAR1 access then faults with it), or null.</param>
public sealed record Bar1Binding(ulong InstanceBlock, ulong Pdb, MmuFaultReason? Reason);
