using NovaMm.Spec.Device;
using NovaMm.Spec.Registers;

namespace NovaMm.Driver.Fb;

/// <summary>Reads the VRAM size VBIOS devinit left in the chip's size register (docs/registers.md, VRAM size).</summary>
public static class VramSizeRegister
{
    /// <summary>The VRAM size in bytes according to the register of <paramref name="kind"/>.</summary>
    public static ulong Read(IBar0 bar0, VramSizeRegisterKind kind) => kind switch
    {
        VramSizeRegisterKind.LocalMemoryRange => bar0.Read<NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE>().SizeBytes,
        VramSizeRegisterKind.UsableFbSizeInMb => bar0.Read<NV_USABLE_FB_SIZE_IN_MB>().SizeBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown VRAM size register kind"),
    };

    /// <summary>The register's name, for reports.</summary>
    public static string NameOf(VramSizeRegisterKind kind) => kind switch
    {
        VramSizeRegisterKind.LocalMemoryRange => NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE.Name,
        VramSizeRegisterKind.UsableFbSizeInMb => NV_USABLE_FB_SIZE_IN_MB.Name,
        _ => kind.ToString(),
    };
}
