using System.Globalization;
using System.Text.Json.Nodes;
using NovaMm.Driver;
using NovaMm.Driver.PageTables;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Hardware;
using NovaMm.Hardware.Images;
using NovaMm.Hardware.Mmu;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;

namespace NovaMm.Cli.Tests;

/// <summary>
/// <c>novamm walk</c> and <c>novamm dump</c> on images written in the test from a booted simulated GPU whose driver
/// mapped pages: they must report exactly what the live GMMU translates.
/// </summary>
[Collection("cli")]
public sealed class ImageCommandTests : IDisposable
{
    private const ulong K4 = 4096;
    private const ulong K64 = 64 * 1024;
    private const ulong M2 = 2 * 1024 * 1024;
    private readonly string _dir = Directory.CreateTempSubdirectory("novamm-images-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A booted GPU, a VMM with 4K/64K/2M mappings (one read-only, one high up), saved as an image with the VMM's PDB.</summary>
    private sealed record Scene(SimulatedGpu Hw, Gpu Gpu, Vmm Vmm, IReadOnlyList<Mapping> Maps, string Image);

    private Scene Build(string chip)
    {
        var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get(chip) });
        var gpu = Gpu.Boot(hw.Bar0, hw.Bar1, hw.Gsp);
        var vmm = new Vmm(gpu.Mm, new VmmOptions { Format = gpu.Chip.Format });
        var maps = new List<Mapping>
        {
            vmm.Map(gpu.Mm.Allocate(40 * K4)),
            vmm.Map(gpu.Mm.Allocate(3 * K4), attributes: new MapAttributes { ReadOnly = true, Privileged = true }),
            vmm.Map(gpu.Mm.Allocate(4 * K64, new Driver.Memory.VramAllocOptions { MinBlockSize = K64 }), K64),
            vmm.Map(gpu.Mm.Allocate(2 * M2, new Driver.Memory.VramAllocOptions { MinBlockSize = M2 }), M2, new GpuVa(0x4_0000_0000)),
            vmm.Map(gpu.Mm.Allocate(2 * K4), va: new GpuVa(0x1_0000_0000_0000)),
        };
        var path = Path.Combine(_dir, chip + ".img");
        VramImage.Save(path, hw.Vram, VramImageHeader.For(hw.Chip, hw.Vram.Size, vmm.Pdb, DateTimeOffset.UtcNow));
        return new Scene(hw, gpu, vmm, maps, path);
    }

    private static TranslationResult Gmmu(Scene s, ulong va) =>
        s.Hw.Gmmu.Translate(s.Vmm.Pdb, s.Vmm.Format, new GpuVa(va), AccessType.Read, privileged: true);

    private static string H(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    private static JsonNode RunJson(params string[] args)
    {
        var (code, output, err) = CliRunner.Run(args);
        Assert.True(code == 0, $"exit {code}: {err}");
        Assert.Equal("", err);
        return JsonNode.Parse(output)!;
    }

    [Theory]
    [InlineData("GA102")]
    [InlineData("GH100")]
    [InlineData("GB202")]
    public void Walk_on_an_image_reports_what_the_live_gmmu_translates(string chip)
    {
        var s = Build(chip);
        var probes = s.Maps.SelectMany(m => new[] { m.Va.Value, m.Va.Value + (m.Size / 2) + 0x123, m.End.Value - 1, m.End.Value })
            .Append(0x7_0000_0000UL).Append(s.Vmm.Format.VaLimit - 1).ToList();
        foreach (var va in probes)
        {
            var j = RunJson("walk", "--image", s.Image, H(va), "--json");
            var tr = Gmmu(s, va);
            var result = (string)j["result"]!;
            Assert.Equal(H(s.Vmm.Pdb.Value), (string)j["pdb"]!);
            Assert.Equal(H(va), (string)j["va"]!);
            if (tr.IsSuccess)
            {
                Assert.Equal("mapped", result);
                Assert.Equal(H(tr.Translation!.PhysicalAddress), (string)j["address"]!);
                Assert.Equal(Spec.PageTables.PageSize.Format(tr.Translation.PageSize), (string)j["page"]!);
            }
            else
            {
                Assert.Contains(result, new[] { "unmapped", "table-missing" });
                Assert.Null(j["address"]);
            }

            var levels = j["levels"]!.AsArray();
            Assert.NotEmpty(levels);
            Assert.Equal(H(s.Vmm.Pdb.Value + (ulong)((int)levels[0]!["index"]! * 8)), (string)levels[0]!["entryAddress"]!);
            foreach (var l in levels)
            {
                var raw = (string)l!["raw"]!;
                Assert.Equal((string)l["level"]! == "pd0" ? 34 : 18, raw.Length);
            }
        }
    }

    [Fact]
    public void Walk_prints_levels_and_the_result_for_people()
    {
        var s = Build("GA102");
        var va = s.Maps[0].Va.Value + 0x1234;
        var (code, output, err) = CliRunner.Run("walk", "--image", s.Image, H(va));
        Assert.Equal(0, code);
        Assert.Equal("", err);
        foreach (var level in new[] { "PD3", "PD2", "PD1", "PD0", "PT" })
        {
            Assert.Contains(level, output);
        }

        Assert.Contains("mapped", output);
        Assert.Contains(H(Gmmu(s, va).Translation!.PhysicalAddress), output);
        Assert.Contains("table-missing", CliRunner.Run("walk", "--image", s.Image, "0x1800000000000").Out);
    }

    [Theory]
    [InlineData("GA102")]
    [InlineData("GH100")]
    public void Dump_ranges_are_exactly_the_gmmu_translations(string chip)
    {
        var s = Build(chip);
        var j = RunJson("dump", "--image", s.Image, "--ranges", "--json");
        Assert.Null(j["tree"]);
        Assert.Empty(j["problems"]!.AsArray());
        var mappings = j["mappings"]!.AsArray();
        ulong total = 0;
        foreach (var m in mappings)
        {
            var va = Numbers(m!["va"]);
            var end = Numbers(m["vaEnd"]);
            var pa = Numbers(m["address"]);
            total += end - va;
            var page = Parsing.Numbers.ParseSize((string)m["page"]!);
            for (var v = va; v < end; v += page)
            {
                var tr = Gmmu(s, v);
                Assert.True(tr.IsSuccess, $"{H(v)}: {tr}");
                Assert.Equal(pa + (v - va), tr.Translation!.PhysicalAddress);
                Assert.Equal(page, tr.Translation.PageSize);
                Assert.Equal(tr.Translation.Flags.HasFlag(TranslationFlags.ReadOnly), (bool)m["ro"]!);
                Assert.Equal(tr.Translation.Flags.HasFlag(TranslationFlags.Privileged), (bool)m["priv"]!);
            }

            Assert.Equal("video", (string)m["aperture"]!);
            Assert.Equal(chip == "GH100", m["pcf"] is not null);
        }

        Assert.Equal(s.Maps.Aggregate(0UL, (a, m) => a + m.Size), total);
        Assert.Equal(H(total), (string)j["mappedBytes"]!);
        Assert.Empty(j["sparse"]!.AsArray());

        // Each mapping's pages: VA contiguous, and a range never spans two different mappings' attributes.
        foreach (var map in s.Maps)
        {
            Assert.Contains(mappings, m => Numbers(m!["va"]) <= map.Va.Value && Numbers(m["vaEnd"]) >= map.Va.Value + map.PageSize);
        }
    }

    [Fact]
    public void Dump_prints_the_tree_and_the_table()
    {
        var s = Build("GH100");
        var (code, output, err) = CliRunner.Run("dump", "--image", s.Image);
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Contains($"PD4 at {H(s.Vmm.Pdb.Value)}", output);
        Assert.Contains("PD0[", output);
        Assert.Contains("PTEs VA", output); // a run of leaf PTEs shown as one line
        Assert.Contains("Mappings (coalesced)", output);
        Assert.Contains("0 problems", output);

        var tree = RunJson("dump", "--image", s.Image, "--tree", "--json");
        Assert.Null(tree["mappings"]);
        var roots = tree["tree"]!.AsArray();
        Assert.Equal("pd4", (string)roots[0]!["level"]!);
        Assert.NotNull(roots[0]!["children"]);
    }

    [Fact]
    public void Dump_va_range_and_pdb_override()
    {
        var s = Build("GA102");
        var big = s.Maps[3];
        var j = RunJson("dump", "--image", s.Image, "--ranges", "--json", "--va", $"{H(big.Va.Value)}:{H(big.End.Value)}");
        var only = Assert.Single(j["mappings"]!.AsArray());
        Assert.Equal(H(big.Va.Value), (string)only!["va"]!);
        Assert.Equal("2M", (string)only["page"]!);

        // The GSP's BAR1 address space is in the same image.
        var bar1 = RunJson("dump", "--image", s.Image, "--json", "--pdb", H(s.Gpu.Bar1Pdb.Value));
        Assert.Equal(H(s.Gpu.Bar1Pdb.Value), (string)bar1["pdb"]!);
    }

    [Fact]
    public void Raw_dump_with_a_base_walks_like_the_image()
    {
        var s = Build("GA102");
        using var image = VramImage.Open(s.Image);

        // A raw dump of the 64 KiB-aligned span holding the tables the walk of the second mapping reads.
        var va = s.Maps[1].Va.Value + 8;
        var entries = s.Vmm.Walk(new GpuVa(va)).Steps.Select(st => st.EntryAddress.Value).Append(s.Vmm.Pdb.Value).ToList();
        var baseAddress = entries.Min() & ~0xFFFFUL;
        var end = (entries.Max() + 16 + 0xFFFF) & ~0xFFFFUL;
        var raw = new byte[end - baseAddress];
        image.Read(baseAddress, raw);
        var rawPath = Path.Combine(_dir, "raw.bin");
        File.WriteAllBytes(rawPath, raw);
        Assert.True(baseAddress > 0);

        var fromImage = RunJson("walk", "--image", s.Image, H(va), "--json");
        var fromRaw = RunJson("walk", "--image", rawPath, "--raw", "--base", H(baseAddress), "--mmu", "v2", "--pdb", H(s.Vmm.Pdb.Value), H(va), "--json");
        Assert.Equal("mapped", (string)fromRaw["result"]!);
        Assert.Equal((string)fromImage["address"]!, (string)fromRaw["address"]!);
        Assert.Equal(fromImage["levels"]!.ToJsonString(), fromRaw["levels"]!.ToJsonString());

        // Without the base the tables are elsewhere: the PDB is outside the dump.
        var (code, _, err) = CliRunner.Run("walk", "--image", rawPath, "--raw", "--mmu", "v2", "--pdb", H(s.Vmm.Pdb.Value), H(va));
        Assert.Equal(2, code);
        Assert.Contains("is outside the image", err);
    }

    [Fact]
    public void Corrupt_tree_walk_fails_in_one_line_and_dump_reports_the_problem()
    {
        var vram = new Hardware.Memory.SparseVram(1UL << 30);
        var format = ChipCatalog.Get("GA102").Format;
        vram.Write64(0x1000, EntryCodec.Pde(format, Spec.PageTables.TableRef.Vram(new VramAddress(0x1F_FFFF_F000))));
        var path = Path.Combine(_dir, "corrupt.img");
        VramImage.Save(path, vram, VramImageHeader.For(ChipCatalog.Get("GA102"), vram.Size, new VramAddress(0x1000)));

        var (code, output, err) = CliRunner.Run("walk", "--image", path, "0x0");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("walk of VA 0x0 left VRAM", err);
        Assert.Single(err.TrimEnd('\n').Split('\n'));

        var j = RunJson("dump", "--image", path, "--json");
        Assert.Contains("0x1ffffff000", (string)j["problems"]![0]!, StringComparison.Ordinal);
        Assert.Empty(j["mappings"]!.AsArray());
        var human = CliRunner.Run("dump", "--image", path);
        Assert.Equal(0, human.Code);
        Assert.Contains("problem:", human.Out);
        Assert.Contains("outside VRAM", human.Out);
    }

    [Fact]
    public void Dump_without_image_boots_a_fresh_gpu()
    {
        var j = RunJson("dump", "--chip", "GB202", "--json");
        Assert.Equal("v3", (string)j["mmu"]!);
        Assert.Equal("V3Blackwell", (string)j["format"]!);
        Assert.StartsWith("0x", (string)j["pdb"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_is_there_for_walk_and_dump()
    {
        foreach (var cmd in new[] { "walk", "dump" })
        {
            var (code, output, _) = CliRunner.Run(cmd, "--help");
            Assert.Equal(0, code);
            Assert.Contains("--image", output);
            Assert.Contains("--raw", output);
            Assert.Contains("--pdb", output);
        }
    }

    [Theory]
    [InlineData("malformed VA '0xZZ'", "walk", "--image", "{img}", "0xZZ")]
    [InlineData("malformed PDB address 'ten'", "walk", "--image", "{img}", "--pdb", "ten", "0x0")]
    [InlineData("malformed base address '-1'", "walk", "--image", "{raw}", "--raw", "--base", "-1", "--mmu", "v2", "--pdb", "0", "0x0")]
    [InlineData("unknown --mmu 'v9'", "walk", "--image", "{img}", "--mmu", "v9", "0x0")]
    [InlineData("unknown chip 'ZZ1'", "dump", "--image", "{img}", "--chip", "ZZ1")]
    [InlineData("contradicts chip GA102", "walk", "--image", "{img}", "--mmu", "v3", "0x0")]
    [InlineData("no such file: {dir}/missing.img", "walk", "--image", "{dir}/missing.img", "0x0")]
    [InlineData("no such file: {dir}/missing.img", "dump", "--image", "{dir}/missing.img")]
    [InlineData("truncated VRAM image: record at file offset", "walk", "--image", "{trunc}", "0x0")]
    [InlineData("not a VRAM image: magic at file offset 0", "dump", "--image", "{raw}")]
    [InlineData("unknown VRAM image version 7 at file offset 8", "dump", "--image", "{v7}")]
    [InlineData("is outside the image", "walk", "--image", "{img}", "--pdb", "0xfffffffff000", "0x0")]
    [InlineData("is outside the image", "dump", "--image", "{img}", "--pdb", "0x5ffffffff")]
    [InlineData("is not 4 KiB aligned", "dump", "--image", "{img}", "--pdb", "0x1008")]
    [InlineData("VA 0x2000000000000 is beyond the 49-bit VA space", "walk", "--image", "{img}", "0x2000000000000")]
    [InlineData("VA range end 0x2000000000001 is beyond the 49-bit VA space", "dump", "--image", "{img}", "--va", "0:0x2000000000001")]
    [InlineData("VA range '0x5:0x1' is empty", "dump", "--image", "{img}", "--va", "0x5:0x1")]
    [InlineData("malformed VA range '12'", "dump", "--image", "{img}", "--va", "12")]
    [InlineData("--base and --vram apply to raw dumps only", "walk", "--image", "{img}", "--base", "0x1000", "0x0")]
    [InlineData("--raw, --base and --vram need --image FILE", "dump", "--raw")]
    [InlineData("--image FILE is required", "walk", "0x0")]
    [InlineData("does not say which MMU format", "walk", "--image", "{raw}", "--raw", "--pdb", "0", "0x0")]
    [InlineData("has no bar1Pdb in its header", "walk", "--image", "{raw}", "--raw", "--mmu", "v3", "0x0")]
    [InlineData("--tree and --ranges exclude each other", "dump", "--image", "{img}", "--tree", "--ranges")]
    [InlineData("Required argument missing", "walk", "--image", "{img}")]
    public void Bad_input_is_one_line_and_exit_code_2(string expected, params string[] args)
    {
        var img = Path.Combine(_dir, "small.img");
        var vram = new Hardware.Memory.SparseVram(1UL << 30);
        vram.Write64(0x1000, 0);
        vram.Write64(0x2_0000, 0x1234);
        VramImage.Save(img, vram, VramImageHeader.For(ChipCatalog.Get("GA102"), vram.Size, new VramAddress(0x1000)));
        var bytes = File.ReadAllBytes(img);
        File.WriteAllBytes(Path.Combine(_dir, "trunc.img"), bytes[..^100]);
        var v7 = (byte[])bytes.Clone();
        v7[8] = 7;
        File.WriteAllBytes(Path.Combine(_dir, "v7.img"), v7);
        File.WriteAllBytes(Path.Combine(_dir, "raw.bin"), new byte[8192]);
        string Fill(string a) => a.Replace("{img}", img, StringComparison.Ordinal).Replace("{trunc}", Path.Combine(_dir, "trunc.img"), StringComparison.Ordinal)
            .Replace("{v7}", Path.Combine(_dir, "v7.img"), StringComparison.Ordinal).Replace("{raw}", Path.Combine(_dir, "raw.bin"), StringComparison.Ordinal)
            .Replace("{dir}", _dir, StringComparison.Ordinal);

        var (code, output, err) = CliRunner.Run(args.Select(Fill).ToArray());
        Assert.Equal(2, code);
        Assert.Contains(Fill(expected), err);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", err);
        Assert.Equal("", output);
    }

    private static ulong Numbers(JsonNode? node) => Parsing.Numbers.ParseNumber((string)node!);
}
