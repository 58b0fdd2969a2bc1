using NovaMm.Hardware.Bar1;
using NovaMm.Hardware.Bus;
using NovaMm.Hardware.Gsp;
using NovaMm.Hardware.Memory;
using NovaMm.Hardware.Mmu;
using NovaMm.Hardware.Units;
using NovaMm.Spec.Chips;
using NovaMm.Spec.Device;

namespace NovaMm.Hardware;

/// <summary>How to build a <see cref="SimulatedGpu"/>. Unset sizes come from the chip's default board.</summary>
public sealed record SimulatedGpuOptions
{
    /// <summary>The chip (default GA102).</summary>
    public ChipInfo Chip { get; init; } = ChipCatalog.Default;

    /// <summary>VRAM size in bytes; null = the chip's default board.</summary>
    public ulong? VramSize { get; init; }

    /// <summary>BAR1 size in bytes; null = the chip's default board.</summary>
    public ulong? Bar1Size { get; init; }

    /// <summary>Reads of MMU_INVALIDATE that show TRIGGER=1 before an invalidate completes.</summary>
    public int InvalidatePolls { get; init; } = 2;

    /// <summary>The VRAM size in effect.</summary>
    public ulong EffectiveVramSize => VramSize ?? Chip.DefaultBoard.VramSize;

    /// <summary>The BAR1 size in effect.</summary>
    public ulong EffectiveBar1Size => Bar1Size ?? Chip.DefaultBoard.Bar1Size;

    /// <summary>Checks the sizes against what the chip can do; throws <see cref="ArgumentException"/> naming the bad value.</summary>
    public void Validate()
    {
        var vram = EffectiveVramSize;
        if (vram == 0 || vram % (1UL << 20) != 0)
        {
            throw new ArgumentException($"VRAM size {vram} (0x{vram:x}) is not a non-zero multiple of 1 MiB", nameof(VramSize));
        }

        if (vram > Chip.MaxVramSize)
        {
            throw new ArgumentException(
                $"VRAM size {vram} (0x{vram:x}) is beyond what {Chip.Name} can address (max 0x{Chip.MaxVramSize:x}: PTE reach 0x{Chip.PteVramReach:x}, PRAMIN reach 0x{Chip.PraminWindow.Reach:x})",
                nameof(VramSize));
        }

        var bar1 = EffectiveBar1Size;
        if (bar1 == 0 || (bar1 & (bar1 - 1)) != 0)
        {
            throw new ArgumentException($"BAR1 size {bar1} (0x{bar1:x}) is not a power of two", nameof(Bar1Size));
        }

        if (bar1 < (1UL << 20) || bar1 > (1UL << Chip.VaBits))
        {
            throw new ArgumentException($"BAR1 size {bar1} (0x{bar1:x}) is outside 1 MiB .. 2^{Chip.VaBits} bytes", nameof(Bar1Size));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(InvalidatePolls);
    }
}

/// <summary>
/// A bit-faithful functional model of one NVIDIA GPU (docs/architecture.md, The hardware model):
/// sparse VRAM, the BAR0 bus with PMC identification, the PRAMIN window and aperture, the VRAM-size register,
/// the VF-PRIV BAR1 bind and MMU invalidate registers with the GMMU's TLB, the GMMU page walker with its fault log, the
/// BAR1 aperture, and the GSP. The driver reaches it only through <see cref="Bar0"/>, <see cref="Bar1"/> and <see cref="Gsp"/>. Deterministic: the same options give the same bytes.
/// </summary>
public sealed class SimulatedGpu
{
    /// <summary>Builds the GPU as VBIOS devinit leaves it: GSP not yet booted, PRAMIN window at VRAM 0.</summary>
    /// <exception cref="ArgumentException">The options name sizes the chip cannot have.</exception>
    public SimulatedGpu(SimulatedGpuOptions? options = null)
    {
        Options = options ?? new SimulatedGpuOptions();
        Options.Validate();
        Chip = Options.Chip;
        Vram = new SparseVram(Options.EffectiveVramSize);
        Bus = new Bar0Bus();
        Tlb = new GmmuTlb();
        Pmc = new PmcUnit(Bus, Chip);
        Pramin = new PraminUnit(Bus, Vram, Chip.PraminWindow);
        FbSize = new FbSizeUnit(Bus, Chip.VramSizeRegister, Vram.Size);
        Faults = new FaultLog();
        Gmmu = new Gmmu(Vram, Tlb, Faults);
        VfPriv = new VfPrivUnit(Bus, Chip.Bar1Bind, Gmmu, Chip.Format, Options.InvalidatePolls);
        GspModel = new GspModel(Vram, Bus, Chip, Options.EffectiveBar1Size);
        Bar1Aperture = new Bar1Aperture(Vram, Gmmu, VfPriv, Chip.Format, Options.EffectiveBar1Size);
    }

    /// <summary>The options the GPU was built from.</summary>
    public SimulatedGpuOptions Options { get; }

    /// <summary>The chip.</summary>
    public ChipInfo Chip { get; }

    /// <summary>Video memory.</summary>
    public SparseVram Vram { get; }

    /// <summary>The BAR0 bus (counts of undecoded accesses live here).</summary>
    public Bar0Bus Bus { get; }

    /// <summary>BAR0 as the driver sees it.</summary>
    public IBar0 Bar0 => Bus;

    /// <summary>The GSP as the driver sees it.</summary>
    public IGspRpc Gsp => GspModel;

    /// <summary>The GSP model (layout, boot state).</summary>
    public GspModel GspModel { get; }

    /// <summary>The GMMU's TLB.</summary>
    public GmmuTlb Tlb { get; }

    /// <summary>PMC identification.</summary>
    public PmcUnit Pmc { get; }

    /// <summary>The PRAMIN window and aperture.</summary>
    public PraminUnit Pramin { get; }

    /// <summary>The VRAM-size register.</summary>
    public FbSizeUnit FbSize { get; }

    /// <summary>BAR1 bind and MMU invalidate registers.</summary>
    public VfPrivUnit VfPriv { get; }

    /// <summary>The GMMU page walker (translates with <see cref="Tlb"/>, records into <see cref="Faults"/>).</summary>
    public Gmmu Gmmu { get; }

    /// <summary>The MMU fault log (BAR1 accesses that do not translate, and direct <see cref="Gmmu"/> translations that fail).</summary>
    public FaultLog Faults { get; }

    /// <summary>BAR1 as the driver sees it: offset N is virtual address N of the bound BAR1 address space.</summary>
    public IBar1 Bar1 => Bar1Aperture;

    /// <summary>The BAR1 aperture (counters, <see cref="Bar1Aperture.Translate"/>).</summary>
    public Bar1Aperture Bar1Aperture { get; }
}
