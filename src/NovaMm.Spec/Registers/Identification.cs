using NovaMm.Spec.Bits;

namespace NovaMm.Spec.Registers;

/// <summary>
/// NV_PMC_BOOT_0 (BAR0 0x000000): chip identification as older chips report it. Fields from
/// open-gpu-doc <c>ampere/ga100/dev_boot.ref.txt</c> and nova-core <c>regs.rs</c> (docs/registers.md).
/// Bits 31:29 are undocumented (0b101 on GA10x): decode fields only, never compare whole words.
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_PMC_BOOT_0(uint Raw) : IRegister<NV_PMC_BOOT_0>
{
    /// <summary>MINOR_REVISION 3:0.</summary>
    public static readonly BitField MINOR_REVISION = new(3, 0);

    /// <summary>MAJOR_REVISION 7:4.</summary>
    public static readonly BitField MAJOR_REVISION = new(7, 4);

    /// <summary>ARCHITECTURE_1 8:8, the most significant bit of the 6-bit architecture (nova-core).</summary>
    public static readonly BitField ARCHITECTURE_1 = BitField.Bit(8);

    /// <summary>IMPLEMENTATION 23:20.</summary>
    public static readonly BitField IMPLEMENTATION = new(23, 20);

    /// <summary>ARCHITECTURE_0 28:24, the low five bits of the architecture.</summary>
    public static readonly BitField ARCHITECTURE_0 = new(28, 24);

    /// <inheritdoc />
    public static uint Offset => 0x0000_0000;

    /// <inheritdoc />
    public static string Name => nameof(NV_PMC_BOOT_0);

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } =
    [
        new("MINOR_REVISION", MINOR_REVISION), new("MAJOR_REVISION", MAJOR_REVISION),
        new("ARCHITECTURE_1", ARCHITECTURE_1), new("IMPLEMENTATION", IMPLEMENTATION),
        new("ARCHITECTURE_0", ARCHITECTURE_0),
    ];

    /// <inheritdoc />
    public static NV_PMC_BOOT_0 FromRaw(uint raw) => new(raw);

    /// <summary>The 6-bit architecture: ARCHITECTURE_1 above ARCHITECTURE_0.</summary>
    public uint Architecture => (uint)((ARCHITECTURE_1.Get(Raw) << 5) | ARCHITECTURE_0.Get(Raw));

    /// <summary>The implementation within the architecture.</summary>
    public uint Implementation => (uint)IMPLEMENTATION.Get(Raw);

    /// <summary>The chipset id, <c>(architecture &lt;&lt; 4) | implementation</c>.</summary>
    public uint Chipset => (Architecture << 4) | Implementation;

    /// <summary>Major revision (the "A" of A1 is 0xA).</summary>
    public uint MajorRevision => (uint)MAJOR_REVISION.Get(Raw);

    /// <summary>Minor revision.</summary>
    public uint MinorRevision => (uint)MINOR_REVISION.Get(Raw);

    /// <summary>This value with the architecture set (6 bits, split over ARCHITECTURE_1 and ARCHITECTURE_0).</summary>
    public NV_PMC_BOOT_0 WithArchitecture(uint architecture)
    {
        if (architecture > 0x3F)
        {
            throw new ArgumentOutOfRangeException(nameof(architecture), architecture, $"architecture 0x{architecture:x} is wider than 6 bits");
        }

        var raw = ARCHITECTURE_0.Set(Raw, architecture & 0x1F);
        return new((uint)ARCHITECTURE_1.Set(raw, architecture >> 5));
    }

    /// <summary>This value with IMPLEMENTATION set.</summary>
    public NV_PMC_BOOT_0 WithImplementation(uint value) => new((uint)IMPLEMENTATION.Set(Raw, value));

    /// <summary>This value with both revision nibbles set.</summary>
    public NV_PMC_BOOT_0 WithRevision(uint major, uint minor) =>
        new((uint)MINOR_REVISION.Set(MAJOR_REVISION.Set(Raw, major), minor));
}

/// <summary>
/// NV_PMC_BOOT_42 (BAR0 0x000A00): the chip identification register nova-core uses for Turing and later.
/// Layout from open-gpu-kernel-modules <c>swref/published/nv_ref.h</c> (560.28.03 on): 6-bit ARCHITECTURE 29:24,
/// CHIP_ID 29:20 is ARCHITECTURE and IMPLEMENTATION read together (open-gpu-kernel-modules <c>nv_ref.h</c>; docs/registers.md).
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_PMC_BOOT_42(uint Raw) : IRegister<NV_PMC_BOOT_42>
{
    /// <summary>MINOR_EXTENDED_REVISION 11:8.</summary>
    public static readonly BitField MINOR_EXTENDED_REVISION = new(11, 8);

    /// <summary>MINOR_REVISION 15:12.</summary>
    public static readonly BitField MINOR_REVISION = new(15, 12);

    /// <summary>MAJOR_REVISION 19:16.</summary>
    public static readonly BitField MAJOR_REVISION = new(19, 16);

    /// <summary>IMPLEMENTATION 23:20.</summary>
    public static readonly BitField IMPLEMENTATION = new(23, 20);

    /// <summary>ARCHITECTURE 29:24.</summary>
    public static readonly BitField ARCHITECTURE = new(29, 24);

    /// <summary>CHIP_ID 29:20: a second view over ARCHITECTURE and IMPLEMENTATION (documented overlap).</summary>
    public static readonly BitField CHIP_ID = new(29, 20);

    /// <inheritdoc />
    public static uint Offset => 0x0000_0A00;

    /// <inheritdoc />
    public static string Name => nameof(NV_PMC_BOOT_42);

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } =
    [
        new("MINOR_EXTENDED_REVISION", MINOR_EXTENDED_REVISION), new("MINOR_REVISION", MINOR_REVISION),
        new("MAJOR_REVISION", MAJOR_REVISION), new("IMPLEMENTATION", IMPLEMENTATION),
        new("ARCHITECTURE", ARCHITECTURE),
    ];

    /// <inheritdoc />
    public static NV_PMC_BOOT_42 FromRaw(uint raw) => new(raw);

    /// <summary>The 6-bit architecture.</summary>
    public uint Architecture => (uint)ARCHITECTURE.Get(Raw);

    /// <summary>The implementation within the architecture.</summary>
    public uint Implementation => (uint)IMPLEMENTATION.Get(Raw);

    /// <summary>The chipset id (CHIP_ID), e.g. 0x172 for GA102.</summary>
    public uint ChipId => (uint)CHIP_ID.Get(Raw);

    /// <summary>Major revision.</summary>
    public uint MajorRevision => (uint)MAJOR_REVISION.Get(Raw);

    /// <summary>Minor revision.</summary>
    public uint MinorRevision => (uint)MINOR_REVISION.Get(Raw);

    /// <summary>This value with CHIP_ID set (architecture and implementation at once).</summary>
    public NV_PMC_BOOT_42 WithChipId(uint chipId) => new((uint)CHIP_ID.Set(Raw, chipId));

    /// <summary>This value with both revision nibbles set.</summary>
    public NV_PMC_BOOT_42 WithRevision(uint major, uint minor) =>
        new((uint)MINOR_REVISION.Set(MAJOR_REVISION.Set(Raw, major), minor));
}
