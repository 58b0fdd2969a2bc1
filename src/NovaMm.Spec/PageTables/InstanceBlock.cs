using System.Globalization;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Bits;

namespace NovaMm.Spec.PageTables;

/// <summary>
/// The memory-management part of a GPU instance block (RAMIN): where the page-directory base (PDB) and
/// the per-subcontext copies live. From NVIDIA open-gpu-doc <c>manuals/turing/tu104/dev_ram.ref.txt</c>
/// (<c>NV_RAMIN_*</c>; the same in <c>ampere/ga100/dev_ram.ref.txt</c>) and open-gpu-kernel-modules
/// <c>swref/published/volta/gv100/dev_ram.h</c>; writers in nouveau <c>gp100_vmm_join</c>/<c>gv100_vmm_join</c>
/// and RM <c>kgmmuInstBlkPageDirBaseGet_GV100</c> (docs/page-tables.md, Instance block). Byte offset = dword × 4.
/// </summary>
public static class InstanceBlock
{
    /// <summary>NV_RAMIN_ALLOC_SIZE: an instance block is 4 KiB.</summary>
    public const int Size = 4096;

    /// <summary>NV_RAMIN_BASE_SHIFT 12: instance blocks are 4 KiB aligned.</summary>
    public const int Alignment = 4096;

    /// <summary>Dword 128: PAGE_DIR_BASE_TARGET/VOL/FAULT_REPLAY_*/USE_VER2_PT_FORMAT/BIG_PAGE_SIZE/PAGE_DIR_BASE_LO.</summary>
    public const int PageDirBaseLoOffset = 0x200;

    /// <summary>Dword 129: PAGE_DIR_BASE_HI (PDB address bits 63:32).</summary>
    public const int PageDirBaseHiOffset = 0x204;

    /// <summary>Dwords 130/131: ADR_LIMIT_LO/HI, deprecated since GV100 sub-contexts (nouveau still writes limit - 1).</summary>
    public const int AddressLimitOffset = 0x208;

    /// <summary>Dword 135: ENABLE_ATS (bit 31) and PASID (19:0).</summary>
    public const int AtsPasidOffset = 0x21C;

    /// <summary>Dwords 166/167: NV_RAMIN_SC_PDB_VALID, a 64-bit mask of subcontexts whose PDB is filled in.</summary>
    public const int SubcontextPdbValidOffset = 0x298;

    /// <summary>Dword 168: the first subcontext PDB (NV_RAMIN_SC_PAGE_DIR_BASE_*(0)).</summary>
    public const int SubcontextPageDirBaseOffset0 = 0x2A0;

    /// <summary>Bytes between consecutive subcontext PDBs (4 dwords).</summary>
    public const int SubcontextStride = 0x10;

    /// <summary>NV_RAMIN_SC_PAGE_DIR_BASE_TARGET__SIZE_1: 64 subcontexts.</summary>
    public const int SubcontextCount = 64;

    /// <summary>Byte offset of subcontext <paramref name="index"/>'s PDB low dword (<c>0x2A0 + 0x10·i</c>); its high dword is at +4, SC_ENABLE_ATS/SC_PASID at +8.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="index"/> is outside 0..63.</exception>
    public static int SubcontextPageDirBaseOffset(int index)
    {
        if (index < 0 || index >= SubcontextCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Subcontext {index} is outside 0..{SubcontextCount - 1}.");
        }

        return SubcontextPageDirBaseOffset0 + (index * SubcontextStride);
    }
}

/// <summary>
/// <c>NV_RAMIN_PAGE_DIR_BASE_TARGET</c>: where the root page directory is. Note the 4th encoding,
/// different from both <see cref="PteAperture"/> and <see cref="PdeAperture"/>: 1 is INVALID ("should
/// match PEER"), which unbinds the engine/subcontext.
/// </summary>
public enum PdbTarget
{
    /// <summary>0: video memory.</summary>
    VideoMemory = 0,

    /// <summary>1: invalid (no PDB).</summary>
    Invalid = 1,

    /// <summary>2: system memory, coherent.</summary>
    SystemCoherent = 2,

    /// <summary>3: system memory, non-coherent.</summary>
    SystemNonCoherent = 3,
}

/// <summary>
/// The two PDB dwords of an instance block (at 0x200/0x204, and the same layout for each subcontext at
/// <c>0x2A0 + 0x10·i</c>): TARGET 1:0, VOL 2, FAULT_REPLAY_TEX 4, FAULT_REPLAY_GCC 5, USE_VER2_PT_FORMAT
/// 10, BIG_PAGE_SIZE 11 (1 = 64 KiB), PAGE_DIR_BASE_LO 31:12 (PDB PA[31:12] in place) and
/// PAGE_DIR_BASE_HI 31:0 of the next dword (PDB PA &gt;&gt; 32). Source: open-gpu-doc
/// <c>manuals/turing/tu104/dev_ram.ref.txt</c> (docs/page-tables.md, Instance block).
/// </summary>
public readonly record struct PageDirectoryBase
{
    private PageDirectoryBase(uint lo, uint hi)
    {
        Lo = lo;
        Hi = hi;
    }

    /// <summary>The fields of the low dword (PAGE_DIR_BASE_HI is the whole high dword).</summary>
    public static class Fields
    {
        /// <summary>PAGE_DIR_BASE_TARGET 1:0, see <see cref="PdbTarget"/>.</summary>
        public static readonly BitField Target = new(1, 0);

        /// <summary>PAGE_DIR_BASE_VOL 2:2: the root directory is volatile (nouveau sets it for system memory).</summary>
        public static readonly BitField Volatile = BitField.Bit(2);

        /// <summary>PAGE_DIR_BASE_FAULT_REPLAY_TEX 4:4.</summary>
        public static readonly BitField FaultReplayTex = BitField.Bit(4);

        /// <summary>PAGE_DIR_BASE_FAULT_REPLAY_GCC 5:5.</summary>
        public static readonly BitField FaultReplayGcc = BitField.Bit(5);

        /// <summary>USE_VER2_PT_FORMAT 10:10 (Volta..Ada accept only 1; on GH100+ RM writes 0 and nouveau 1, docs/page-tables.md).</summary>
        public static readonly BitField UseVer2PtFormat = BitField.Bit(10);

        /// <summary>BIG_PAGE_SIZE 11:11: 1 = 64 KiB, 0 = 128 KiB (unsupported since Volta).</summary>
        public static readonly BitField BigPageSize64K = BitField.Bit(11);

        /// <summary>PAGE_DIR_BASE_LO 31:12: PDB PA[31:12] in place.</summary>
        public static readonly BitField BaseLo = new(31, 12);

        /// <summary>PAGE_DIR_BASE_HI 31:0 (in the high dword): PDB PA[63:32].</summary>
        public static readonly BitField BaseHi = new(31, 0);
    }

    /// <summary>The dword at +0 (0x200, or 0x2A0 + 0x10·i).</summary>
    public uint Lo { get; }

    /// <summary>The dword at +4.</summary>
    public uint Hi { get; }

    /// <summary>Both dwords as the little-endian qword at +0.</summary>
    public ulong Qword => ((ulong)Hi << 32) | Lo;

    /// <summary>Decodes two dwords.</summary>
    public static PageDirectoryBase FromDwords(uint lo, uint hi) => new(lo, hi);

    /// <summary>The "no PDB" value RM and nouveau write into unused subcontext slots: TARGET INVALID (1) in both dwords.</summary>
    public static PageDirectoryBase Invalid => new((uint)PdbTarget.Invalid, (uint)PdbTarget.Invalid);

    /// <summary>A PDB in video memory (as nouveau <c>gp100_vmm_join</c> writes it: VOL 0, ver2 format and 64 KiB big pages by default).</summary>
    /// <exception cref="ArgumentException">When <paramref name="root"/> is not 4 KiB aligned.</exception>
    public static PageDirectoryBase ForVram(VramAddress root, bool isVolatile = false, bool useVer2PtFormat = true, bool bigPageSize64K = true, bool faultReplay = false) =>
        Create(PdbTarget.VideoMemory, root.Value, isVolatile, useVer2PtFormat, bigPageSize64K, faultReplay, nameof(root));

    /// <summary>A PDB in system memory (nouveau sets VOL for coherent system memory).</summary>
    /// <exception cref="ArgumentException">When <paramref name="address"/> is not 4 KiB aligned.</exception>
    public static PageDirectoryBase ForSysmem(ulong address, bool coherent = true, bool isVolatile = true, bool useVer2PtFormat = true, bool bigPageSize64K = true, bool faultReplay = false) =>
        Create(coherent ? PdbTarget.SystemCoherent : PdbTarget.SystemNonCoherent, address, isVolatile, useVer2PtFormat, bigPageSize64K, faultReplay, nameof(address));

    private static PageDirectoryBase Create(PdbTarget target, ulong address, bool vol, bool ver2, bool big64K, bool replay, string paramName)
    {
        if ((address & (GpuPage.Size - 1)) != 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Page directory base {Hex.Format(address)} is not 4 KiB aligned."), paramName);
        }

        ulong lo = Fields.BaseLo.Set(0, (address & uint.MaxValue) >> GpuPage.Shift);
        lo = Fields.Target.Set(lo, (ulong)target);
        lo = Fields.Volatile.Set(lo, vol);
        lo = Fields.FaultReplayTex.Set(lo, replay);
        lo = Fields.FaultReplayGcc.Set(lo, replay);
        lo = Fields.UseVer2PtFormat.Set(lo, ver2);
        lo = Fields.BigPageSize64K.Set(lo, big64K);
        return new((uint)lo, (uint)Fields.BaseHi.Set(0, address >> 32));
    }

    /// <summary>PAGE_DIR_BASE_TARGET.</summary>
    public PdbTarget Target => (PdbTarget)Fields.Target.Get(Lo);

    /// <summary>PAGE_DIR_BASE_VOL.</summary>
    public bool IsVolatile => Fields.Volatile.IsSet(Lo);

    /// <summary>FAULT_REPLAY_TEX.</summary>
    public bool FaultReplayTex => Fields.FaultReplayTex.IsSet(Lo);

    /// <summary>FAULT_REPLAY_GCC.</summary>
    public bool FaultReplayGcc => Fields.FaultReplayGcc.IsSet(Lo);

    /// <summary>USE_VER2_PT_FORMAT.</summary>
    public bool UseVer2PtFormat => Fields.UseVer2PtFormat.IsSet(Lo);

    /// <summary>BIG_PAGE_SIZE is 64 KiB.</summary>
    public bool BigPageSize64K => Fields.BigPageSize64K.IsSet(Lo);

    /// <summary>The root page directory's physical address, <c>HI &lt;&lt; 32 | LO &lt;&lt; 12</c>.</summary>
    public ulong Address => (Fields.BaseHi.Get(Hi) << 32) | (Fields.BaseLo.Get(Lo) << GpuPage.Shift);

    /// <summary>A one-line description.</summary>
    public override string ToString() =>
        Target == PdbTarget.Invalid
            ? "PDB invalid"
            : $"PDB {Target} {Hex.Format(Address)}{(IsVolatile ? " VOL" : string.Empty)}{(UseVer2PtFormat ? " VER2" : string.Empty)} big {(BigPageSize64K ? "64K" : "128K")}";
}
