using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Spec.Tests.PageTables;

/// <summary>The instance-block layout and vectors of docs/page-tables.md.</summary>
public class InstanceBlockTests
{
    [Fact]
    public void Vidmem_pdb_vector()
    {
        var pdb = PageDirectoryBase.ForVram(new VramAddress(0x1234_5000));
        Assert.Equal((0x12345C00u, 0x00000000u), (pdb.Lo, pdb.Hi));

        var back = PageDirectoryBase.FromDwords(0x12345C00, 0);
        Assert.Equal(PdbTarget.VideoMemory, back.Target);
        Assert.Equal(0x1234_5000UL, back.Address);
        Assert.True(back.UseVer2PtFormat);
        Assert.True(back.BigPageSize64K);
        Assert.False(back.IsVolatile);
        Assert.Equal(pdb, back);
    }

    [Fact]
    public void Sysmem_coherent_pdb_vector()
    {
        var pdb = PageDirectoryBase.ForSysmem(0x1_8000_0000);
        Assert.Equal((0x80000C06u, 0x00000001u), (pdb.Lo, pdb.Hi));

        var back = PageDirectoryBase.FromDwords(0x80000C06, 1);
        Assert.Equal(PdbTarget.SystemCoherent, back.Target);
        Assert.True(back.IsVolatile);
        Assert.Equal(0x1_8000_0000UL, back.Address);
        Assert.Equal(0x0000_0001_8000_0C06UL, back.Qword);
    }

    [Fact]
    public void Rm_hopper_style_pdb_without_ver2_bit()
    {
        // docs/page-tables.md (Instance block): RM writes bit 10 = 0 on GH100+; nouveau writes 1. Both must encode/decode.
        var pdb = PageDirectoryBase.ForVram(new VramAddress(0x1234_5000), useVer2PtFormat: false);
        Assert.Equal(0x12345800u, pdb.Lo);
        Assert.False(PageDirectoryBase.FromDwords(pdb.Lo, pdb.Hi).UseVer2PtFormat);
    }

    [Fact]
    public void Fault_replay_sets_bits_4_and_5()
    {
        Assert.Equal(0x12345C30u, PageDirectoryBase.ForVram(new VramAddress(0x1234_5000), faultReplay: true).Lo);
    }

    [Fact]
    public void Offsets_and_subcontexts()
    {
        Assert.Equal(0x200, InstanceBlock.PageDirBaseLoOffset);
        Assert.Equal(0x204, InstanceBlock.PageDirBaseHiOffset);
        Assert.Equal(0x298, InstanceBlock.SubcontextPdbValidOffset);
        Assert.Equal(0x2A0, InstanceBlock.SubcontextPageDirBaseOffset(0));
        Assert.Equal(0x2B0, InstanceBlock.SubcontextPageDirBaseOffset(1));
        Assert.Equal(0x2A0 + (63 * 0x10), InstanceBlock.SubcontextPageDirBaseOffset(63));
        Assert.True(InstanceBlock.SubcontextPageDirBaseOffset(63) + 16 <= InstanceBlock.Size);
        Assert.Equal(128 * 4, InstanceBlock.PageDirBaseLoOffset);
        Assert.Equal(166 * 4, InstanceBlock.SubcontextPdbValidOffset);
        Assert.Equal(168 * 4, InstanceBlock.SubcontextPageDirBaseOffset0);
        Assert.Throws<ArgumentOutOfRangeException>(() => InstanceBlock.SubcontextPageDirBaseOffset(64));
        Assert.Throws<ArgumentOutOfRangeException>(() => InstanceBlock.SubcontextPageDirBaseOffset(-1));
    }

    [Fact]
    public void Invalid_subcontext_value()
    {
        var inv = PageDirectoryBase.Invalid;
        Assert.Equal((1u, 1u), (inv.Lo, inv.Hi));
        Assert.Equal(PdbTarget.Invalid, inv.Target);
    }

    [Fact]
    public void Misaligned_pdb_is_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => PageDirectoryBase.ForVram(new VramAddress(0x1234_5800)));
        Assert.Contains("0x12345800", ex.Message);
    }

    [Fact]
    public void High_pdb_round_trips()
    {
        var pdb = PageDirectoryBase.ForVram(new VramAddress(0x12_3456_7000));
        Assert.Equal((0x34567C00u, 0x12u), (pdb.Lo, pdb.Hi));
        Assert.Equal(0x12_3456_7000UL, pdb.Address);
    }
}
