using System.Text.Json.Nodes;

namespace NovaMm.Cli.Tests;

[Collection("cli")]
public class ShellTests
{
    private static (int Code, string Out, string Err) RunScript(string script, params string[] options)
    {
        var path = Path.Combine(Path.GetTempPath(), $"novamm-{Guid.NewGuid():N}.nsh");
        File.WriteAllText(path, script);
        try
        {
            return CliRunner.Run(["shell", .. options, path]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static List<JsonObject> Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    [Theory]
    [InlineData("GA102")]
    [InlineData("GH100")]
    public void A_scripted_session_reports_every_command_as_json(string chip)
    {
        var (code, output, err) = RunScript("""
            # allocate, map, write through BAR1, read back through PRAMIN
            alloc buf 64K min=64K
            vmm ctx va=0x100000000:0x200000000
            map ctx m1 buf va=0x100000000 page=64K ro
            translate ctx 0x100001234
            translate ctx 0x100001234 write
            walk ctx 0x100000000
            alloc b 8K
            map bar1 bm b
            write bar1 0x0 0xcafebabe
            read bar1 0x0
            fill pramin 0x1000 16 0xab
            flush ctx
            faults
            stats
            unmap ctx m1
            free buf
            """, "--json", "--chip", chip);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        var l = Lines(output);
        Assert.Equal(["alloc", "vmm", "map", "translate", "translate", "walk", "alloc", "map", "write", "read", "fill", "flush", "faults", "stats", "unmap", "free"], l.Select(o => (string)o["cmd"]!));
        Assert.Equal(2, (int)l[0]["line"]!);
        var blocks = l[0]["blocks"]!.AsArray();
        Assert.Single(blocks);
        Assert.Equal("0x10000", (string)blocks[0]!["size"]!);
        Assert.Equal(chip == "GA102" ? "v2" : "v3", (string)l[1]["mmu"]!);
        Assert.Equal("0x100000000", (string)l[1]["vaStart"]!);
        Assert.Equal("64K", (string)l[2]["page"]!);
        Assert.Equal(1, (int)l[2]["pages"]!);
        Assert.True((int)l[2]["ptPages"]! >= 4);
        Assert.True((bool)l[3]["ok"]!);
        Assert.Equal("video", (string)l[3]["aperture"]!);
        Assert.Equal($"0x{Convert.ToUInt64((string)blocks[0]!["offset"]!, 16) + 0x1234:x}", (string)l[3]["address"]!);
        Assert.Equal("miss", (string)l[3]["tlb"]!);
        Assert.False((bool)l[4]["ok"]!);
        Assert.Equal("read-only", (string)l[4]["fault"]!);
        Assert.Equal("mapped", (string)l[5]["result"]!);
        Assert.Equal(chip == "GA102" ? 5 : 6, l[5]["levels"]!.AsArray().Count);
        Assert.Equal("0xcafebabe", (string)l[9]["value"]!);
        Assert.Equal(32, (int)l[9]["width"]!);
        var faults = l[12]["faults"]!.AsArray();
        Assert.Equal("read-only", (string)faults.Single()!["reason"]!);
        Assert.True((int)l[14]["ptPagesFreed"]! >= 4);
    }

    [Fact]
    public void A_failing_line_names_its_line_and_stops_the_run()
    {
        var (code, output, err) = RunScript("alloc a 4K\nalloc a 8K\nalloc c 4K\n", "--json");
        Assert.Equal(2, code);
        Assert.EndsWith(":2: allocation 'a' exists (free it first)", err.TrimEnd('\n'));
        var l = Lines(output);
        Assert.Equal(2, l.Count);
        Assert.Equal("alloc", (string)l[1]["cmd"]!);
        Assert.Equal(2, (int)l[1]["line"]!);
        Assert.Contains("exists", (string)l[1]["error"]!);
    }

    [Theory]
    [InlineData("alloc a 4K\nbogus\n", ":2: unknown command 'bogus'")]
    [InlineData("alloc a 4Q\n", ":1: malformed size '4Q'")]
    [InlineData("vmm v va=5:3\n", ":1: va range '5:3' is empty")]
    [InlineData("read vram 0x0\n", ":1: unknown space 'vram'")]
    [InlineData("read pramin 0x0 12\n", ":1: unknown width '12'")]
    [InlineData("write pramin 0x0 0x1ff 8\n", ":1: value 0x1ff does not fit 8 bits")]
    [InlineData("map v m vram:0x1000\n", ":1: malformed target 'vram:0x1000'")]
    [InlineData("alloc a 4K speed=9\n", ":1: alloc: unknown option 'speed='")]
    [InlineData("translate v 0x0 execute\n", ":1: translate: unknown access 'execute'")]
    [InlineData("free\n", ":1: free: expected 1 argument(s), got 0")]
    [InlineData("alloc a-b 4K\n", ":1: malformed allocation name 'a-b'")]
    public void Syntax_errors_are_found_before_anything_runs(string script, string message)
    {
        var (code, output, err) = RunScript("alloc first 4K\n" + script);
        Assert.Equal(2, code);
        Assert.Equal("", output); // not even line 1 ran
        var line = err.TrimEnd('\n');
        Assert.Single(line.Split('\n'));
        var expectedLine = int.Parse(message[1..message.IndexOf(':', 1)], System.Globalization.CultureInfo.InvariantCulture) + 1;
        Assert.Contains($":{expectedLine}:{message[(message.IndexOf(':', 1) + 1)..]}", line);
    }

    [Fact]
    public void A_failed_command_changes_nothing()
    {
        var (code, output, _) = RunScript("""
            alloc a 8K
            vmm v
            map v m a va=0x10000
            stats
            """, "--json");
        Assert.Equal(0, code);
        var before = Lines(output).Last();
        var (code2, output2, err2) = RunScript("""
            alloc a 8K
            vmm v
            map v m a va=0x10000
            stats
            map v m2 a va=0x11000
            """, "--json");
        Assert.Equal(2, code2);
        Assert.Contains(":5: VA range 0x11000..0x13000 overlaps live mapping", err2);
        var l = Lines(output2);
        Assert.Equal(before.ToJsonString(), l[3].ToJsonString());
        Assert.Equal("map", (string)l[4]["cmd"]!);
    }

    [Fact]
    public void Free_is_refused_while_mapped()
    {
        var (code, _, err) = RunScript("alloc a 4K\nvmm v\nmap v m a\nfree a\n");
        Assert.Equal(2, code);
        Assert.Contains(":4: allocation 'a' is mapped by m (unmap first)", err);
    }

    [Fact]
    public void Human_output_is_readable()
    {
        var (code, output, _) = RunScript("alloc a 4K\nvmm v\nmap v m a va=0x7000\nwalk v 0x7000\ntranslate v 0x7000\nhelp\n");
        Assert.Equal(0, code);
        Assert.Contains("=> mapped", output);
        Assert.Contains("-> video", output);
        Assert.Contains("map VMM NAME TARGET", output);
    }

    [Fact]
    public void Dump_lists_the_tree_and_coalesced_ranges()
    {
        var (code, output, _) = RunScript("alloc a 64K\nvmm v\nmap v m a va=0x40000000\ndump v\ndump v ranges va=0x0:0x80000000\n", "--json");
        Assert.Equal(0, code);
        var l = Lines(output);
        var ranges = l[3]["mappings"]!.AsArray();
        var range = Assert.Single(ranges);
        Assert.Equal("0x40000000", (string)range!["va"]!);
        Assert.Equal("0x40010000", (string)range["vaEnd"]!);
        Assert.Equal(16, (int)range["pages"]!);
        Assert.NotNull(l[3]["tree"]);
        Assert.Null(l[4]["tree"]);
        Assert.Single(l[4]["mappings"]!.AsArray());
    }

    [Fact]
    public void Sparse_targets_map_without_pages()
    {
        var (code, output, _) = RunScript("vmm v\nmap v s sparse:64K va=0x10000 page=64K\ntranslate v 0x10000\nwalk v 0x10000\nunmap v s\n", "--json");
        Assert.Equal(0, code);
        var l = Lines(output);
        Assert.True((bool)l[1]["sparse"]!);
        Assert.Equal(1, (int)l[1]["pages"]!);
        Assert.Equal("sparse", (string)l[2]["fault"]!);
        Assert.Equal("unmapped", (string)l[3]["result"]!);
    }

    [Fact]
    public void Missing_script_is_a_one_line_error()
    {
        var (code, _, err) = CliRunner.Run("shell", "/nonexistent/script.nsh");
        Assert.Equal(2, code);
        Assert.Contains("not found", err);
    }

    [Fact]
    public void A_replace_drops_the_replaced_names_and_frees_their_allocations_for_free()
    {
        var (code, output, err) = RunScript("""
            alloc a 8K
            alloc b 8K
            vmm ctx
            map ctx m1 a va=0x100000000
            map ctx m2 vram:0x20000000:8K va=0x100002000
            map ctx m3 b va=0x100000000 replace
            free a
            unmap ctx m3
            free b
            stats
            """, "--json");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        var l = Lines(output);
        Assert.Equal(["alloc", "alloc", "vmm", "map", "map", "map", "free", "unmap", "free", "stats"], l.Select(o => (string)o["cmd"]!));
        var ctx = l[^1]["vmms"]!.AsArray().Single(v => (string)v!["name"]! == "ctx")!;
        Assert.Equal(1, (int)ctx["mappings"]!); // m2 is still there
        var (code2, _, err2) = RunScript("""
            alloc a 8K
            vmm ctx
            map ctx m1 a va=0x100000000
            map ctx m2 a va=0x100002000
            unmap ctx m1
            free a
            """);
        Assert.Equal(2, code2);
        Assert.Contains(":6: allocation 'a' is mapped by m2 (unmap first)", err2);
    }
}
