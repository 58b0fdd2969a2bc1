using System.Text.Json.Nodes;

namespace NovaMm.Cli.Tests;

/// <summary><c>novamm pte decode|encode</c> against the golden vectors of docs/page-tables.md, in both directions.</summary>
[Collection("cli")]
public class PteCommandTests
{
    /// <summary>A golden vector: the decode command line, the expected JSON fields, and the encode options that give the value back.</summary>
    public static TheoryData<string, string, string[], string, string[]> Vectors() => new()
    {
        // id, mmu, level + values, expected "key=value;..." on the decoded object, encode options
        { "V2-1", "v2", ["pt", "0x0000000012345601"], "entry=pte;valid=true;aperture=video;address=0x123456000;kind=0;readOnly=false;volatile=false;privileged=false;atomicDisable=false", ["--level", "pt", "--address", "0x123456000"] },
        { "V2-2", "v2", ["pt-big", "0x0000000ABCDE104D"], "entry=pte;valid=true;aperture=system-coherent;address=0xabcde10000;pageSize=0x10000;volatile=true;readOnly=true;privileged=false", ["--level", "pt-big", "--aperture", "system-coherent", "--address", "0xAB_CDE1_0000", "--vol", "--ro"] },
        { "V2-3", "v2", ["pd0", "0x0600000040020001", "0"], "entry=pte;valid=true;aperture=video;address=0x400200000;pageSize=0x200000;kind=6", ["--level", "pd0", "--address", "0x4_0020_0000", "--kind", "0x06"] },
        { "V2-4", "v2", ["pt", "0x0000000600010003"], "entry=pte;valid=true;aperture=peer;peerId=3;address=0x100000", ["--level", "pt", "--aperture", "peer", "--peer", "3", "--address", "0x10_0000"] },
        { "V2-5", "v2", ["pt", "0x00000007FFFFFFA7"], "entry=pte;valid=true;aperture=system-noncoherent;address=0x7ffffff000;privileged=true;atomicDisable=true;readOnly=false;volatile=false", ["--level", "pt", "--aperture", "system-noncoherent", "--address", "0x7F_FFFF_F000", "--priv", "--noatomic"] },
        { "V2-6", "v2", ["pd1", "0x0000000000123402"], "entry=pde;valid=true;aperture=video;address=0x1234000;sparse=false;volatile=false", ["--level", "pd1", "--table", "0x123_4000"] },
        { "V2-7", "v2", ["pd2", "0x000000001000000C"], "entry=pde;valid=true;aperture=system-coherent;address=0x100000000;volatile=true", ["--level", "pd2", "--aperture", "system-coherent", "--table", "0x1_0000_0000", "--vol"] },
        { "V2-8", "v2", ["pd0", "0x0000000002000012", "0x0000000002000102"], "entry=dual-pde;valid=true;sparse=false;big.aperture=video;big.address=0x20000100;small.aperture=video;small.address=0x20001000", ["--level", "pd0", "--big", "0x2000_0100", "--small", "0x2000_1000"] },
        { "V2-9a", "v2", ["pt", "0x8"], "entry=pte;valid=false;sparse=true", ["--level", "pt", "--sparse"] },
        { "V2-9b", "v2", ["pd0", "0x8", "0"], "entry=dual-pde;valid=false;sparse=true;big.aperture=invalid;small.aperture=invalid", ["--level", "pd0", "--sparse"] },
        { "V2-9c", "v2", ["pt-big", "0x20"], "entry=pte;valid=false;sparse=false;noValidSmallPages=true", ["--level", "pt-big", "--no-small-pages"] },
        { "V3-1", "v3", ["pt", "0x0000000123456081"], "entry=pte;valid=true;aperture=video;address=0x123456000;kind=0;pcf=16;pcfName=REGULAR_RW_ATOMIC_CACHED_ACD;readOnly=false", ["--level", "pt", "--address", "0x1_2345_6000", "--pcf", "0x10"] },
        { "V3-2", "v3", ["pt-big", "0x000000ABCDE1008D"], "entry=pte;valid=true;aperture=system-coherent;address=0xabcde10000;pcf=17;pcfName=REGULAR_RW_ATOMIC_UNCACHED_ACD;volatile=true", ["--level", "pt-big", "--aperture", "system-coherent", "--address", "0xAB_CDE1_0000", "--vol", "--acd"] },
        { "V3-3", "v3", ["pd0", "0x00000004002000B1", "0"], "entry=pte;valid=true;aperture=video;address=0x400200000;pageSize=0x200000;pcf=22;pcfName=PRIVILEGE_RO_ATOMIC_CACHED_ACD;privileged=true;readOnly=true", ["--level", "pd0", "--address", "0x4_0020_0000", "--pcf", "0x16"] },
        { "V3-4", "v3", ["pt", "0x0000000123456681"], "entry=pte;valid=true;aperture=video;address=0x123456000;kind=6;pcf=16", ["--level", "pt", "--address", "0x1_2345_6000", "--acd", "--kind", "6"] },
        { "V3-5", "v3", ["pt", "0x6000000000100083"], "entry=pte;valid=true;aperture=peer;peerId=3;address=0x100000;pcf=16", ["--level", "pt", "--aperture", "peer", "--peer", "3", "--address", "0x10_0000", "--pcf", "0x10"] },
        { "V3-6a", "v3", ["pd1", "0x0000000001234012"], "entry=pde;valid=true;aperture=video;address=0x1234000;pcf=2;pcfName=VALID_CACHED_ATS_NOT_ALLOWED", ["--level", "pd1", "--table", "0x123_4000", "--pcf", "2"] },
        { "V3-6b", "v3", ["pd3", "0x000000010000000C"], "entry=pde;valid=true;aperture=system-coherent;address=0x100000000;pcf=1", ["--level", "pd3", "--aperture", "system-coherent", "--table", "0x1_0000_0000", "--vol"] },
        { "V3-6c", "v3", ["pd4", "0x0000000100000006"], "entry=pde;valid=true;aperture=system-noncoherent;address=0x100000000;pcf=0", ["--level", "pd4", "--aperture", "system-noncoherent", "--table", "0x1_0000_0000"] },
        { "V3-7", "v3", ["pd0", "0x0000000020000112", "0x0000000020001012"], "entry=dual-pde;valid=true;big.aperture=video;big.address=0x20000100;big.pcf=2;small.aperture=video;small.address=0x20001000;small.pcf=2", ["--level", "pd0", "--big", "0x2000_0100", "--small", "0x2000_1000", "--noats"] },
        { "V3-sparse", "v3", ["pt", "0x8"], "entry=pte;valid=false;sparse=true;pcfName=SPARSE", ["--level", "pt", "--sparse"] },
        { "V3-lpt", "v3", ["pt-big", "0x18"], "entry=pte;valid=false;noValidSmallPages=true", ["--level", "pt-big", "--no-small-pages"] },
        { "V3-pd0-sparse", "v3", ["pd0", "0x8", "0"], "entry=dual-pde;valid=false;sparse=true", ["--level", "pd0", "--sparse"] },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Golden_vector_decodes_to_its_fields(string id, string mmu, string[] levelAndValues, string expected, string[] encode)
    {
        _ = encode;
        var (code, output, err) = CliRunner.Run(["pte", "decode", "--mmu", mmu, "--level", levelAndValues[0], "--json", .. levelAndValues[1..]]);
        Assert.True(code == 0, $"{id}: exit {code}: {err}");
        var arr = JsonNode.Parse(output)!.AsArray();
        var o = Assert.Single(arr)!;
        Assert.Empty(o["problems"]!.AsArray());
        foreach (var pair in expected.Split(';'))
        {
            var (key, value) = (pair[..pair.IndexOf('=')], pair[(pair.IndexOf('=') + 1)..]);
            JsonNode? node = o;
            foreach (var part in key.Split('.'))
            {
                node = node?[part];
            }

            Assert.True(node is not null, $"{id}: no key {key} in {o.ToJsonString()}");
            var actual = node!.GetValueKind() switch
            {
                System.Text.Json.JsonValueKind.True => "true",
                System.Text.Json.JsonValueKind.False => "false",
                _ => node.ToString(),
            };
            Assert.True(value == actual, $"{id}: {key} is {actual}, expected {value}");
        }
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Golden_vector_encodes_from_its_fields(string id, string mmu, string[] levelAndValues, string expected, string[] encode)
    {
        _ = expected;
        var (code, output, err) = CliRunner.Run(["pte", "encode", "--mmu", mmu, .. encode]);
        Assert.True(code == 0, $"{id}: exit {code}: {err}");
        var firstLine = output.Split('\n')[0].Trim();
        var want = string.Join(' ', levelAndValues[1..].Select(v => "0x" + Convert.ToUInt64(v.StartsWith("0x", StringComparison.Ordinal) ? v[2..] : v, 16).ToString("x16", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(want, firstLine);

        // And the JSON form carries the same raw value(s).
        var j = JsonNode.Parse(CliRunner.Run(["pte", "encode", "--mmu", mmu, "--json", .. encode]).Out)!;
        Assert.Equal(want.Split(' ')[0], j["raw"]!.GetValue<string>());
    }

    [Fact]
    public void Human_decode_lists_every_field_with_its_meaning()
    {
        var (code, output, err) = CliRunner.Run("pte", "decode", "--mmu", "v2", "0x0000000012345601", "0x00000007FFFFFFA7");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        foreach (var field in new[] { "VALID", "APERTURE", "VOL", "PRIVILEGE", "READ_ONLY", "ATOMIC_DISABLE", "ADDRESS_VID", "ADDRESS_SYS", "KIND" })
        {
            Assert.Contains(field, output);
        }

        Assert.Contains("PA 0x123456000", output);
        Assert.Contains("atomics fault", output);
        Assert.Contains("system-noncoherent memory", output);
    }

    [Fact]
    public void Chip_selects_the_format_for_large_pages()
    {
        // PD1 holds a 512 MiB PTE on Ampere, not on Turing: there it is a PDE with a problem.
        var ga = JsonNode.Parse(CliRunner.Run("pte", "decode", "--chip", "GA102", "--level", "pd1", "--json", "0x0000000002000001").Out)!.AsArray()[0]!;
        Assert.Equal("pte", ga["entry"]!.GetValue<string>());
        Assert.Equal("0x20000000", ga["pageSize"]!.GetValue<string>());
        var tu = JsonNode.Parse(CliRunner.Run("pte", "decode", "--chip", "TU102", "--level", "pd1", "--json", "0x0000000002000001").Out)!.AsArray()[0]!;
        Assert.Equal("pde", tu["entry"]!.GetValue<string>());
        Assert.NotEmpty(tu["problems"]!.AsArray());

        // v3: PD2 holds a 256 GiB PTE on Blackwell only.
        var gb = JsonNode.Parse(CliRunner.Run("pte", "decode", "--mmu", "v3", "--level", "pd2", "--json", "0x0000004000000081").Out)!.AsArray()[0]!;
        Assert.Equal("pte", gb["entry"]!.GetValue<string>());
        Assert.Equal("0x4000000000", gb["pageSize"]!.GetValue<string>());
        var gh = JsonNode.Parse(CliRunner.Run("pte", "decode", "--chip", "GH100", "--level", "pd2", "--json", "0x0000004000000081").Out)!.AsArray()[0]!;
        Assert.Equal("pde", gh["entry"]!.GetValue<string>());
    }

    [Fact]
    public void Several_values_give_one_object_each_and_pd0_takes_pairs()
    {
        var arr = JsonNode.Parse(CliRunner.Run("pte", "decode", "--mmu", "v3", "--json", "0x0000000123456081", "0x8", "0").Out)!.AsArray();
        Assert.Equal(3, arr.Count);
        Assert.False(arr[2]!["valid"]!.GetValue<bool>());
        var pairs = JsonNode.Parse(CliRunner.Run("pte", "decode", "--mmu", "v2", "--level", "pd0", "--json", "0x8", "0", "0x0000000002000012", "0x0000000002000102").Out)!.AsArray();
        Assert.Equal(2, pairs.Count);
        Assert.True(pairs[0]!["sparse"]!.GetValue<bool>());
        Assert.Equal("0x20001000", pairs[1]!["small"]!["address"]!.GetValue<string>());
    }

    [Fact]
    public void Reserved_bits_are_reported()
    {
        var o = JsonNode.Parse(CliRunner.Run("pte", "decode", "--mmu", "v3", "--json", "0x0010000123456081").Out)!.AsArray()[0]!;
        Assert.NotEqual("0x0", o["reservedBits"]!.GetValue<string>());
        Assert.NotEmpty(o["problems"]!.AsArray());
    }

    [Fact]
    public void Help_describes_both_commands()
    {
        var (code, output, _) = CliRunner.Run("pte", "decode", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--level", output);
        Assert.Contains("low qword", output);
        var enc = CliRunner.Run("pte", "encode", "--help");
        Assert.Equal(0, enc.Code);
        Assert.Contains("--address", enc.Out);
        Assert.Contains("--table", enc.Out);
    }

    [Theory]
    [InlineData("malformed value '0xZZ'", "pte", "decode", "--mmu", "v2", "0xZZ")]
    [InlineData("malformed value '12ab'", "pte", "decode", "--mmu", "v2", "12ab")]
    [InlineData("wider than 64 bits", "pte", "decode", "--mmu", "v2", "0x1_0000_0000_0000_0000")]
    [InlineData("wider than 64 bits", "pte", "decode", "--mmu", "v3", "99999999999999999999")]
    [InlineData("unknown --mmu 'v4'", "pte", "decode", "--mmu", "v4", "0x1")]
    [InlineData("unknown --level 'pd9'", "pte", "decode", "--mmu", "v2", "--level", "pd9", "0x1")]
    [InlineData("has no level pd4", "pte", "decode", "--mmu", "v2", "--level", "pd4", "0x1")]
    [InlineData("two values per entry", "pte", "decode", "--mmu", "v2", "--level", "pd0", "0x8")]
    [InlineData("--mmu v2|v3 (or --chip) is required", "pte", "decode", "0x1")]
    [InlineData("disagrees with --chip", "pte", "decode", "--mmu", "v3", "--chip", "GA102", "0x1")]
    [InlineData("unknown chip 'ZZ9'", "pte", "decode", "--chip", "ZZ9", "0x1")]
    [InlineData("--level is required", "pte", "encode", "--mmu", "v2", "--address", "0x1000")]
    [InlineData("nothing to encode", "pte", "encode", "--mmu", "v2", "--level", "pt")]
    [InlineData("exclude each other", "pte", "encode", "--mmu", "v2", "--level", "pt", "--sparse", "--invalid")]
    [InlineData("does not fit", "pte", "encode", "--mmu", "v2", "--level", "pt", "--address", "0x20_0000_0000")]
    [InlineData("not 0x1000-byte aligned", "pte", "encode", "--mmu", "v2", "--level", "pt", "--address", "0x1234")]
    [InlineData("4-bit v3 KIND", "pte", "encode", "--mmu", "v3", "--level", "pt", "--address", "0x1000", "--kind", "0x10")]
    [InlineData("5-bit PTE PCF", "pte", "encode", "--mmu", "v3", "--level", "pt", "--address", "0x1000", "--pcf", "0x20")]
    [InlineData("unknown --aperture 'ram'", "pte", "encode", "--mmu", "v2", "--level", "pt", "--address", "0x1000", "--aperture", "ram")]
    [InlineData("cannot hold a PTE", "pte", "encode", "--mmu", "v2", "--level", "pd3", "--address", "0x1000")]
    [InlineData("cannot point into peer memory", "pte", "encode", "--mmu", "v2", "--level", "pd1", "--table", "0x1000", "--aperture", "peer")]
    [InlineData("--kind: malformed value 'x'", "pte", "encode", "--mmu", "v2", "--level", "pt", "--address", "0x1000", "--kind", "x")]
    public void Bad_input_is_one_line_and_exit_code_2(string expected, params string[] args)
    {
        var (code, _, err) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", err);
    }
}
