using NovaMm.Hardware.Bus;
using NovaMm.Spec.Chips;
using NovaMm.Spec.Registers;

namespace NovaMm.Hardware.Units;

/// <summary>PMC identification: NV_PMC_BOOT_0 and NV_PMC_BOOT_42, read-only, as revision A1 of the chip reports them (docs/registers.md, Identification; the per-chip words in docs/chips.md).</summary>
public sealed class PmcUnit
{
    /// <summary>Maps the identification registers of <paramref name="chip"/> onto <paramref name="bus"/>.</summary>
    public PmcUnit(Bar0Bus bus, ChipInfo chip)
    {
        Boot0 = chip.Boot0;
        Boot42 = chip.Boot42;
        bus.MapRegister(NV_PMC_BOOT_0.Offset, () => Boot0, null);
        bus.MapRegister(NV_PMC_BOOT_42.Offset, () => Boot42, null);
    }

    /// <summary>The NV_PMC_BOOT_0 value.</summary>
    public uint Boot0 { get; }

    /// <summary>The NV_PMC_BOOT_42 value.</summary>
    public uint Boot42 { get; }
}
