using System.Globalization;
using NovaMm.Spec.Bits;

namespace NovaMm.Spec.PageTables;

/// <summary>
/// The 5-bit Page Classification Field of an MMU v3 PTE (<c>NV_MMU_VER3_PTE_PCF</c>, bits 7:3), which
/// replaces v2's VOL/PRIVILEGE/READ_ONLY/ATOMIC_DISABLE bits. Its meaning depends on the PTE's VALID bit:
/// for a valid PTE the 32 values are named in open-gpu-kernel-modules
/// <c>src/common/inc/swref/published/hopper/gh100/dev_mmu.h</c> and decompose into independent bits —
/// bit 0 UNCACHED, bit 1 PRIVILEGE, bit 2 RO (read-only), bit 3 NO_ATOMIC, bit 4 ACD (access counting
/// disabled; ACE = enabled). nova v7 labels bits 1 and 4 the other way round; that is wrong and not
/// copied (docs/page-tables.md, nova-core v7). For an invalid PTE the same header names only 0 INVALID, 1 SPARSE,
/// 2 MAPPING_NOWHERE and 3 NO_VALID_4KB_PAGE. Use the named members, or <see cref="Create"/>.
/// </summary>
public readonly record struct PtePcf
{
    private PtePcf(byte value) => Value = value;

    /// <summary>The bits of a valid PTE's PCF value (relative to the PCF field, not the PTE).</summary>
    public static class Bits
    {
        /// <summary>Bit 0: UNCACHED (CACHED when 0).</summary>
        public static readonly BitField Uncached = BitField.Bit(0);

        /// <summary>Bit 1: PRIVILEGE (REGULAR when 0).</summary>
        public static readonly BitField Privilege = BitField.Bit(1);

        /// <summary>Bit 2: RO (RW when 0).</summary>
        public static readonly BitField ReadOnly = BitField.Bit(2);

        /// <summary>Bit 3: NO_ATOMIC (ATOMIC when 0).</summary>
        public static readonly BitField NoAtomic = BitField.Bit(3);

        /// <summary>Bit 4: ACD, access counting disabled (ACE, enabled, when 0).</summary>
        public static readonly BitField AccessCountingDisabled = BitField.Bit(4);

        /// <summary>The whole 5-bit value.</summary>
        public static readonly BitField All = new(4, 0);
    }

    /// <summary>The 5-bit value, 0..31.</summary>
    public byte Value { get; }

    /// <summary>The PCF with raw value <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="value"/> is outside 0..31.</exception>
    public static PtePcf FromValue(int value)
    {
        if (value < 0 || value > 31)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"PTE PCF value {value} is outside 0..31.");
        }

        return new((byte)value);
    }

    /// <summary>The valid-PTE PCF with the given properties (all false = <see cref="RegularRwAtomicCachedAce"/>, 0x00).</summary>
    public static PtePcf Create(bool uncached = false, bool privileged = false, bool readOnly = false, bool noAtomic = false, bool accessCountingDisabled = false)
    {
        ulong v = 0;
        v = Bits.Uncached.Set(v, uncached);
        v = Bits.Privilege.Set(v, privileged);
        v = Bits.ReadOnly.Set(v, readOnly);
        v = Bits.NoAtomic.Set(v, noAtomic);
        v = Bits.AccessCountingDisabled.Set(v, accessCountingDisabled);
        return new((byte)v);
    }

    /// <summary>UNCACHED (valid PTEs).</summary>
    public bool IsUncached => Bits.Uncached.IsSet(Value);

    /// <summary>PRIVILEGE (valid PTEs).</summary>
    public bool IsPrivileged => Bits.Privilege.IsSet(Value);

    /// <summary>RO (valid PTEs).</summary>
    public bool IsReadOnly => Bits.ReadOnly.IsSet(Value);

    /// <summary>NO_ATOMIC (valid PTEs).</summary>
    public bool IsNoAtomic => Bits.NoAtomic.IsSet(Value);

    /// <summary>ACD, access counting disabled (valid PTEs).</summary>
    public bool IsAccessCountingDisabled => Bits.AccessCountingDisabled.IsSet(Value);

    /// <summary>The header name of this value in a valid PTE, e.g. <c>REGULAR_RW_ATOMIC_CACHED_ACD</c>.</summary>
    public string ValidName => string.Join(
        '_',
        IsPrivileged ? "PRIVILEGE" : "REGULAR",
        IsReadOnly ? "RO" : "RW",
        IsNoAtomic ? "NO_ATOMIC" : "ATOMIC",
        IsUncached ? "UNCACHED" : "CACHED",
        IsAccessCountingDisabled ? "ACD" : "ACE");

    /// <summary>The header name of this value in an invalid PTE (<c>INVALID</c>, <c>SPARSE</c>, <c>MAPPING_NOWHERE</c>, <c>NO_VALID_4KB_PAGE</c>), or null for 4..31, which the header leaves undefined.</summary>
    public string? InvalidName => Value switch
    {
        0 => "INVALID",
        1 => "SPARSE",
        2 => "MAPPING_NOWHERE",
        3 => "NO_VALID_4KB_PAGE",
        _ => null,
    };

    /// <summary>The display name for a PTE whose VALID bit is <paramref name="valid"/> (<c>RESERVED_0xNN</c> for an undefined invalid-PTE value).</summary>
    public string Name(bool valid) => valid ? ValidName : InvalidName ?? string.Create(CultureInfo.InvariantCulture, $"RESERVED_0x{Value:X2}");

    /// <summary>Invalid PTE, PCF 0: <c>INVALID</c> (same value as <see cref="RegularRwAtomicCachedAce"/>).</summary>
    public static readonly PtePcf Invalid = new(0x00);

    /// <summary>Invalid PTE, PCF 1: <c>SPARSE</c> (reads 0, writes dropped, no fault).</summary>
    public static readonly PtePcf Sparse = new(0x01);

    /// <summary>Invalid PTE, PCF 2: <c>MAPPING_NOWHERE</c>.</summary>
    public static readonly PtePcf MappingNowhere = new(0x02);

    /// <summary>Invalid PTE, PCF 3: <c>NO_VALID_4KB_PAGE</c> (in a big PT: do not look at the small PTEs; v2's VALID 0 + PRIV 1).</summary>
    public static readonly PtePcf NoValid4KbPage = new(0x03);

    /// <summary><c>REGULAR_RW_ATOMIC_CACHED_ACE</c> = 0x00.</summary>
    public static readonly PtePcf RegularRwAtomicCachedAce = new(0x00);

    /// <summary><c>REGULAR_RW_ATOMIC_UNCACHED_ACE</c> = 0x01.</summary>
    public static readonly PtePcf RegularRwAtomicUncachedAce = new(0x01);

    /// <summary><c>PRIVILEGE_RW_ATOMIC_CACHED_ACE</c> = 0x02.</summary>
    public static readonly PtePcf PrivilegeRwAtomicCachedAce = new(0x02);

    /// <summary><c>PRIVILEGE_RW_ATOMIC_UNCACHED_ACE</c> = 0x03.</summary>
    public static readonly PtePcf PrivilegeRwAtomicUncachedAce = new(0x03);

    /// <summary><c>REGULAR_RO_ATOMIC_CACHED_ACE</c> = 0x04.</summary>
    public static readonly PtePcf RegularRoAtomicCachedAce = new(0x04);

    /// <summary><c>REGULAR_RO_ATOMIC_UNCACHED_ACE</c> = 0x05.</summary>
    public static readonly PtePcf RegularRoAtomicUncachedAce = new(0x05);

    /// <summary><c>PRIVILEGE_RO_ATOMIC_CACHED_ACE</c> = 0x06.</summary>
    public static readonly PtePcf PrivilegeRoAtomicCachedAce = new(0x06);

    /// <summary><c>PRIVILEGE_RO_ATOMIC_UNCACHED_ACE</c> = 0x07.</summary>
    public static readonly PtePcf PrivilegeRoAtomicUncachedAce = new(0x07);

    /// <summary><c>REGULAR_RW_NO_ATOMIC_CACHED_ACE</c> = 0x08.</summary>
    public static readonly PtePcf RegularRwNoAtomicCachedAce = new(0x08);

    /// <summary><c>REGULAR_RW_NO_ATOMIC_UNCACHED_ACE</c> = 0x09.</summary>
    public static readonly PtePcf RegularRwNoAtomicUncachedAce = new(0x09);

    /// <summary><c>PRIVILEGE_RW_NO_ATOMIC_CACHED_ACE</c> = 0x0A.</summary>
    public static readonly PtePcf PrivilegeRwNoAtomicCachedAce = new(0x0A);

    /// <summary><c>PRIVILEGE_RW_NO_ATOMIC_UNCACHED_ACE</c> = 0x0B.</summary>
    public static readonly PtePcf PrivilegeRwNoAtomicUncachedAce = new(0x0B);

    /// <summary><c>REGULAR_RO_NO_ATOMIC_CACHED_ACE</c> = 0x0C.</summary>
    public static readonly PtePcf RegularRoNoAtomicCachedAce = new(0x0C);

    /// <summary><c>REGULAR_RO_NO_ATOMIC_UNCACHED_ACE</c> = 0x0D.</summary>
    public static readonly PtePcf RegularRoNoAtomicUncachedAce = new(0x0D);

    /// <summary><c>PRIVILEGE_RO_NO_ATOMIC_CACHED_ACE</c> = 0x0E.</summary>
    public static readonly PtePcf PrivilegeRoNoAtomicCachedAce = new(0x0E);

    /// <summary><c>PRIVILEGE_RO_NO_ATOMIC_UNCACHED_ACE</c> = 0x0F.</summary>
    public static readonly PtePcf PrivilegeRoNoAtomicUncachedAce = new(0x0F);

    /// <summary><c>REGULAR_RW_ATOMIC_CACHED_ACD</c> = 0x10.</summary>
    public static readonly PtePcf RegularRwAtomicCachedAcd = new(0x10);

    /// <summary><c>REGULAR_RW_ATOMIC_UNCACHED_ACD</c> = 0x11.</summary>
    public static readonly PtePcf RegularRwAtomicUncachedAcd = new(0x11);

    /// <summary><c>PRIVILEGE_RW_ATOMIC_CACHED_ACD</c> = 0x12.</summary>
    public static readonly PtePcf PrivilegeRwAtomicCachedAcd = new(0x12);

    /// <summary><c>PRIVILEGE_RW_ATOMIC_UNCACHED_ACD</c> = 0x13.</summary>
    public static readonly PtePcf PrivilegeRwAtomicUncachedAcd = new(0x13);

    /// <summary><c>REGULAR_RO_ATOMIC_CACHED_ACD</c> = 0x14.</summary>
    public static readonly PtePcf RegularRoAtomicCachedAcd = new(0x14);

    /// <summary><c>REGULAR_RO_ATOMIC_UNCACHED_ACD</c> = 0x15.</summary>
    public static readonly PtePcf RegularRoAtomicUncachedAcd = new(0x15);

    /// <summary><c>PRIVILEGE_RO_ATOMIC_CACHED_ACD</c> = 0x16.</summary>
    public static readonly PtePcf PrivilegeRoAtomicCachedAcd = new(0x16);

    /// <summary><c>PRIVILEGE_RO_ATOMIC_UNCACHED_ACD</c> = 0x17.</summary>
    public static readonly PtePcf PrivilegeRoAtomicUncachedAcd = new(0x17);

    /// <summary><c>REGULAR_RW_NO_ATOMIC_CACHED_ACD</c> = 0x18.</summary>
    public static readonly PtePcf RegularRwNoAtomicCachedAcd = new(0x18);

    /// <summary><c>REGULAR_RW_NO_ATOMIC_UNCACHED_ACD</c> = 0x19.</summary>
    public static readonly PtePcf RegularRwNoAtomicUncachedAcd = new(0x19);

    /// <summary><c>PRIVILEGE_RW_NO_ATOMIC_CACHED_ACD</c> = 0x1A.</summary>
    public static readonly PtePcf PrivilegeRwNoAtomicCachedAcd = new(0x1A);

    /// <summary><c>PRIVILEGE_RW_NO_ATOMIC_UNCACHED_ACD</c> = 0x1B.</summary>
    public static readonly PtePcf PrivilegeRwNoAtomicUncachedAcd = new(0x1B);

    /// <summary><c>REGULAR_RO_NO_ATOMIC_CACHED_ACD</c> = 0x1C.</summary>
    public static readonly PtePcf RegularRoNoAtomicCachedAcd = new(0x1C);

    /// <summary><c>REGULAR_RO_NO_ATOMIC_UNCACHED_ACD</c> = 0x1D.</summary>
    public static readonly PtePcf RegularRoNoAtomicUncachedAcd = new(0x1D);

    /// <summary><c>PRIVILEGE_RO_NO_ATOMIC_CACHED_ACD</c> = 0x1E.</summary>
    public static readonly PtePcf PrivilegeRoNoAtomicCachedAcd = new(0x1E);

    /// <summary><c>PRIVILEGE_RO_NO_ATOMIC_UNCACHED_ACD</c> = 0x1F.</summary>
    public static readonly PtePcf PrivilegeRoNoAtomicUncachedAcd = new(0x1F);

    /// <summary>All 32 valid-PTE values in order 0x00..0x1F.</summary>
    public static IReadOnlyList<PtePcf> AllValid { get; } = Enumerable.Range(0, 32).Select(v => new PtePcf((byte)v)).ToArray();

    /// <summary><c>0xNN</c> followed by the valid-PTE name.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"0x{Value:X2} {ValidName}");
}
