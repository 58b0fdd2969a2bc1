using NovaMm.Hardware.Bus;
using NovaMm.Spec.Registers;

namespace NovaMm.Hardware.Units;

/// <summary>
/// The VRAM-size register as VBIOS devinit leaves it (docs/registers.md, VRAM size): NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE on
/// TU10x/GA100, NV_USABLE_FB_SIZE_IN_MB on GA102 and later. Read-only to the driver.
/// </summary>
public sealed class FbSizeUnit
{
    /// <summary>Programs the chip's size register for <paramref name="vramSize"/> bytes and maps it.</summary>
    /// <exception cref="ArgumentException">The register cannot express the size.</exception>
    public FbSizeUnit(Bar0Bus bus, VramSizeRegisterKind kind, ulong vramSize)
    {
        switch (kind)
        {
            case VramSizeRegisterKind.LocalMemoryRange:
                Value = (NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE.TryEncode(vramSize)
                    ?? throw new ArgumentException($"VRAM size 0x{vramSize:x} cannot be expressed in {NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE.Name} (MAG 6 bits << SCALE 4 bits, in MiB)", nameof(vramSize))).Raw;
                bus.MapRegister(NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE.Offset, () => Value, null);
                break;
            case VramSizeRegisterKind.UsableFbSizeInMb:
                Value = (NV_USABLE_FB_SIZE_IN_MB.TryEncode(vramSize)
                    ?? throw new ArgumentException($"VRAM size 0x{vramSize:x} cannot be expressed in {NV_USABLE_FB_SIZE_IN_MB.Name}", nameof(vramSize))).Raw;
                bus.MapRegister(NV_USABLE_FB_SIZE_IN_MB.Offset, () => Value, null);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown VRAM size register kind");
        }
    }

    /// <summary>The raw register value.</summary>
    public uint Value { get; }
}
