using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Spec.Addresses;

namespace NovaMm.Cli.Bench;

/// <summary>
/// Host memory, measured in fresh child processes (peak resident set, <c>VmHWM</c> of <c>/proc/self/status</c>):
/// booting a 192 GiB GB100 against the tool doing nothing, and mapping 64 GiB in 4 KiB pages against the bytes of page
/// tables the map wrote.
/// </summary>
internal static class MemoryWorkloads
{
    private const ulong MiB = 1UL << 20;
    private const ulong GiB = 1UL << 30;

    /// <summary>The probes a child process runs: <c>bare</c>, <c>boot</c>, <c>map</c>.</summary>
    public static readonly string[] ProbeNames = ["bare", "boot", "map"];

    /// <summary>Peak RSS of booting a 192 GiB GB100, above the same tool started and doing nothing.</summary>
    public static IEnumerable<Figure> Boot(BenchContext ctx)
    {
        ctx.Step("peak RSS: boot a 192 GiB GB100, against the tool doing nothing (child processes)");
        Sample bare = new(), boot = new();
        for (var r = 0; r < ctx.Runs; r++)
        {
            bare.Add(Child("bare", 0)["vmHwm"]!.GetValue<long>() / (double)MiB);
            boot.Add(Child("boot", 0)["vmHwm"]!.GetValue<long>() / (double)MiB);
        }

        yield return new Figure("boot-gb100-192gib-rss", "peak RSS of novamm booting a 192 GiB GB100", "MiB", boot, "novamm started, doing nothing", bare, FigureKind.MebibytesAbove, boot.Median - bare.Median, 64);
    }

    /// <summary>Host memory that mapping 64 GiB (8 GiB with --quick) in 4 KiB pages adds, over the page-table bytes written.</summary>
    public static IEnumerable<Figure> Map(BenchContext ctx)
    {
        var size = ctx.Quick ? 8 * GiB : 64 * GiB;
        ctx.Step($"host memory of mapping {size / GiB} GiB in 4 KiB pages on a GB100 (child processes)");
        Sample grown = new(), tables = new();
        for (var r = 0; r < Math.Max(1, ctx.Runs / 2); r++)
        {
            var result = Child("map", size);
            grown.Add(result["grownBytes"]!.GetValue<long>() / (double)MiB);
            tables.Add(result["pageTableBytes"]!.GetValue<long>() / (double)MiB);
        }

        yield return new Figure($"map-{size / GiB}gib-4k-memory", $"host memory added by mapping {size / GiB} GiB in 4 KiB pages (GB100)", "MiB", grown, "page-table pages written × 4 KiB", tables, FigureKind.MemoryRatio, grown.Median / tables.Median, 1.5);
    }

    /// <summary>Runs one probe in this process and returns its JSON (the child side of <see cref="Child"/>).</summary>
    public static JsonObject RunProbe(string name, ulong size)
    {
        switch (name)
        {
            case "bare":
                return new JsonObject { ["probe"] = name, ["vmHwm"] = Status("VmHWM") };
            case "boot":
                {
                    var (hw, gpu) = BenchContext.Boot("GB100", 192 * GiB);
                    GC.KeepAlive(gpu);
                    return new JsonObject { ["probe"] = name, ["vmHwm"] = Status("VmHWM"), ["vramResidentBytes"] = hw.Vram.ResidentBytes };
                }

            case "map":
                {
                    var (hw, gpu) = BenchContext.Boot("GB100", 192 * GiB);
                    var backing = MapWorkloads.Backing(gpu, size);
                    using var vmm = new Vmm(gpu.Mm, new VmmOptions { Format = gpu.Chip.Format });
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                    var before = Status("VmRSS");
                    var mapping = vmm.Map(backing, GpuPage.Size, new GpuVa(1UL << 40));
                    var after = Status("VmHWM");
                    var tables = (long)vmm.PageTablePages * (long)GpuPage.Size;
                    GC.KeepAlive(mapping);
                    return new JsonObject
                    {
                        ["probe"] = name,
                        ["mappedBytes"] = size,
                        ["rssBefore"] = before,
                        ["vmHwm"] = after,
                        ["grownBytes"] = after - before,
                        ["pageTableBytes"] = tables,
                        ["vramResidentBytes"] = hw.Vram.ResidentBytes,
                    };
                }

            default:
                throw new ArgumentException($"unknown probe '{name}' (known: {string.Join(", ", ProbeNames)})");
        }
    }

    /// <summary>A field of <c>/proc/self/status</c> in bytes (the kernel reports kB).</summary>
    private static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kb = line[(field.Length + 1)..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/self/status has no {field} line");
    }

    /// <summary>Runs <c>novamm bench probe NAME</c> in a fresh process and parses the JSON it prints.</summary>
    private static JsonObject Child(string probe, ulong size)
    {
        var dir = Path.GetDirectoryName(typeof(Program).Assembly.Location)!;
        var apphost = Path.Combine(dir, "novamm");
        var psi = File.Exists(apphost) ? new ProcessStartInfo(apphost) : new ProcessStartInfo("dotnet") { ArgumentList = { Path.Combine(dir, "novamm.dll") } };
        foreach (var a in new[] { "bench", "probe", probe, "--size", size.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"the memory probe '{probe}' exited with {p.ExitCode}: {stderr.Result.Trim()}");
        }

        return JsonNode.Parse(stdout)?.AsObject() ?? throw new InvalidOperationException($"the memory probe '{probe}' printed no JSON");
    }
}
