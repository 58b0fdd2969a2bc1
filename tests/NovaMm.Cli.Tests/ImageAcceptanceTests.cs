using System.Diagnostics;
using System.Text.Json.Nodes;

namespace NovaMm.Cli.Tests;

/// <summary>
/// Issue 6 acceptance: a scripted session allocates, maps, writes through BAR1 and saves an image; then `walk` and
/// `dump` of that image in a fresh process report the translations the session's GPU gave.
/// </summary>
[Collection("cli")]
public class ImageAcceptanceTests
{
    [Theory]
    [InlineData("GA102")]
    [InlineData("GH100")]
    [InlineData("GB202")]
    public void Saved_image_walks_and_dumps_to_the_same_translations_in_a_fresh_process(string chip)
    {
        var dir = Directory.CreateTempSubdirectory("novamm-accept-").FullName;
        try
        {
            var image = Path.Combine(dir, "vram.img");
            var script = Path.Combine(dir, "session.nsh");
            File.WriteAllText(script, $"""
                alloc tex 1M min=64K
                alloc fb 4M min=2M
                alloc ubuf 16K
                vmm gfx
                map gfx t tex va=0x100000000 page=64K
                map gfx f fb va=0x200000000 page=2M ro
                map bar1 u ubuf
                write bar1 0x0 0xcafef00d
                write bar1 0x3ff8 0x1122334455667788 64
                translate gfx 0x100012345
                translate gfx 0x200345678
                translate bar1 0x3ff8
                vmm ctx
                save {image}
                """);
            var (code, output, err) = CliRunner.Run("shell", "--chip", chip, "--json", script);
            Assert.Equal("", err);
            Assert.Equal(0, code);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
            var gfxPdb = (string)lines.Single(l => (string)l["cmd"]! == "vmm" && (string)l["name"]! == "gfx")["pdb"]!;
            var translations = lines.Where(l => (string)l["cmd"]! == "translate").ToList();
            Assert.All(translations, t => Assert.True((bool)t["ok"]!));
            Assert.True((long)lines.Last()["bytes"]! > 0);

            // Fresh processes read only the image.
            foreach (var t in translations)
            {
                var vmm = (string)t["vmm"]!;
                var args = new List<string> { "walk", "--image", image, (string)t["va"]!, "--json" };
                if (vmm != "bar1")
                {
                    args.InsertRange(3, ["--pdb", gfxPdb]);
                }

                var walk = JsonNode.Parse(RunProcess(args))!;
                Assert.Equal("mapped", (string)walk["result"]!);
                Assert.Equal((string)t["address"]!, (string)walk["address"]!);
                Assert.Equal((string)t["page"]!, (string)walk["page"]!);
            }

            var dump = JsonNode.Parse(RunProcess(["dump", "--image", image, "--pdb", gfxPdb, "--ranges", "--json"]))!;
            var ranges = dump["mappings"]!.AsArray();
            Assert.Equal(2, ranges.Count);
            Assert.Equal("0x100000000", (string)ranges[0]!["va"]!);
            Assert.Equal("64K", (string)ranges[0]!["page"]!);
            Assert.Equal("0x200000000", (string)ranges[1]!["va"]!);
            Assert.True((bool)ranges[1]!["ro"]!);
            var gfxTex = (string)translations[0]["address"]!;
            Assert.Equal(Convert.ToUInt64((string)ranges[0]!["address"]!, 16) + 0x12345, Convert.ToUInt64(gfxTex, 16));

            // The data written through BAR1 is in the image at the page BAR1 translated to.
            using var img = Hardware.Images.VramImage.Open(image);
            var pa = Convert.ToUInt64((string)translations[2]["address"]!, 16);
            Assert.Equal(0x1122334455667788UL, img.Read64(pa));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static string RunProcess(IEnumerable<string> args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "novamm.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"novamm {string.Join(' ', args)} exited {p.ExitCode}: {stderr}");
        return stdout;
    }
}
