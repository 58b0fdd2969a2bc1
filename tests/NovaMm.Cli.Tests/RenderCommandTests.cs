using System.Diagnostics;
using System.Text.RegularExpressions;
using CsCheck;
using NovaMm.Cli.Render;

namespace NovaMm.Cli.Tests;

/// <summary><c>novamm render</c>: the page's structure, its bounds on huge VRAM, bad input, and the free-block reconstruction.</summary>
[Collection("cli")]
public partial class RenderCommandTests
{
    internal static string Render(params string[] args)
    {
        var file = Path.Combine(Path.GetTempPath(), $"novamm-render-{Guid.NewGuid():N}.html");
        var (code, _, err) = CliRunner.Run(["render", .. args, "--out", file]);
        Assert.True(code == 0, $"render failed with {code}: {err}");
        var html = File.ReadAllText(file);
        File.Delete(file);
        return html;
    }

    [Fact]
    public void Demo_page_has_both_maps_a_legend_and_every_owner()
    {
        var html = Render();
        Assert.Contains("id=\"vram-map\"", html);
        Assert.Contains("id=\"vram-detail\"", html);
        Assert.Contains("id=\"va-map\"", html);
        Assert.Contains("class=\"legend\"", html);
        foreach (var kind in new[] { "gsp", "page-table", "allocation", "free order-", "mapping page-4k", "mapping page-64k", "mapping page-2m", "unmapped" })
        {
            Assert.Contains($"class=\"block {kind}", html);
            Assert.Contains($"data-kind=\"{kind}", html);
        }

        Assert.Contains("<title>", html);

        // The reconstruction agrees with the allocator's statistics (else a warning is printed in the page).
        Assert.DoesNotContain("class=\"warning\"", html);
        Assert.Matches("id=\"pt-pages\" data-count=\"[1-9][0-9]*\"", html);
    }

    [Fact]
    public void Page_is_self_contained()
    {
        var html = Render();
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);

        // The only URL is the SVG namespace name, which is never fetched.
        Assert.DoesNotContain(Url().Matches(html), m => m.Value != "http://www.w3.org/2000/svg");
    }

    [Theory]
    [InlineData("TU102", null)]
    [InlineData("GH100", null)]
    [InlineData("GB202", null)]
    [InlineData("GA102", "256MiB")]
    public void Demo_is_consistent_on_other_chips(string chip, string? vram)
    {
        var html = vram is null ? Render("--chip", chip) : Render("--chip", chip, "--vram", vram);
        Assert.DoesNotContain("class=\"warning\"", html);
        Assert.Contains("class=\"block page-table", html);
        Assert.Contains(chip, html);
    }

    [Fact]
    public void Boot_scenario_has_no_address_space()
    {
        var html = Render("--scenario", "boot");
        Assert.Contains("id=\"va-map\"", html);
        Assert.Contains("No address space", html);
        Assert.Contains("class=\"block gsp", html);
        Assert.DoesNotContain("class=\"block allocation", html);
        Assert.DoesNotContain("class=\"warning\"", html);
    }

    [Fact]
    public void Huge_vram_renders_a_bounded_number_of_elements()
    {
        var html = Render("--chip", "GB100", "--vram", "192GiB");
        var rects = Regex.Count(html, "<rect ");
        Assert.InRange(rects, 10, 4000);
        Assert.True(html.Length < 2_000_000, $"page is {html.Length} bytes");
        Assert.DoesNotContain("class=\"warning\"", html);
        Assert.Contains("coalesced", html);
    }

    [Fact]
    public void Worst_case_fragmentation_stays_bounded()
    {
        // 192 GiB where the first 1.5 GiB alternate 4 KiB allocations and free pages: 196608 stretches.
        const ulong total = 192UL << 30;
        var segments = new List<Segment>();
        var a = 0UL;
        for (var i = 0; i < 196_608; i++, a += 4096)
        {
            segments.Add(i % 2 == 0 ? new Segment(a, a + 4096, Owner.Allocation, -1, "a") : new Segment(a, a + 4096, Owner.Free, 0, "f"));
        }

        segments.Add(new Segment(a, total, Owner.Free, 30, "rest"));
        var html = HtmlPage.Build(new PageModel("t", "c", "s", null, "", []), new VramPicture(total, segments, []));

        // Per map row at most about 2 x Width / MinWidth rects; two maps of 8 rows.
        var bound = 2 * 8 * (int)((2 * HtmlPage.Width / HtmlPage.MinWidth) + 8);
        var rects = Regex.Count(html, "<rect class=\"block ");
        Assert.InRange(rects, 100, bound);
        Assert.Contains("class=\"block allocation coalesced\"", html);
    }

    [Fact]
    public void A_shell_script_drives_the_picture()
    {
        var dir = Directory.CreateTempSubdirectory("novamm-render-").FullName;
        try
        {
            var script = Path.Combine(dir, "s.nsh");
            File.WriteAllText(script, "alloc frame 2M min=2M\nvmm gfx\nmap gfx fb frame page=2M\nalloc bad 4K\n");
            var html = Path.Combine(dir, "out.html");
            var (code, _, err) = CliRunner.Run("render", "--script", script, "--out", html);
            Assert.Equal("", err);
            Assert.Equal(0, code);
            var text = File.ReadAllText(html);
            Assert.Contains("id=\"va-map\"", text);
            Assert.Contains("page-2m", text);
            Assert.Contains("frame", text);

            File.WriteAllText(script, "alloc a 4K\nfree b\n");
            var (code2, _, err2) = CliRunner.Run("render", "--script", script, "--out", html);
            Assert.Equal(2, code2);
            Assert.Contains("s.nsh:2: no allocation 'b'", err2);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("--out FILE.html is required", "render")]
    [InlineData("unknown scenario 'nope'", "render", "--scenario", "nope", "--out", "/tmp/x.html")]
    [InlineData("script 's.txt' not found", "render", "--script", "s.txt", "--out", "/tmp/x.html")]
    [InlineData("exclude each other", "render", "--script", "s.txt", "--scenario", "demo", "--out", "/tmp/x.html")]
    [InlineData("malformed VRAM size '24XB'", "render", "--vram", "24XB", "--out", "/tmp/x.html")]
    [InlineData("unknown chip 'ZZ1'", "render", "--chip", "ZZ1", "--out", "/tmp/x.html")]
    [InlineData("Could not find a part of the path", "render", "--out", "/nonexistent-dir/x/y.html")]
    public void Bad_input_is_one_line_and_exit_code_2(string expected, params string[] args)
    {
        var (code, _, err) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Help_names_the_options()
    {
        var (code, output, _) = CliRunner.Run("render", "--help");
        Assert.Equal(0, code);
        foreach (var o in new[] { "--out", "--scenario", "--script", "--chip", "--vram" })
        {
            Assert.Contains(o, output);
        }
    }

    [GeneratedRegex("https?://[^\"' )<>]+")]
    private static partial Regex Url();
}

/// <summary>Opens the rendered page in headless Chromium and checks the DOM it built (and that it paints).</summary>
[Collection("cli")]
public class RenderChromiumTests
{
    /// <summary>
    /// The Chromium to drive: whatever <c>tests/tools/ensure-chromium.sh</c> finds, after it installs Debian's
    /// <c>chromium</c> package on a machine that has none (so the README's test command needs no manual step).
    /// </summary>
    private static string Chromium()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NovaMm.sln")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        var script = Path.Combine(dir.FullName, "tests", "tools", "ensure-chromium.sh");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var path = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0 && File.Exists(path), $"no Chromium to open the page with: {stderr.Result.Trim()}");
        return path;
    }

    private static async Task<string> RunChromium(string exe, string userData, CancellationToken token, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={userData}" }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(token);
        var stderr = p.StandardError.ReadToEndAsync(token);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout;
        Assert.True(p.ExitCode == 0, $"chromium exited with {p.ExitCode}: {await stderr}");
        return output;
    }

    [Fact]
    public async Task Chromium_builds_the_expected_dom_and_paints_the_page()
    {
        var exe = Chromium();
        var token = TestContext.Current.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("novamm-chromium-");
        try
        {
            var page = Path.Combine(dir.FullName, "render.html");
            var (code, _, err) = CliRunner.Run("render", "--out", page);
            Assert.True(code == 0, err);

            var dom = await RunChromium(exe, Path.Combine(dir.FullName, "profile1"), token, "--dump-dom", new Uri(page).AbsoluteUri);
            Assert.Contains("</html>", dom);
            foreach (var id in new[] { "vram-map", "vram-detail", "va-map" })
            {
                Assert.Matches($"<svg[^>]* id=\"{id}\"|<svg id=\"{id}\"", dom);
            }

            var vram = SvgBody(dom, "vram-map") + SvgBody(dom, "vram-detail");
            foreach (var kind in new[] { "gsp", "page-table", "allocation", "free order-" })
            {
                Assert.True(Regex.IsMatch(vram, $"<rect class=\"block {kind}"), $"no rect for owner '{kind}' in the VRAM maps of the DOM");
            }

            var va = SvgBody(dom, "va-map");
            foreach (var kind in new[] { "mapping page-4k", "mapping page-64k", "mapping page-2m" })
            {
                Assert.Contains($"<rect class=\"block {kind}", va);
            }

            Assert.True(Regex.Count(dom, "<ul class=\"legend\"") >= 2, "expected a VRAM and a VA legend");
            foreach (var kind in new[] { "gsp", "page-table", "allocation", "unmapped" })
            {
                Assert.Contains($"class=\"legend-item\" data-kind=\"{kind}\"", dom);
            }

            // And it paints: a screenshot of the page is a real image.
            var png = Path.Combine(dir.FullName, "render.png");
            await RunChromium(exe, Path.Combine(dir.FullName, "profile2"), token, "--window-size=1350,1200", $"--screenshot={png}", new Uri(page).AbsoluteUri);
            var bytes = await File.ReadAllBytesAsync(png, token);
            Assert.True(bytes.Length > 10_000, $"screenshot is only {bytes.Length} bytes");
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes[..4]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string SvgBody(string dom, string id)
    {
        var m = Regex.Match(dom, $"<svg[^>]*id=\"{id}\"[^>]*>(.*?)</svg>", RegexOptions.Singleline);
        Assert.True(m.Success, $"no <svg id=\"{id}\"> in the DOM");
        return m.Groups[1].Value;
    }
}
