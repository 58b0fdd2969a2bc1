using System.CommandLine;
using NovaMm.Cli.Commands;

namespace NovaMm.Cli.Tests;

/// <summary>End-to-end checks of <c>novamm buddy</c> (invoked directly; Program.cs wires it into the root command).</summary>
public sealed class BuddyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("novamm-buddy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        int exit = BuddyCommand.Create().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void ReplayPrintsOneLinePerOperation()
    {
        string path = Write("a.trace", "init 0x10000 0x1000\nalloc a 0 0 0x3000 0x1000 contiguous\ntrim a 0x1000\nfree a cleared\nreset_clear dirty\n");
        (int exit, string output, string error) = Run("replay", path);
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Equal("alloc a ok 0xc000:0x2000 0xe000:0x1000\ntrim a einval\nfree a ok\nreset_clear ok\nend avail=65536 clear_avail=0\n", output);
    }

    [Fact]
    public void BenchPrintsTheTimingLine()
    {
        (int genExit, _, _) = Run("gen", "--size", "0x100000", "--ops", "500", "--seed", "3", "-o", Path.Combine(_dir, "g.trace"));
        Assert.Equal(0, genExit);
        (int exit, string output, _) = Run("replay", Path.Combine(_dir, "g.trace"), "--bench");
        Assert.Equal(0, exit);
        Assert.Matches(@"^ops=500 seconds=\d+\.\d{6} ops_per_s=\d+\n$", output);
    }

    [Fact]
    public void BenchPrintsEachRunOnStderrAndTheMedianLast()
    {
        (int genExit, _, _) = Run("gen", "--shape", "churn", "--size", "0x1000000", "--ops", "300", "--seed", "4", "-o", Path.Combine(_dir, "c.trace"));
        Assert.Equal(0, genExit);
        (int exit, string output, string error) = Run("replay", Path.Combine(_dir, "c.trace"), "--bench");
        Assert.Equal(0, exit);
        Assert.Matches(@"^ops=300 seconds=\d+\.\d{6} ops_per_s=\d+\n$", output);
        Assert.Matches(@"^run 1: ops=300 [^\n]+\nrun 2: ops=300 [^\n]+\nrun 3: ops=300 [^\n]+\n$", error);
    }

    [Fact]
    public void GenFragmentationShapeWritesFourOpsPer64KiB()
    {
        (int exit, string output, _) = Run("gen", "--shape", "fragmentation", "--size", "1MiB");
        Assert.Equal(0, exit);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("init 0x100000 0x1000", lines[1]);
        Assert.Equal(2 + (4 * 16), lines.Length);
        Assert.Equal("alloc f0 0x0 0x100000 0x2000 0x10000", lines[2]);
        Assert.Equal("free f0 cleared", lines[2 + 16]);
        (int badExit, _, string badErr) = Run("gen", "--shape", "spiral", "--size", "1MiB");
        Assert.NotEqual(0, badExit);
        Assert.Contains("spiral", badErr, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedTraceIsOneLineOnStderrWithExitTwo()
    {
        string path = Write("bad.trace", "init 0x10000 0x1000\nalloc a 0 0 0x1000 0x1000\nfree zz\n");
        (int exit, string output, string error) = Run("replay", path);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Equal($"{path}:3: free: unknown ID 'zz'\n", error);
    }

    [Fact]
    public void MissingFileIsOneLineOnStderrWithExitTwo()
    {
        (int exit, _, string error) = Run("replay", Path.Combine(_dir, "nope.trace"));
        Assert.Equal(2, exit);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain(" at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void GenRejectsBadNumbers()
    {
        (int exit, _, string error) = Run("gen", "--size", "12q");
        Assert.Equal(2, exit);
        Assert.StartsWith("buddy gen: malformed --size '12q'", error);
        (exit, _, error) = Run("gen", "--size", "0x10000", "--chunk", "0x800");
        Assert.Equal(2, exit);
        Assert.StartsWith("buddy gen: chunk size 0x800", error, StringComparison.Ordinal);
    }
}
