using System.Text.Json.Nodes;
using NovaMm.Cli.Parsing;

namespace NovaMm.Cli.Tests;

[Collection("cli")]
public class FoundationCommandTests
{
    [Fact]
    public void Chips_lists_every_chip()
    {
        var (code, output, _) = CliRunner.Run("chips");
        Assert.Equal(0, code);
        foreach (var c in Spec.Chips.ChipCatalog.All)
        {
            Assert.Contains(c.Name, output);
        }

        var json = JsonNode.Parse(CliRunner.Run("chips", "--json").Out)!.AsArray();
        Assert.Equal(24, json.Count);
        Assert.Equal("0x172", json.Single(c => (string)c!["name"]! == "GA102")!["chipId"]!.GetValue<string>());
    }

    [Fact]
    public void Boot_prints_the_ga102_report_by_default()
    {
        var (code, output, err) = CliRunner.Run("boot");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Contains("GA102", output);
        Assert.Contains("FB region table", output);
        Assert.Contains("bar1PdeBase", output);
    }

    [Fact]
    public void Boot_json_has_the_layout()
    {
        var (code, output, _) = CliRunner.Run("boot", "--chip", "GH100", "--vram", "141GiB", "--json");
        Assert.Equal(0, code);
        var j = JsonNode.Parse(output)!;
        Assert.Equal("GH100", j["chip"]!.GetValue<string>());
        Assert.Equal("v3", j["mmu"]!.GetValue<string>());
        Assert.Equal("0x2340000000", j["totalFbEnd"]!.GetValue<string>());
        Assert.Equal(5, j["fbRegions"]!.AsArray().Count);
        Assert.StartsWith("0x", j["bar1Pdb"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unknown chip 'ZZ1'", "boot", "--chip", "ZZ1")]
    [InlineData("not a non-zero multiple of 1 MiB", "boot", "--vram", "1000")]
    [InlineData("beyond what GA102 can address", "boot", "--vram", "256GiB")]
    [InlineData("not a power of two", "boot", "--bar1", "3GiB")]
    [InlineData("malformed VRAM size '24XB'", "boot", "--vram", "24XB")]
    [InlineData("malformed BAR1 size '0xZZ'", "boot", "--bar1", "0xZZ")]
    [InlineData("--bogus", "boot", "--bogus")]
    [InlineData("exclude each other", "selftest", "--chip", "GA102", "--all-chips")]
    [InlineData("unknown chip 'nope'", "selftest", "--chip", "nope")]
    public void Bad_input_is_one_line_and_exit_code_2(string expected, params string[] args)
    {
        var (code, _, err) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Selftest_passes_on_the_default_chip()
    {
        var (code, output, _) = CliRunner.Run("selftest");
        Assert.Equal(0, code);
        Assert.Contains("PASS", output);
        Assert.DoesNotContain("FAIL", output);
    }

    [Fact]
    public void Selftest_json_reports_each_test_and_a_summary()
    {
        var (code, output, _) = CliRunner.Run("selftest", "--chip", "GH100", "--json");
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Contains(lines, l => (string?)l["suite"] == "PRAMIN");
        Assert.Contains(lines, l => (string?)l["suite"] == "BAR1");
        Assert.Equal(0, (int)lines[^1]["failed"]!);
        Assert.Equal(lines.Count - 1, (int)lines[^1]["tests"]!);
    }

    [Fact]
    public void Help_is_there_for_every_command()
    {
        foreach (var cmd in new[] { "chips", "boot", "selftest", "shell", "pte", "walk", "dump", "render", "buddy" })
        {
            var (code, output, _) = CliRunner.Run(cmd, "--help");
            Assert.Equal(0, code);
            Assert.Contains("Usage", output);
        }
    }

    [Theory]
    [InlineData("24GiB", 24UL << 30)]
    [InlineData("256MiB", 256UL << 20)]
    [InlineData("4K", 4096UL)]
    [InlineData("2T", 2UL << 40)]
    [InlineData("1048576", 1048576UL)]
    [InlineData("0x100000", 0x100000UL)]
    [InlineData("0X10", 16UL)]
    public void Sizes_parse(string text, ulong value) => Assert.Equal(value, Numbers.ParseSize(text));

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("-5")]
    [InlineData("1.5G")]
    [InlineData("99999999999999999999")]
    [InlineData("20000000000T")]
    public void Bad_sizes_are_rejected(string text) => Assert.Throws<FormatException>(() => Numbers.ParseSize(text));
}
