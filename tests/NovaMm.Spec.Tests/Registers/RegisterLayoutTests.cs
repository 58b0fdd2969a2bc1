using NovaMm.Spec.Bits;
using NovaMm.Spec.Registers;

namespace NovaMm.Spec.Tests.Registers;

public class RegisterLayoutTests
{
    public static TheoryData<string, uint, NamedField[]> AllRegisters() => new()
    {
        Row<NV_PMC_BOOT_0>(), Row<NV_PMC_BOOT_42>(), Row<NV_PBUS_BAR0_WINDOW>(), Row<NV_XAL_EP_BAR0_WINDOW>(),
        Row<NV_XAL_EP_BAR0_WINDOW_GB100>(), Row<NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK>(), Row<NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS>(),
        Row<NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR>(), Row<NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR>(),
        Row<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB>(), Row<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB>(),
        Row<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE>(), Row<NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE>(), Row<NV_USABLE_FB_SIZE_IN_MB>(),
    };

    [Theory]
    [MemberData(nameof(AllRegisters))]
    public void Fields_lie_inside_32_bits_and_do_not_overlap(string name, uint offset, NamedField[] fields)
    {
        Assert.True(offset % 4 == 0, $"{name} offset 0x{offset:x} is not dword aligned");
        Assert.True(offset < 16u << 20, $"{name} offset 0x{offset:x} is outside BAR0");
        Assert.NotEmpty(fields);
        foreach (var f in fields)
        {
            Assert.True(f.Field.Lo >= 0 && f.Field.Hi < 32 && f.Field.Hi >= f.Field.Lo, $"{name}.{f.Name} {f.Field} is not inside 31:0");
        }

        for (var i = 0; i < fields.Length; i++)
        {
            for (var j = i + 1; j < fields.Length; j++)
            {
                Assert.False(fields[i].Field.Overlaps(fields[j].Field), $"{name}.{fields[i].Name} overlaps {fields[j].Name}");
            }
        }
    }

    [Fact]
    public void Offsets_match_the_manuals()
    {
        Assert.Equal(0x000000u, NV_PMC_BOOT_0.Offset);
        Assert.Equal(0x000A00u, NV_PMC_BOOT_42.Offset);
        Assert.Equal(0x001700u, NV_PBUS_BAR0_WINDOW.Offset);
        Assert.Equal(0x10FD40u, NV_XAL_EP_BAR0_WINDOW.Offset);
        Assert.Equal(0x10FD40u, NV_XAL_EP_BAR0_WINDOW_GB100.Offset);
        Assert.Equal(0xB80F40u, NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK.Offset);
        Assert.Equal(0xB80F50u, NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS.Offset);
        Assert.Equal(0xB80F60u, NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR.Offset);
        Assert.Equal(0xB80F64u, NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR.Offset);
        Assert.Equal(0xB830A0u, NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB.Offset);
        Assert.Equal(0xB830A4u, NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB.Offset);
        Assert.Equal(0xB830B0u, NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE.Offset);
        Assert.Equal(0x100CE0u, NV_PFB_PRI_MMU_LOCAL_MEMORY_RANGE.Offset);
        Assert.Equal(0x1183A4u, NV_USABLE_FB_SIZE_IN_MB.Offset);
    }

    [Fact]
    public void Invalidate_scope_is_the_documented_overlap_with_cancel_gpc_id()
    {
        Assert.True(NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE.INVAL_SCOPE.Overlaps(NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE.CANCEL_GPC_ID));
        Assert.True(NV_PMC_BOOT_42.CHIP_ID.Overlaps(NV_PMC_BOOT_42.ARCHITECTURE));
    }

    [Fact]
    public void Setters_reject_values_too_wide()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new NV_PBUS_BAR0_WINDOW(0).WithTarget(4));
        Assert.Contains("0x4", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new NV_PBUS_BAR0_WINDOW(0).WithBase(1UL << 24));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(0).WithCacheLevel(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NV_PMC_BOOT_0(0).WithArchitecture(0x40));
    }

    private static (string, uint, NamedField[]) Spec<T>() where T : struct, IRegister<T> => (T.Name, T.Offset, T.Fields.ToArray());

    private static TheoryDataRow<string, uint, NamedField[]> Row<T>() where T : struct, IRegister<T>
    {
        var (n, o, f) = Spec<T>();
        return new(n, o, f);
    }
}
