using System.Text.RegularExpressions;
using NovaMm.Driver.Buddy;
using NovaMm.Driver.Buddy.Trace;

namespace NovaMm.Driver.Tests.Buddy;

/// <summary>Trace format (docs/buddy-trace.md): replays against Linux-produced outputs, parser errors, generator, bench.</summary>
public sealed partial class BuddyTraceTests
{
    private static string TraceDir => Path.Combine(AppContext.BaseDirectory, "Buddy", "Traces");

    public static TheoryData<string> TraceNames()
    {
        var data = new TheoryData<string>();
        foreach (string f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Buddy", "Traces"), "*.trace").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(f));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TraceNames))]
    public void ReplayMatchesLinuxOutputByteForByte(string name)
    {
        BuddyTrace trace = BuddyTrace.Load(Path.Combine(TraceDir, name + ".trace"));
        var sw = new StringWriter { NewLine = "\n" };
        GpuBuddy mm = BuddyTraceReplayer.Replay(trace, sw);
        BuddyInvariants.Check(mm);
        byte[] expected = File.ReadAllBytes(Path.Combine(TraceDir, name + ".expected"));
        byte[] actual = System.Text.Encoding.UTF8.GetBytes(sw.ToString());
        if (!expected.AsSpan().SequenceEqual(actual))
        {
            string[] e = System.Text.Encoding.UTF8.GetString(expected).Split('\n');
            string[] a = sw.ToString().Split('\n');
            int i = 0;
            while (i < e.Length && i < a.Length && e[i] == a[i])
            {
                i++;
            }

            Assert.Fail($"{name}: first difference at output line {i + 1}:\n  expected: {(i < e.Length ? e[i] : "<eof>")}\n  actual:   {(i < a.Length ? a[i] : "<eof>")}");
        }
    }

    [Fact]
    public void CommittedTracesAreThere()
    {
        Assert.True(TraceNames().Count >= 10);
    }

    [Theory]
    [InlineData("alloc a 0 0 0x1000 0x1000\n", "t.trace:1: 'alloc' before init")]
    [InlineData("init 0x10000 0x1000\nfoo a\n", "t.trace:2: unknown operation 'foo'")]
    [InlineData("init 0x10000 0x1000\nalloc a 0 0 0x1g00 0x1000\n", "t.trace:2: alloc: bad number '0x1g00' for SIZE")]
    [InlineData("init 0x10000 0x1000\nalloc a 0 0 12x 0x1000\n", "t.trace:2: alloc: bad number '12x' for SIZE")]
    [InlineData("init 0x10000 0x1000\nalloc a 0 0 99999999999999999999 0x1000\n", "t.trace:2: alloc: bad number '99999999999999999999' for SIZE")]
    [InlineData("init 0x10000 0x1000\nalloc a 0 0 0x1000\n", "t.trace:2: alloc: missing MIN")]
    [InlineData("init 0x10000 0x1000\nalloc a 0 0 0x1000 0x1000 sideways\n", "t.trace:2: alloc: unknown flag 'sideways'")]
    [InlineData("init 0x10000 0x1000\nalloc a 0 0 0x1000 0x1000\nalloc a 0 0 0x1000 0x1000\n", "t.trace:3: alloc: ID 'a' is reused")]
    [InlineData("init 0x10000 0x1000\nfree b\n", "t.trace:2: free: unknown ID 'b'")]
    [InlineData("init 0x10000 0x1000\nalloc a 0 0 0x1000 0x1000\nfree a\ntrim a 0x1000\n", "t.trace:4: trim: ID 'a' has already been freed")]
    [InlineData("init 0x10000 0x1000\nalloc a 0 0 0x1000 0x1000\nfree a dirty\n", "t.trace:3: free: expected 'cleared', got 'dirty'")]
    [InlineData("init 0x10000 0x1000\nreset_clear maybe\n", "t.trace:2: reset_clear: expected 'clear' or 'dirty'")]
    [InlineData("init 0x10000 0x1000\ninit 0x10000 0x1000\n", "t.trace:2: init: the trace has already been initialised")]
    [InlineData("init 0x10000 0x800\n", "t.trace:1: init: invalid SIZE 0x10000 / CHUNK 0x800 (chunk must be a power of two >= 4 KiB, size >= chunk)")]
    [InlineData("init 0x10000 0x1000\nalloc a-b 0 0 0x1000 0x1000\n", "t.trace:2: alloc: bad ID 'a-b' (letters, digits and '_' only)")]
    [InlineData("# nothing\n", "t.trace:1: missing init")]
    public void MalformedTracesAreRejectedBeforeRunning(string text, string message)
    {
        BuddyTraceFormatException ex = Assert.Throws<BuddyTraceFormatException>(() => BuddyTrace.Parse(text, "t.trace"));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void CommentsBlankLinesDecimalAndHexAreAccepted()
    {
        BuddyTrace t = BuddyTrace.Parse("# c\n\ninit 65536 4096 # size\n  alloc A_1 0 0 4096 0x1000 clear topdown\r\nfree A_1 cleared\nreset_clear clear\n", "x");
        Assert.Equal(65536UL, t.Size);
        Assert.Equal(3, t.Ops.Count);
        Assert.Equal(BuddyFlags.Clear | BuddyFlags.TopDown, t.Ops[0].Flags);
        var sw = new StringWriter();
        BuddyTraceReplayer.Replay(t, sw);
        Assert.Equal("alloc A_1 ok 0xf000:0x1000\nfree A_1 ok\nreset_clear ok\nend avail=65536 clear_avail=65536\n", sw.ToString());
    }

    [Fact]
    public void ErrorsAreReportedLikeTheSpec()
    {
        BuddyTrace t = BuddyTrace.Parse("init 0x4000 0x1000\nalloc a 0 0 0x8000 0x1000\nalloc b 0 0 0x4000 0x1000\nalloc c 0 0 0x1000 0x1000\ntrim b 0x3000 0x800\ntrim b 0x3000\n", "x");
        var sw = new StringWriter();
        BuddyTraceReplayer.Replay(t, sw);
        Assert.Equal("alloc a einval\nalloc b ok 0x0:0x4000\nalloc c enospc\ntrim b einval\ntrim b ok 0x0:0x2000 0x2000:0x1000\nend avail=4096 clear_avail=0\n", sw.ToString());
    }

    [Fact]
    public void FreeOfAFailedAllocationIsAnError()
    {
        BuddyTrace t = BuddyTrace.Parse("init 0x4000 0x1000\nalloc a 0 0 0x8000 0x1000\nfree a\n", "x.trace");
        BuddyTraceFormatException ex = Assert.Throws<BuddyTraceFormatException>(() => BuddyTraceReplayer.Replay(t, new StringWriter()));
        Assert.StartsWith("x.trace:3: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratorIsDeterministicAndUsesEveryFeature()
    {
        var o = new BuddyTraceGeneratorOptions(0x7f000, 0x1000, 3000, 42);
        string a = BuddyTraceGenerator.Generate(o);
        Assert.Equal(a, BuddyTraceGenerator.Generate(o));
        foreach (string word in new[] { " range", " topdown", " contiguous", " clear", " trim_disable", "free ", " cleared", "trim ", "reset_clear clear", "reset_clear dirty" })
        {
            Assert.Contains(word, a, StringComparison.Ordinal);
        }

        BuddyTrace t = BuddyTrace.Parse(a, "gen");
        var sw = new StringWriter();
        GpuBuddy mm = BuddyTraceReplayer.Replay(t, sw);
        BuddyInvariants.Check(mm);
        string output = sw.ToString();
        Assert.Contains(" einval", output, StringComparison.Ordinal);
        Assert.Contains(" enospc", output, StringComparison.Ordinal);
        Assert.Contains("trim ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void BenchLineHasTheSpecFormat()
    {
        BuddyTrace t = BuddyTrace.Load(Path.Combine(TraceDir, "pow2-1mib.trace"));
        BuddyTraceTiming timing = BuddyTraceReplayer.BenchMedian(t, 1).Median;
        Assert.Equal(t.Ops.Count, timing.Ops);
        Assert.Matches(BenchLine(), timing.ToString());
    }

    [Fact]
    public void BenchMedianTimesTheRequestedRunsAndReturnsTheMiddleOne()
    {
        BuddyTrace t = BuddyTrace.Load(Path.Combine(TraceDir, "misc.trace"));
        var seen = new List<int>();
        BuddyTraceBenchResult r = BuddyTraceReplayer.BenchMedian(t, 3, (run, timing) => seen.Add(run));
        Assert.Equal([1, 2, 3], seen);
        Assert.Equal(3, r.Runs.Count);
        Assert.All(r.Runs, x => Assert.Equal(t.Ops.Count, x.Ops));
        double[] sorted = [.. r.Runs.Select(x => x.Seconds).Order()];
        Assert.Equal(sorted[1], r.Median.Seconds);
        Assert.Matches(BenchLine(), r.Median.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => BuddyTraceReplayer.BenchMedian(t, 0));
    }

    [Theory]
    [InlineData(BuddyTraceShape.Fragmentation)]
    [InlineData(BuddyTraceShape.Churn)]
    public void ShapedGeneratorsAreDeterministicAndReplayCleanly(BuddyTraceShape shape)
    {
        var o = new BuddyTraceGeneratorOptions(16 * 1024 * 1024, 0x1000, 4000, 5, shape);
        string a = BuddyTraceGenerator.Generate(o);
        Assert.Equal(a, BuddyTraceGenerator.Generate(o));
        BuddyTrace t = BuddyTrace.Parse(a, "gen");
        var sw = new StringWriter();
        GpuBuddy mm = BuddyTraceReplayer.Replay(t, sw);
        BuddyInvariants.Check(mm);
        Assert.DoesNotContain(" einval", sw.ToString(), StringComparison.Ordinal);
        if (shape == BuddyTraceShape.Fragmentation)
        {
            // Four operations per 64 KiB, every allocation served.
            Assert.Equal(4 * 256, t.Ops.Count);
            Assert.DoesNotContain(" enospc", sw.ToString(), StringComparison.Ordinal);
            Assert.Equal(mm.Size, mm.Avail);
        }
        else
        {
            Assert.Equal(4000, t.Ops.Count);
        }
    }

    [Fact]
    public void TryAllocIntoFillsTheGivenListAndLeavesItEmptyOnFailure()
    {
        var mm = new GpuBuddy(1024 * 1024, 0x1000);
        var list = new List<BuddyBlock>();
        Assert.True(mm.TryAllocInto(0, 0, 0x3000, 0x1000, BuddyFlags.None, list, out _));
        Assert.Equal(2, list.Count);
        Assert.Throws<ArgumentException>(() => mm.TryAllocInto(0, 0, 0x1000, 0x1000, BuddyFlags.None, list, out _));
        mm.FreeList(list);
        Assert.Empty(list);
        Assert.False(mm.TryAllocInto(0, 0, 0x200000, 0x1000, BuddyFlags.None, list, out BuddyErrorCode err));
        Assert.Equal(BuddyErrorCode.Einval, err);
        Assert.Empty(list);
        Assert.True(mm.TryAllocInto(0, 0, 0x1000, 0x1000, BuddyFlags.None, list, out _));
        Assert.Single(list);
        BuddyInvariants.Check(mm);
    }

    [GeneratedRegex(@"^ops=\d+ seconds=\d+\.\d{6} ops_per_s=\d+$")]
    private static partial Regex BenchLine();
}
