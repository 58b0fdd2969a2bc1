using System.Reflection;
using System.Text.RegularExpressions;
using NovaMm.Spec.PageTables;

namespace NovaMm.Spec.Tests.PageTables;

/// <summary>The v3 PCF values against the names in gh100 dev_mmu.h (transcribed below).</summary>
public partial class PcfTests
{
    // NV_MMU_VER3_PTE_PCF_* valid-PTE values, in header order 0x00..0x1F.
    private static readonly string[] HeaderValidNames =
    [
        "REGULAR_RW_ATOMIC_CACHED_ACE", "REGULAR_RW_ATOMIC_UNCACHED_ACE", "PRIVILEGE_RW_ATOMIC_CACHED_ACE", "PRIVILEGE_RW_ATOMIC_UNCACHED_ACE",
        "REGULAR_RO_ATOMIC_CACHED_ACE", "REGULAR_RO_ATOMIC_UNCACHED_ACE", "PRIVILEGE_RO_ATOMIC_CACHED_ACE", "PRIVILEGE_RO_ATOMIC_UNCACHED_ACE",
        "REGULAR_RW_NO_ATOMIC_CACHED_ACE", "REGULAR_RW_NO_ATOMIC_UNCACHED_ACE", "PRIVILEGE_RW_NO_ATOMIC_CACHED_ACE", "PRIVILEGE_RW_NO_ATOMIC_UNCACHED_ACE",
        "REGULAR_RO_NO_ATOMIC_CACHED_ACE", "REGULAR_RO_NO_ATOMIC_UNCACHED_ACE", "PRIVILEGE_RO_NO_ATOMIC_CACHED_ACE", "PRIVILEGE_RO_NO_ATOMIC_UNCACHED_ACE",
        "REGULAR_RW_ATOMIC_CACHED_ACD", "REGULAR_RW_ATOMIC_UNCACHED_ACD", "PRIVILEGE_RW_ATOMIC_CACHED_ACD", "PRIVILEGE_RW_ATOMIC_UNCACHED_ACD",
        "REGULAR_RO_ATOMIC_CACHED_ACD", "REGULAR_RO_ATOMIC_UNCACHED_ACD", "PRIVILEGE_RO_ATOMIC_CACHED_ACD", "PRIVILEGE_RO_ATOMIC_UNCACHED_ACD",
        "REGULAR_RW_NO_ATOMIC_CACHED_ACD", "REGULAR_RW_NO_ATOMIC_UNCACHED_ACD", "PRIVILEGE_RW_NO_ATOMIC_CACHED_ACD", "PRIVILEGE_RW_NO_ATOMIC_UNCACHED_ACD",
        "REGULAR_RO_NO_ATOMIC_CACHED_ACD", "REGULAR_RO_NO_ATOMIC_UNCACHED_ACD", "PRIVILEGE_RO_NO_ATOMIC_CACHED_ACD", "PRIVILEGE_RO_NO_ATOMIC_UNCACHED_ACD",
    ];

    [Fact]
    public void All_32_valid_names_match_the_header()
    {
        Assert.Equal(32, PtePcf.AllValid.Count);
        for (var v = 0; v < 32; v++)
        {
            Assert.Equal(HeaderValidNames[v], PtePcf.FromValue(v).ValidName);
            Assert.Equal(HeaderValidNames[v], PtePcf.FromValue(v).Name(valid: true));
        }
    }

    [Fact]
    public void Every_named_member_has_the_value_its_name_says()
    {
        var members = typeof(PtePcf).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == typeof(PtePcf)).ToList();
        Assert.Equal(36, members.Count);
        var invalid = new Dictionary<string, string>
        {
            ["Invalid"] = "INVALID",
            ["Sparse"] = "SPARSE",
            ["MappingNowhere"] = "MAPPING_NOWHERE",
            ["NoValid4KbPage"] = "NO_VALID_4KB_PAGE",
        };
        foreach (var m in members)
        {
            var pcf = (PtePcf)m.GetValue(null)!;
            if (invalid.TryGetValue(m.Name, out var name))
            {
                Assert.Equal(name, pcf.InvalidName);
            }
            else
            {
                Assert.Equal(ToScreamingSnake(m.Name), pcf.ValidName);
            }
        }
    }

    [Fact]
    public void Bit_meanings_are_the_hardware_ones()
    {
        Assert.True(PtePcf.FromValue(0x01).IsUncached);
        Assert.True(PtePcf.FromValue(0x02).IsPrivileged);
        Assert.True(PtePcf.FromValue(0x04).IsReadOnly);
        Assert.True(PtePcf.FromValue(0x08).IsNoAtomic);
        Assert.True(PtePcf.FromValue(0x10).IsAccessCountingDisabled);
        for (var v = 0; v < 32; v++)
        {
            var p = PtePcf.FromValue(v);
            Assert.Equal(p, PtePcf.Create(p.IsUncached, p.IsPrivileged, p.IsReadOnly, p.IsNoAtomic, p.IsAccessCountingDisabled));
        }
    }

    [Fact]
    public void Invalid_pte_names()
    {
        Assert.Equal("INVALID", PtePcf.FromValue(0).Name(valid: false));
        Assert.Equal("SPARSE", PtePcf.FromValue(1).Name(valid: false));
        Assert.Equal("MAPPING_NOWHERE", PtePcf.FromValue(2).Name(valid: false));
        Assert.Equal("NO_VALID_4KB_PAGE", PtePcf.FromValue(3).Name(valid: false));
        Assert.Null(PtePcf.FromValue(4).InvalidName);
        Assert.Equal("RESERVED_0x04", PtePcf.FromValue(4).Name(valid: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => PtePcf.FromValue(32));
        Assert.Throws<ArgumentOutOfRangeException>(() => PtePcf.FromValue(-1));
    }

    [Theory]
    [InlineData(0, "VALID_CACHED_ATS_ALLOWED", "INVALID_ATS_ALLOWED")]
    [InlineData(1, "VALID_UNCACHED_ATS_ALLOWED", "SPARSE_ATS_ALLOWED")]
    [InlineData(2, "VALID_CACHED_ATS_NOT_ALLOWED", "INVALID_ATS_NOT_ALLOWED")]
    [InlineData(3, "VALID_UNCACHED_ATS_NOT_ALLOWED", "SPARSE_ATS_NOT_ALLOWED")]
    public void Pde_pcf_names(int value, string valid, string invalid)
    {
        var pcf = PdePcf.FromValue(value);
        Assert.True(pcf.IsDefined);
        Assert.Equal(valid, pcf.Name(valid: true));
        Assert.Equal(invalid, pcf.Name(valid: false));
    }

    [Fact]
    public void Pde_pcf_named_members()
    {
        Assert.Equal(PdePcf.FromValue(0), PdePcf.InvalidAtsAllowed);
        Assert.Equal(PdePcf.SparseAtsAllowed, PdePcf.ValidUncachedAtsAllowed);
        Assert.Equal(2, PdePcf.ValidCachedAtsNotAllowed.Value);
        Assert.Equal(3, PdePcf.SparseAtsNotAllowed.Value);
        Assert.False(PdePcf.FromValue(4).IsDefined);
        Assert.Equal("RESERVED_4", PdePcf.FromValue(4).Name(true));
        Assert.Throws<ArgumentOutOfRangeException>(() => PdePcf.FromValue(8));
    }

    private static string ToScreamingSnake(string pascal) =>
        UpperBoundary().Replace(pascal, "_$1").ToUpperInvariant();

    [GeneratedRegex("(?<!^)([A-Z])")]
    private static partial Regex UpperBoundary();
}
