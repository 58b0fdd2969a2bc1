using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace NovaMm.Driver.Buddy.Trace;

/// <summary>Result of a timed replay (<c>--bench</c>).</summary>
/// <param name="Ops">Number of operations replayed (<c>init</c> not counted).</param>
/// <param name="Seconds">Wall-clock seconds of the replay alone.</param>
public readonly record struct BuddyTraceTiming(int Ops, double Seconds)
{
    /// <summary>Operations per second.</summary>
    public double OpsPerSecond => Seconds > 0 ? Ops / Seconds : double.PositiveInfinity;

    /// <summary>The <c>ops=N seconds=S ops_per_s=R</c> line of spec/buddy-trace.md (no newline).</summary>
    /// <returns>The formatted line.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"ops={Ops} seconds={Seconds:F6} ops_per_s={OpsPerSecond:F0}");
}

/// <summary>Replays a <see cref="BuddyTrace"/> against a fresh <see cref="GpuBuddy"/> (spec/buddy-trace.md, Output).</summary>
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

    /// <summary>Replays the trace without producing output and times the replay alone.</summary>
    /// <param name="trace">The parsed trace.</param>
    /// <returns>Operation count and seconds.</returns>
    public static BuddyTraceTiming Bench(BuddyTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var lists = new List<BuddyBlock>?[trace.SlotCount];
        IReadOnlyList<BuddyTraceOp> ops = trace.Ops;
        var sw = Stopwatch.StartNew();
        var mm = new GpuBuddy(trace.Size, trace.ChunkSize);
        for (int i = 0; i < ops.Count; i++)
        {
            BuddyTraceOp op = ops[i];
            switch (op.Kind)
            {
                case BuddyTraceOpKind.Alloc:
                    if (mm.TryAlloc(op.Start, op.End, op.Size, op.MinBlockSize, op.Flags, out List<BuddyBlock>? blocks, out _))
                    {
                        lists[op.Slot] = blocks;
                    }

                    break;
                case BuddyTraceOpKind.Free:
                    mm.FreeList(Take(trace, lists, op), op.Flags);
                    lists[op.Slot] = null;
                    break;
                case BuddyTraceOpKind.Trim:
                    mm.TryTrim(Take(trace, lists, op), op.Size, op.TrimStart, out _);
                    break;
                case BuddyTraceOpKind.ResetClear:
                    mm.ResetClear(op.IsClear);
                    break;
            }
        }

        sw.Stop();
        return new BuddyTraceTiming(ops.Count, sw.Elapsed.TotalSeconds);
    }

    private static List<BuddyBlock> Take(BuddyTrace trace, List<BuddyBlock>?[] lists, BuddyTraceOp op) =>
        lists[op.Slot] ?? throw new BuddyTraceFormatException(
            $"{trace.FileName}:{op.Line}: {(op.Kind == BuddyTraceOpKind.Free ? "free" : "trim")}: ID '{op.Id}' has no blocks (its allocation failed)");

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
