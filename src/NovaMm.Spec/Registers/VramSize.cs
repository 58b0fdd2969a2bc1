using NovaMm.Spec.Bits;

namespace NovaMm.Spec.Registers;

/// <summary>
/// NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE (BAR0 0x100CE0), the VRAM size on TU10x and GA100: LOWER_SCALE 3:0,
/// LOWER_MAG 9:4, ECC_MODE 30; size = MAG &lt;&lt; SCALE MiB, and with ECC usable = size / 16 × 15
/// (nova-core <c>vidmem_size_gp102</c>; docs/registers.md).
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE(uint Raw) : IRegister<NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE>
{
    /// <summary>LOWER_SCALE 3:0.</summary>
    public static readonly BitField LOWER_SCALE = new(3, 0);

    /// <summary>LOWER_MAG 9:4.</summary>
    public static readonly BitField LOWER_MAG = new(9, 4);

    /// <summary>ECC_MODE 30.</summary>
    public static readonly BitField ECC_MODE = BitField.Bit(30);

    /// <inheritdoc />
    public static uint Offset => 0x0010_0CE0;

    /// <inheritdoc />
    public static string Name => nameof(NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE);

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } =
        [new("LOWER_SCALE", LOWER_SCALE), new("LOWER_MAG", LOWER_MAG), new("ECC_MODE", ECC_MODE)];

    /// <inheritdoc />
    public static NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE FromRaw(uint raw) => new(raw);

    /// <summary>The VRAM size in bytes this value describes (ECC reduces it to 15/16).</summary>
    public ulong SizeBytes
    {
        get
        {
            var mib = LOWER_MAG.Get(Raw) << (int)LOWER_SCALE.Get(Raw);
            if (ECC_MODE.Get(Raw) != 0)
            {
                mib = mib / 16 * 15;
            }

            return mib << 20;
        }
    }

    /// <summary>
    /// The encoding of <paramref name="sizeBytes"/> (ECC off) with the smallest scale, or null when no
    /// 6-bit magnitude and 4-bit scale express it exactly.
    /// </summary>
    public static NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE? TryEncode(ulong sizeBytes)
    {
        if (sizeBytes == 0 || (sizeBytes & 0xFFFFF) != 0)
        {
            return null;
        }

        var mib = sizeBytes >> 20;
        for (var scale = 0; scale <= (int)LOWER_SCALE.MaxValue; scale++)
        {
            var mag = mib >> scale;
            if (mag << scale == mib && mag <= LOWER_MAG.MaxValue)
            {
                return new((uint)LOWER_MAG.Set(LOWER_SCALE.Set(0, (ulong)scale), mag));
            }
        }

        return null;
    }
}

/// <summary>
/// NV_USABLE_FB_SIZE_IN_MB = NV_PGC6_AON_SECURE_SCRATCH_GROUP_42 (BAR0 0x1183A4), the usable VRAM in MiB as VBIOS
/// devinit leaves it, on GA102–GA107, AD10x, GH100, GB100, GB102 and GB202–GB207 (RM <c>kmemsysReadUsableFbSize_GA102</c>,
/// <c>ampere/ga102/dev_gc6_island_addendum.h</c>; docs/registers.md).
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_USABLE_FB_SIZE_IN_MB(uint Raw) : IRegister<NV_USABLE_FB_SIZE_IN_MB>
{
    /// <summary>VALUE 31:0, MiB.</summary>
    public static readonly BitField VALUE = new(31, 0);

    /// <inheritdoc />
    public static uint Offset => 0x0011_83A4;

    /// <inheritdoc />
    public static string Name => nameof(NV_USABLE_FB_SIZE_IN_MB);

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } = [new("VALUE", VALUE)];

    /// <inheritdoc />
    public static NV_USABLE_FB_SIZE_IN_MB FromRaw(uint raw) => new(raw);

    /// <summary>The VRAM size in bytes.</summary>
    public ulong SizeBytes => (ulong)Raw << 20;

    /// <summary>The value for <paramref name="sizeBytes"/> (a whole number of MiB), or null when it does not fit.</summary>
    public static NV_USABLE_FB_SIZE_IN_MB? TryEncode(ulong sizeBytes) =>
        (sizeBytes & 0xFFFFF) != 0 || (sizeBytes >> 20) > uint.MaxValue ? null : new((uint)(sizeBytes >> 20));
}

/// <summary>Which register a chip's VBIOS uses to report the VRAM size.</summary>
public enum VramSizeRegisterKind
{
    /// <summary><see cref="NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE"/> (TU10x, GA100).</summary>
    LocalMemoryRange,

    /// <summary><see cref="NV_USABLE_FB_SIZE_IN_MB"/> (GA102 and later).</summary>
    UsableFbSizeInMb,
}

/// <summary>Which registers bind BAR1 to its instance block.</summary>
public enum Bar1BindKind
{
    /// <summary><see cref="NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK"/> + <see cref="NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS"/> (Turing to Ada).</summary>
    Bar1Block,

    /// <summary><see cref="NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR"/> + HIGH_ADDR (Hopper, Blackwell).</summary>
    FuncBar1BlockLowHigh,
}
