using NovaMm.Spec.Bits;

namespace NovaMm.Spec.Registers;

/// <summary>
/// NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB (BAR0 0xB830A0), Turing through Blackwell: APERTURE bit 1
/// (0 VID_MEM, 1 SYS_MEM), ADDR 31:4 = PDB &gt;&gt; 12. RM <c>turing/tu102/dev_vm.h</c>, nouveau <c>vmmtu102.c</c> (docs/registers.md).
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB(uint Raw) : IRegister<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB>
{
    /// <summary>APERTURE 1:1.</summary>
    public static readonly BitField APERTURE = BitField.Bit(1);

    /// <summary>ADDR 31:4: PDB address bits 39:12.</summary>
    public static readonly BitField ADDR = new(31, 4);

    /// <summary>APERTURE value VID_MEM.</summary>
    public const uint APERTURE_VID_MEM = 0;

    /// <inheritdoc />
    public static uint Offset => 0x00B8_30A0;

    /// <inheritdoc />
    public static string Name => nameof(NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB);

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } = [new("APERTURE", APERTURE), new("ADDR", ADDR)];

    /// <inheritdoc />
    public static NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB FromRaw(uint raw) => new(raw);

    /// <summary>The PDB register for a root directory at <paramref name="pdb"/> in VRAM (4 KiB aligned).</summary>
    public static NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB ForVram(ulong pdb)
    {
        if ((pdb & 0xFFF) != 0)
        {
            throw new ArgumentException($"PDB 0x{pdb:x} is not 4 KiB aligned", nameof(pdb));
        }

        return new((uint)ADDR.Set(APERTURE.Set(0, APERTURE_VID_MEM), (pdb >> 12) & ADDR.MaxValue));
    }

    /// <summary>The APERTURE field.</summary>
    public uint Aperture => (uint)APERTURE.Get(Raw);

    /// <summary>PDB address bits 39:12 in place.</summary>
    public ulong AddressLow => ADDR.Get(Raw) << 12;
}

/// <summary>
/// NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB (BAR0 0xB830A4): ADDR 19:0 = PDB &gt;&gt; 40 (RM <c>turing/tu102/dev_vm.h</c>, docs/registers.md;
/// nova's 7:0 is narrower than NVIDIA's header).
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB(uint Raw) : IRegister<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB>
{
    /// <summary>ADDR 19:0.</summary>
    public static readonly BitField ADDR = new(19, 0);

    /// <inheritdoc />
    public static uint Offset => 0x00B8_30A4;

    /// <inheritdoc />
    public static string Name => nameof(NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB);

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } = [new("ADDR", ADDR)];

    /// <inheritdoc />
    public static NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB FromRaw(uint raw) => new(raw);

    /// <summary>The upper PDB register for <paramref name="pdb"/>.</summary>
    public static NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB ForAddress(ulong pdb) => new((uint)ADDR.Set(0, pdb >> 40));

    /// <summary>PDB address bits 59:40 in place.</summary>
    public ulong AddressHigh => ADDR.Get(Raw) << 40;
}

/// <summary>
/// NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE (BAR0 0xB830B0), Turing through Blackwell (RM <c>turing/tu102/dev_vm.h</c>; docs/registers.md): ALL_VA 0,
/// ALL_PDB 1, HUBTLB_ONLY 2, REPLAY 5:3, SYS_MEMBAR 6, ACK 8:7, CANCEL_CLIENT_ID 14:9, CANCEL_GPC_ID 19:15,
/// CANCEL_CLIENT_TYPE 20, USE_PASID 21, USE_SIZE 22, PROP_FLUSH 23, CACHE_LEVEL 26:24, TRIGGER 31.
/// GA100 and later add INVAL_SCOPE 16:15 over the low bits of CANCEL_GPC_ID (RM ampere/ga100/dev_vm.h).
/// Software writes TRIGGER=1 and polls until it reads 0.
/// </summary>
/// <param name="Raw">The raw register value.</param>
public readonly record struct NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(uint Raw) : IRegister<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE>
{
    /// <summary>ALL_VA 0: invalidate every VA of the PDB.</summary>
    public static readonly BitField ALL_VA = BitField.Bit(0);

    /// <summary>ALL_PDB 1: invalidate every address space.</summary>
    public static readonly BitField ALL_PDB = BitField.Bit(1);

    /// <summary>HUBTLB_ONLY 2: invalidate only the hub TLB.</summary>
    public static readonly BitField HUBTLB_ONLY = BitField.Bit(2);

    /// <summary>REPLAY 5:3.</summary>
    public static readonly BitField REPLAY = new(5, 3);

    /// <summary>SYS_MEMBAR 6.</summary>
    public static readonly BitField SYS_MEMBAR = BitField.Bit(6);

    /// <summary>ACK 8:7 (0 NONE_REQUIRED, 1 GLOBALLY, 2 INTRANODE).</summary>
    public static readonly BitField ACK = new(8, 7);

    /// <summary>CANCEL_CLIENT_ID 14:9.</summary>
    public static readonly BitField CANCEL_CLIENT_ID = new(14, 9);

    /// <summary>CANCEL_GPC_ID 19:15.</summary>
    public static readonly BitField CANCEL_GPC_ID = new(19, 15);

    /// <summary>INVAL_SCOPE 16:15 (GA100 and later; overlaps CANCEL_GPC_ID).</summary>
    public static readonly BitField INVAL_SCOPE = new(16, 15);

    /// <summary>CANCEL_CLIENT_TYPE 20.</summary>
    public static readonly BitField CANCEL_CLIENT_TYPE = BitField.Bit(20);

    /// <summary>USE_PASID 21.</summary>
    public static readonly BitField USE_PASID = BitField.Bit(21);

    /// <summary>USE_SIZE 22.</summary>
    public static readonly BitField USE_SIZE = BitField.Bit(22);

    /// <summary>PROP_FLUSH 23.</summary>
    public static readonly BitField PROP_FLUSH = BitField.Bit(23);

    /// <summary>CACHE_LEVEL 26:24 (0 ALL, 1 PTE_ONLY, 2 UP_TO_PDE0, … 7 PDE5).</summary>
    public static readonly BitField CACHE_LEVEL = new(26, 24);

    /// <summary>TRIGGER 31: set to start; reads 0 when the invalidate has completed.</summary>
    public static readonly BitField TRIGGER = BitField.Bit(31);

    /// <inheritdoc />
    public static uint Offset => 0x00B8_30B0;

    /// <inheritdoc />
    public static string Name => nameof(NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE);

    /// <inheritdoc />
    public static IReadOnlyList<NamedField> Fields { get; } =
    [
        new("ALL_VA", ALL_VA), new("ALL_PDB", ALL_PDB), new("HUBTLB_ONLY", HUBTLB_ONLY), new("REPLAY", REPLAY),
        new("SYS_MEMBAR", SYS_MEMBAR), new("ACK", ACK), new("CANCEL_CLIENT_ID", CANCEL_CLIENT_ID),
        new("CANCEL_GPC_ID", CANCEL_GPC_ID), new("CANCEL_CLIENT_TYPE", CANCEL_CLIENT_TYPE), new("USE_PASID", USE_PASID),
        new("USE_SIZE", USE_SIZE), new("PROP_FLUSH", PROP_FLUSH), new("CACHE_LEVEL", CACHE_LEVEL), new("TRIGGER", TRIGGER),
    ];

    /// <inheritdoc />
    public static NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE FromRaw(uint raw) => new(raw);

    /// <summary>ALL_VA.</summary>
    public bool AllVa => ALL_VA.Get(Raw) != 0;

    /// <summary>ALL_PDB.</summary>
    public bool AllPdb => ALL_PDB.Get(Raw) != 0;

    /// <summary>HUBTLB_ONLY.</summary>
    public bool HubTlbOnly => HUBTLB_ONLY.Get(Raw) != 0;

    /// <summary>CACHE_LEVEL.</summary>
    public uint CacheLevel => (uint)CACHE_LEVEL.Get(Raw);

    /// <summary>TRIGGER.</summary>
    public bool Trigger => TRIGGER.Get(Raw) != 0;

    /// <summary>This value with ALL_VA set or cleared.</summary>
    public NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE WithAllVa(bool on) => new((uint)ALL_VA.Set(Raw, on ? 1u : 0u));

    /// <summary>This value with ALL_PDB set or cleared.</summary>
    public NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE WithAllPdb(bool on) => new((uint)ALL_PDB.Set(Raw, on ? 1u : 0u));

    /// <summary>This value with HUBTLB_ONLY set or cleared.</summary>
    public NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE WithHubTlbOnly(bool on) => new((uint)HUBTLB_ONLY.Set(Raw, on ? 1u : 0u));

    /// <summary>This value with CACHE_LEVEL set.</summary>
    public NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE WithCacheLevel(uint level) => new((uint)CACHE_LEVEL.Set(Raw, level));

    /// <summary>This value with TRIGGER set or cleared.</summary>
    public NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE WithTrigger(bool on) => new((uint)TRIGGER.Set(Raw, on ? 1u : 0u));
}
