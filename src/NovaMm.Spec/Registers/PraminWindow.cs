using NovaMm.Spec.Bits;

namespace NovaMm.Spec.Registers;

/// <summary>
/// A register that positions the 1 MiB PRAMIN aperture (BAR0 0x700000) over VRAM. The base is stored
/// as VRAM address bits above 16 (64 KiB granularity); the field width sets the reach (docs/registers.md).
/// </summary>
/// <typeparam name="TSelf">The register type.</typeparam>
public interface IPraminWindowRegister<TSelf> : IRegister<TSelf> where TSelf : struct, IPraminWindowRegister<TSelf>
{
    /// <summary>The BASE field.</summary>
    static abstract BitField BaseField { get; }

    /// <summary>The register that points the window at VRAM address <paramref name="vramBase"/> (64 KiB aligned, within reach).</summary>
    static abstract TSelf ForVramBase(ulong vramBase);

    /// <summary>The VRAM address the window points at.</summary>
    ulong VramBase { get; }

    /// <summary>Whether the window targets VRAM (registers without a TARGET field always do).</summary>
    bool TargetsVram { get; }
}

/// <summary>Shared arithmetic of the window registers: 64 KiB granularity (BASE_SHIFT 16).</summary>
public static class PraminWindowMath
{
    /// <summary>BASE_SHIFT: the base field holds VRAM address bits from 16 up.</summary>
    public const int BaseShift = 16;

    /// <summary>The window base alignment, 64 KiB.</summary>
    public const ulong BaseAlignment = 1UL << BaseShift;

    /// <summary>The raw BASE field value for <paramref name="vramBase"/>, checked against <paramref name="field"/>.</summary>
    public static ulong EncodeBase(ulong vramBase, BitField field)
    {
        if ((vramBase & (BaseAlignment - 1)) != 0)
        {
            throw new ArgumentException($"PRAMIN window base 0x{vramBase:x} is not 64 KiB aligned", nameof(vramBase));
        }

        var value = vramBase >> BaseShift;
        if (value > field.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(vramBase), vramBase,
                $"PRAMIN window base 0x{vramBase:x} is beyond the register's reach (max 0x{field.MaxValue << BaseShift:x})");
        }

        return value;
    }
}

/// <summary>
/// NV_PBUS_BAR0_WINDOW (BAR0 0x001700), Pascal to Ada: BASE 23:0 (= VRAM address &gt;&gt; 16, 1 TiB reach),
/// TARGET 25:24 (0 VID_MEM, 2 SYS_MEM_COHERENT, 3 SYS_MEM_NONCOHERENT). open-gpu-doc
/// <c>dev_bus.ref.txt</c> (gv100/tu104/ga100); docs/registers.md. nova-core's comment giving 1 = SYS_MEM_COH is wrong.
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_PBUS_BAR0_WINDOW(uint Raw) : IPraminWindowRegister<NV_PBUS_BAR0_WINDOW>
{
    /// <summary>BASE 23:0.</summary>
    public static readonly BitField BASE = new(23, 0);

    /// <summary>TARGET 25:24.</summary>
    public static readonly BitField TARGET = new(25, 24);

    /// <summary>TARGET value VID_MEM.</summary>
    public const uint TARGET_VID_MEM = 0;

    /// <summary>TARGET value SYS_MEM_COHERENT.</summary>
    public const uint TARGET_SYS_MEM_COHERENT = 2;

    /// <summary>TARGET value SYS_MEM_NONCOHERENT.</summary>
    public const uint TARGET_SYS_MEM_NONCOHERENT = 3;

    /// <inheritdoc />
    public static uint Offset => 0x0000_1700;

    /// <inheritdoc />
    public static string Name => nameof(NV_PBUS_BAR0_WINDOW);

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } = [new("BASE", BASE), new("TARGET", TARGET)];

    /// <inheritdoc />
    public static BitField BaseField => BASE;

    /// <inheritdoc />
    public static NV_PBUS_BAR0_WINDOW FromRaw(uint raw) => new(raw);

    /// <inheritdoc />
    public static NV_PBUS_BAR0_WINDOW ForVramBase(ulong vramBase) =>
        new NV_PBUS_BAR0_WINDOW(0).WithBase(PraminWindowMath.EncodeBase(vramBase, BASE)).WithTarget(TARGET_VID_MEM);

    /// <summary>The BASE field (VRAM address &gt;&gt; 16).</summary>
    public uint Base => (uint)BASE.Get(Raw);

    /// <summary>The TARGET field.</summary>
    public uint Target => (uint)TARGET.Get(Raw);

    /// <inheritdoc />
    public ulong VramBase => (ulong)Base << PraminWindowMath.BaseShift;

    /// <inheritdoc />
    public bool TargetsVram => Target == TARGET_VID_MEM;

    /// <summary>This value with BASE set.</summary>
    public NV_PBUS_BAR0_WINDOW WithBase(ulong value) => new((uint)BASE.Set(Raw, value));

    /// <summary>This value with TARGET set.</summary>
    public NV_PBUS_BAR0_WINDOW WithTarget(uint value) => new((uint)TARGET.Set(Raw, value));
}

/// <summary>
/// NV_XAL_EP_BAR0_WINDOW (BAR0 0x10FD40 = NV_XAL_BASE_ADDRESS 0x10F000 + 0xD40) on Hopper GH100: BASE 21:0
/// (256 GiB reach), no TARGET field — always VRAM. open-gpu-kernel-modules
/// <c>swref/published/hopper/gh100/pri_nv_xal_ep.h</c> (named NV_XAL_EP_ZB_BAR0_WINDOW from 595.45.04); docs/registers.md.
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_XAL_EP_BAR0_WINDOW(uint Raw) : IPraminWindowRegister<NV_XAL_EP_BAR0_WINDOW>
{
    /// <summary>BASE 21:0.</summary>
    public static readonly BitField BASE = new(21, 0);

    /// <inheritdoc />
    public static uint Offset => 0x0010_FD40;

    /// <inheritdoc />
    public static string Name => nameof(NV_XAL_EP_BAR0_WINDOW);

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } = [new("BASE", BASE)];

    /// <inheritdoc />
    public static BitField BaseField => BASE;

    /// <inheritdoc />
    public static NV_XAL_EP_BAR0_WINDOW FromRaw(uint raw) => new(raw);

    /// <inheritdoc />
    public static NV_XAL_EP_BAR0_WINDOW ForVramBase(ulong vramBase) =>
        new((uint)BASE.Set(0, PraminWindowMath.EncodeBase(vramBase, BASE)));

    /// <inheritdoc />
    public ulong VramBase => BASE.Get(Raw) << PraminWindowMath.BaseShift;

    /// <inheritdoc />
    public bool TargetsVram => true;
}

/// <summary>
/// NV_XAL_EP_BAR0_WINDOW as Blackwell GB100, GB102 and GB202–GB207 lay it out: same address 0x10FD40, BASE 22:0
/// (512 GiB reach), no TARGET field. open-gpu-kernel-modules <c>swref/published/blackwell/gb100/pri_nv_xal_ep.h</c>;
/// RM programs GB20x with the GB100 HAL (<c>kbusWriteBAR0WindowBase_GB100</c>; docs/registers.md).
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_XAL_EP_BAR0_WINDOW_GB100(uint Raw) : IPraminWindowRegister<NV_XAL_EP_BAR0_WINDOW_GB100>
{
    /// <summary>BASE 22:0.</summary>
    public static readonly BitField BASE = new(22, 0);

    /// <inheritdoc />
    public static uint Offset => 0x0010_FD40;

    /// <inheritdoc />
    public static string Name => "NV_XAL_EP_BAR0_WINDOW (GB100)";

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } = [new("BASE", BASE)];

    /// <inheritdoc />
    public static BitField BaseField => BASE;

    /// <inheritdoc />
    public static NV_XAL_EP_BAR0_WINDOW_GB100 FromRaw(uint raw) => new(raw);

    /// <inheritdoc />
    public static NV_XAL_EP_BAR0_WINDOW_GB100 ForVramBase(ulong vramBase) =>
        new((uint)BASE.Set(0, PraminWindowMath.EncodeBase(vramBase, BASE)));

    /// <inheritdoc />
    public ulong VramBase => BASE.Get(Raw) << PraminWindowMath.BaseShift;

    /// <inheritdoc />
    public bool TargetsVram => true;
}
