using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace NovaMm.Driver.Buddy.Trace;

/// <summary>Result of a timed replay (<c>--bench</c>).</summary>
/// <param name="Ops">Number of operations replayed (<c>init</c> not counted).</param>
/// <param name="Seconds">Wall-clock seconds of the replay alone.</param>
public readonly record struct BuddyTraceTiming(int Ops, double Seconds)
{
    /// <summary>Operations per second.</summary>
    public double OpsPerSecond => Seconds > 0 ? Ops / Seconds : double.PositiveInfinity;

    /// <summary>The <c>ops=N seconds=S ops_per_s=R</c> line of docs/buddy-trace.md (no newline).</summary>
    /// <returns>The formatted line.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"ops={Ops} seconds={Seconds:F6} ops_per_s={OpsPerSecond:F0}");
}

/// <summary>Result of <see cref="BuddyTraceReplayer.BenchMedian"/>: every timed run and their median.</summary>
/// <param name="Runs">The timed runs in the order they ran (each on a fresh allocator, after one untimed warm-up run).</param>
/// <param name="Median">The median run (the middle one by time; for an even count, the faster of the two middle ones).</param>
public sealed record BuddyTraceBenchResult(IReadOnlyList<BuddyTraceTiming> Runs, BuddyTraceTiming Median);

/// <summary>Replays a <see cref="BuddyTrace"/> against a fresh <see cref="GpuBuddy"/> (docs/buddy-trace.md, Output).</summary>
public static class BuddyTraceReplayer
{
    /// <summary>Replays the trace and writes one line per operation plus the final <c>end</c> line.</summary>
    /// <param name="trace">The parsed trace.</param>
    /// <param name="output">Where the lines go (each ends with '\n').</param>
    /// <returns>The allocator in its final state.</returns>
    /// <exception cref="BuddyTraceFormatException">A free or trim names an ID whose allocation failed.</exception>
    public static GpuBuddy Replay(BuddyTrace trace, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(output);
        var mm = new GpuBuddy(trace.Size, trace.ChunkSize);
        var lists = new List<BuddyBlock>?[trace.SlotCount];
        var sb = new StringBuilder();
        foreach (BuddyTraceOp op in trace.Ops)
        {
            sb.Clear();
            switch (op.Kind)
            {
                case BuddyTraceOpKind.Alloc:
                    sb.Append("alloc ").Append(op.Id);
                    if (mm.TryAlloc(op.Start, op.End, op.Size, op.MinBlockSize, op.Flags, out List<BuddyBlock>? blocks, out BuddyErrorCode err))
                    {
                        lists[op.Slot] = blocks;
                        sb.Append(" ok");
                        AppendBlocks(sb, blocks);
                    }
                    else
                    {
                        AppendError(sb, err);
                    }

                    break;
                case BuddyTraceOpKind.Free:
                    mm.FreeList(Take(trace, lists, op), op.Flags);
                    lists[op.Slot] = null;
                    sb.Append("free ").Append(op.Id).Append(" ok");
                    break;
                case BuddyTraceOpKind.Trim:
                    {
                        List<BuddyBlock> list = Take(trace, lists, op);
                        sb.Append("trim ").Append(op.Id);
                        if (mm.TryTrim(list, op.Size, op.TrimStart, out BuddyErrorCode terr))
                        {
                            sb.Append(" ok");
                            AppendBlocks(sb, list);
                        }
                        else
                        {
                            AppendError(sb, terr);
                        }

                        break;
                    }

                case BuddyTraceOpKind.ResetClear:
                    mm.ResetClear(op.IsClear);
                    sb.Append("reset_clear ok");
                    break;
            }

            sb.Append('\n');
            output.Write(sb);
        }

        output.Write(string.Create(CultureInfo.InvariantCulture, $"end avail={mm.Avail} clear_avail={mm.ClearAvail}\n"));
        return mm;
    }

    /// <summary>
    /// The benchmark method of <c>novamm buddy replay --bench</c>: the trace is already parsed; each run constructs a
    /// fresh allocator (untimed), replays every operation without output (timed), and drops the allocator (untimed,
    /// followed by a full garbage collection). One untimed warm-up run comes first, then <paramref name="runs"/> timed ones.
    /// </summary>
    /// <param name="trace">The parsed trace.</param>
    /// <param name="runs">Number of timed runs, at least 1 (default 3).</param>
    /// <param name="onRun">Called after each timed run with its 1-based number and timing (for progress on standard error).</param>
    /// <returns>The timed runs and their median.</returns>
    /// <exception cref="BuddyTraceFormatException">A free or trim names an ID whose allocation failed.</exception>
    public static BuddyTraceBenchResult BenchMedian(BuddyTrace trace, int runs = 3, Action<int, BuddyTraceTiming>? onRun = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);

        // One block list per allocation ID, made before any timing and reused by every run, as the C harness keeps one
        // list head per ID; a run then allocates nothing but the allocator's own nodes.
        var lists = new List<BuddyBlock>[trace.SlotCount];
        for (int i = 0; i < lists.Length; i++)
        {
            lists[i] = new List<BuddyBlock>(4);
        }

        var live = new bool[trace.SlotCount];

        // A packed copy of the operations (as the C harness keeps them), read front to back by every run.
        var ops = new BenchOp[trace.Ops.Count];
        for (int i = 0; i < ops.Length; i++)
        {
            BuddyTraceOp op = trace.Ops[i];
            ops[i] = new BenchOp(op.Kind, op.Flags, op.Slot, op.IsClear, op.TrimStart.HasValue, op.Start, op.End, op.Size, op.MinBlockSize, op.TrimStart ?? 0);
        }

        RunTimed(trace, ops, lists, live);
        var timings = new BuddyTraceTiming[runs];
        for (int r = 0; r < runs; r++)
        {
            timings[r] = RunTimed(trace, ops, lists, live);
            onRun?.Invoke(r + 1, timings[r]);
        }

        BuddyTraceTiming[] sorted = [.. timings];
        Array.Sort(sorted, (a, b) => a.Seconds.CompareTo(b.Seconds));
        return new BuddyTraceBenchResult(timings, sorted[(runs - 1) / 2]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static BuddyTraceTiming RunTimed(BuddyTrace trace, BenchOp[] ops, List<BuddyBlock>[] lists, bool[] live)
    {
        // Untimed: forget the previous run's allocator (its blocks still in the lists) and collect it.
        foreach (List<BuddyBlock> l in lists)
        {
            l.Clear();
        }

        Array.Clear(live);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var mm = new GpuBuddy(trace.Size, trace.ChunkSize);
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < ops.Length; i++)
        {
            ref readonly BenchOp op = ref ops[i];
            switch (op.Kind)
            {
                case BuddyTraceOpKind.Alloc:
                    live[op.Slot] = mm.TryAllocInto(op.Start, op.End, op.Size, op.MinBlockSize, op.Flags, lists[op.Slot], out _);
                    break;
                case BuddyTraceOpKind.Free:
                    if (!live[op.Slot])
                    {
                        throw NoBlocks(trace, trace.Ops[i]);
                    }

                    mm.FreeList(lists[op.Slot], op.Flags);
                    live[op.Slot] = false;
                    break;
                case BuddyTraceOpKind.Trim:
                    if (!live[op.Slot])
                    {
                        throw NoBlocks(trace, trace.Ops[i]);
                    }

                    mm.TryTrim(lists[op.Slot], op.Size, op.HasTrimStart ? op.TrimStart : null, out _);
                    break;
                case BuddyTraceOpKind.ResetClear:
                    mm.ResetClear(op.IsClear);
                    break;
            }
        }

        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        GC.KeepAlive(mm);
        return new BuddyTraceTiming(ops.Length, seconds);
    }

    private static BuddyTraceFormatException NoBlocks(BuddyTrace trace, BuddyTraceOp op) =>
        new($"{trace.FileName}:{op.Line}: {(op.Kind == BuddyTraceOpKind.Free ? "free" : "trim")}: ID '{op.Id}' has no blocks (its allocation failed)");

    private readonly record struct BenchOp(
        BuddyTraceOpKind Kind, BuddyFlags Flags, int Slot, bool IsClear, bool HasTrimStart, ulong Start, ulong End, ulong Size, ulong MinBlockSize, ulong TrimStart);

    private static List<BuddyBlock> Take(BuddyTrace trace, List<BuddyBlock>?[] lists, BuddyTraceOp op) =>
        lists[op.Slot] ?? throw NoBlocks(trace, op);

    private static void AppendBlocks(StringBuilder sb, List<BuddyBlock> blocks)
    {
        foreach (BuddyBlock b in blocks)
        {
            sb.Append(" 0x").Append(b.Offset.ToString("x", CultureInfo.InvariantCulture))
              .Append(":0x").Append(b.Size.ToString("x", CultureInfo.InvariantCulture));
        }
    }

    private static void AppendError(StringBuilder sb, BuddyErrorCode err)
    {
        switch (err)
        {
            case BuddyErrorCode.Einval:
                sb.Append(" einval");
                break;
            case BuddyErrorCode.Enospc:
                sb.Append(" enospc");
                break;
            default:
                sb.Append(" error -").Append(((int)err).ToString(CultureInfo.InvariantCulture));
                break;
        }
    }
}
