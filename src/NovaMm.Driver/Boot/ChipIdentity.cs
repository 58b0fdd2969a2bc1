using NovaMm.Spec.Chips;
using NovaMm.Spec.Device;
using NovaMm.Spec.Registers;

namespace NovaMm.Driver.Boot;

/// <summary>The chip as the driver identified it from NV_PMC_BOOT_0 and NV_PMC_BOOT_42 (docs/registers.md, Identification; values in docs/chips.md).</summary>
/// <param name="Chip">The catalog entry.</param>
/// <param name="Boot0">Raw NV_PMC_BOOT_0.</param>
/// <param name="Boot42">Raw NV_PMC_BOOT_42.</param>
public sealed record ChipIdentity(ChipInfo Chip, NV_PMC_BOOT_0 Boot0, NV_PMC_BOOT_42 Boot42)
{
    /// <summary>The revision as NVIDIA writes it, e.g. <c>A1</c>.</summary>
    public string Revision => $"{(char)('A' + Boot42.MajorRevision - 0xA)}{Boot42.MinorRevision}";

    /// <summary>
    /// Reads both identification registers and looks the chip up by BOOT_42.CHIP_ID, as nova-core does for
    /// Turing and later. BOOT_0 is decoded by field only (its bits 31:29 are undocumented).
    /// </summary>
    /// <exception cref="NovaMmException"><see cref="ErrorCode.NoDevice"/> for an id NovaMm does not know, printing it.</exception>
    public static ChipIdentity Read(IBar0 bar0)
    {
        var boot0 = bar0.Read<NV_PMC_BOOT_0>();
        var boot42 = bar0.Read<NV_PMC_BOOT_42>();
        var chip = ChipCatalog.FindById(boot42.ChipId) ?? throw new NovaMmException(ErrorCode.NoDevice,
            $"unknown chip id 0x{boot42.ChipId:x} (NV_PMC_BOOT_42 = 0x{boot42.Raw:08x}, NV_PMC_BOOT_0 = 0x{boot0.Raw:08x}): not a Turing or later GPU NovaMm knows");
        return new ChipIdentity(chip, boot0, boot42);
    }
}
