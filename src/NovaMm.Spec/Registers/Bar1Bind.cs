using NovaMm.Spec.Bits;

namespace NovaMm.Spec.Registers;

/// <summary>
/// NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK (BAR0 0xB80F40 = VF-PRIV base 0xB80000 + 0xF40), Turing to Ada: binds BAR1
/// to an instance block. PTR 27:0 = instance block PA &gt;&gt; 12, TARGET 29:28 (0 vid, 2 sys coh, 3 sys non-coh),
/// MODE 31 (0 physical, 1 virtual). open-gpu-doc <c>manuals/ampere/ga100/dev_vm.ref.txt</c> (docs/registers.md).
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK(uint Raw) : IRegister<NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK>
{
    /// <summary>PTR 27:0.</summary>
    public static readonly BitField PTR = new(27, 0);

    /// <summary>TARGET 29:28.</summary>
    public static readonly BitField TARGET = new(29, 28);

    /// <summary>MODE 31.</summary>
    public static readonly BitField MODE = BitField.Bit(31);

    /// <summary>TARGET value VID_MEM.</summary>
    public const uint TARGET_VID_MEM = 0;

    /// <summary>MODE value VIRTUAL.</summary>
    public const uint MODE_VIRTUAL = 1;

    /// <inheritdoc />
    public static uint Offset => 0x00B8_0F40;

    /// <inheritdoc />
    public static string Name => nameof(NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK);

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } = [new("PTR", PTR), new("TARGET", TARGET), new("MODE", MODE)];

    /// <inheritdoc />
    public static NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK FromRaw(uint raw) => new(raw);

    /// <summary>Instance block VRAM address (PTR &lt;&lt; 12).</summary>
    public ulong InstanceBlockAddress => PTR.Get(Raw) << 12;

    /// <summary>The TARGET field.</summary>
    public uint Target => (uint)TARGET.Get(Raw);

    /// <summary>The MODE field.</summary>
    public uint Mode => (uint)MODE.Get(Raw);

    /// <summary>A virtual-mode bind of the instance block at <paramref name="instanceBlock"/> in VRAM (4 KiB aligned).</summary>
    public static NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK ForVramInstanceBlock(ulong instanceBlock)
    {
        if ((instanceBlock & 0xFFF) != 0)
        {
            throw new ArgumentException($"instance block 0x{instanceBlock:x} is not 4 KiB aligned", nameof(instanceBlock));
        }

        return new((uint)MODE.Set(TARGET.Set(PTR.Set(0, instanceBlock >> 12), TARGET_VID_MEM), MODE_VIRTUAL));
    }
}

/// <summary>
/// NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS (BAR0 0xB80F50), Turing to Ada: BAR1_PENDING 0, BAR1_OUTSTANDING 1,
/// BAR2_PENDING 2, BAR2_OUTSTANDING 3; software polls them to 0 after a bind (nouveau <c>bar/tu102.c</c>; docs/registers.md).
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS(uint Raw) : IRegister<NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS>
{
    /// <summary>BAR1_PENDING 0.</summary>
    public static readonly BitField BAR1_PENDING = BitField.Bit(0);

    /// <summary>BAR1_OUTSTANDING 1.</summary>
    public static readonly BitField BAR1_OUTSTANDING = BitField.Bit(1);

    /// <summary>BAR2_PENDING 2.</summary>
    public static readonly BitField BAR2_PENDING = BitField.Bit(2);

    /// <summary>BAR2_OUTSTANDING 3.</summary>
    public static readonly BitField BAR2_OUTSTANDING = BitField.Bit(3);

    /// <inheritdoc />
    public static uint Offset => 0x00B8_0F50;

    /// <inheritdoc />
    public static string Name => nameof(NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS);

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } =
    [
        new("BAR1_PENDING", BAR1_PENDING), new("BAR1_OUTSTANDING", BAR1_OUTSTANDING),
        new("BAR2_PENDING", BAR2_PENDING), new("BAR2_OUTSTANDING", BAR2_OUTSTANDING),
    ];

    /// <inheritdoc />
    public static NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS FromRaw(uint raw) => new(raw);

    /// <summary>Whether a BAR1 bind is still pending or outstanding.</summary>
    public bool Bar1Busy => BAR1_PENDING.Get(Raw) != 0 || BAR1_OUTSTANDING.Get(Raw) != 0;
}

/// <summary>
/// NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR (BAR0 0xB80F60), Hopper and Blackwell: BAR1_PENDING 0 (R),
/// BAR1_OUTSTANDING 1 (R), MODE 9, TARGET 11:10, PTR 31:12 (= instance PA[31:12] in place). RM
/// <c>hopper/gh100/dev_vm.h</c>, <c>blackwell/gb100/dev_vm.h</c>, <c>kern_bus_gh100.c</c> (docs/registers.md).
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR(uint Raw) : IRegister<NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR>
{
    /// <summary>BAR1_PENDING 0 (read-only).</summary>
    public static readonly BitField BAR1_PENDING = BitField.Bit(0);

    /// <summary>BAR1_OUTSTANDING 1 (read-only).</summary>
    public static readonly BitField BAR1_OUTSTANDING = BitField.Bit(1);

    /// <summary>MODE 9 (0 physical, 1 virtual).</summary>
    public static readonly BitField MODE = BitField.Bit(9);

    /// <summary>TARGET 11:10.</summary>
    public static readonly BitField TARGET = new(11, 10);

    /// <summary>PTR 31:12: instance block address bits 31:12 in place.</summary>
    public static readonly BitField PTR = new(31, 12);

    /// <inheritdoc />
    public static uint Offset => 0x00B8_0F60;

    /// <inheritdoc />
    public static string Name => nameof(NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR);

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } =
    [
        new("BAR1_PENDING", BAR1_PENDING), new("BAR1_OUTSTANDING", BAR1_OUTSTANDING),
        new("MODE", MODE), new("TARGET", TARGET), new("PTR", PTR),
    ];

    /// <inheritdoc />
    public static NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR FromRaw(uint raw) => new(raw);

    /// <summary>Instance block address bits 31:12.</summary>
    public ulong InstanceBlockLow => PTR.Get(Raw) << 12;

    /// <summary>The MODE field.</summary>
    public uint Mode => (uint)MODE.Get(Raw);

    /// <summary>The TARGET field.</summary>
    public uint Target => (uint)TARGET.Get(Raw);

    /// <summary>Whether the bind is still pending or outstanding.</summary>
    public bool Busy => BAR1_PENDING.Get(Raw) != 0 || BAR1_OUTSTANDING.Get(Raw) != 0;

    /// <summary>The low half of a virtual-mode VRAM bind of <paramref name="instanceBlock"/> (4 KiB aligned).</summary>
    public static NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR ForVramInstanceBlock(ulong instanceBlock)
    {
        if ((instanceBlock & 0xFFF) != 0)
        {
            throw new ArgumentException($"instance block 0x{instanceBlock:x} is not 4 KiB aligned", nameof(instanceBlock));
        }

        return new((uint)PTR.Set(MODE.Set(0, 1), (instanceBlock & 0xFFFF_FFFF) >> 12));
    }
}

/// <summary>
/// NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR (BAR0 0xB80F64), Hopper and Blackwell: PTR 31:0 = instance
/// block PA &gt;&gt; 32. Writing it triggers the bind (docs/registers.md).
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR(uint Raw) : IRegister<NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR>
{
    /// <summary>PTR 31:0.</summary>
    public static readonly BitField PTR = new(31, 0);

    /// <inheritdoc />
    public static uint Offset => 0x00B8_0F64;

    /// <inheritdoc />
    public static string Name => nameof(NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR);

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } = [new("PTR", PTR)];

    /// <inheritdoc />
    public static NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR FromRaw(uint raw) => new(raw);

    /// <summary>The high half for <paramref name="instanceBlock"/>.</summary>
    public static NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR ForInstanceBlock(ulong instanceBlock) => new((uint)(instanceBlock >> 32));

    /// <summary>Instance block address bits 63:32.</summary>
    public ulong InstanceBlockHigh => (ulong)Raw << 32;
}
