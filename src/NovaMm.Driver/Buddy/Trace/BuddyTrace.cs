using System.Globalization;
using System.Numerics;

namespace NovaMm.Driver.Buddy.Trace;

/// <summary>Kind of a buddy trace operation (docs/buddy-trace.md).</summary>
public enum BuddyTraceOpKind
{
    /// <summary><c>alloc ID START END SIZE MIN [FLAG ...]</c>.</summary>
    Alloc,

    /// <summary><c>free ID [cleared]</c>.</summary>
    Free,

    /// <summary><c>trim ID NEW_SIZE [START]</c>.</summary>
    Trim,

    /// <summary><c>reset_clear clear|dirty</c>.</summary>
    ResetClear,
}

/// <summary>One parsed trace operation.</summary>
/// <param name="Kind">Operation kind.</param>
/// <param name="Line">1-based line number in the trace file.</param>
/// <param name="Id">Allocation ID (alloc, free, trim), else empty.</param>
/// <param name="Slot">Dense index of <paramref name="Id"/> (0-based), or −1.</param>
/// <param name="Start">alloc: START.</param>
/// <param name="End">alloc: END.</param>
/// <param name="Size">alloc: SIZE; trim: NEW_SIZE.</param>
/// <param name="MinBlockSize">alloc: MIN.</param>
/// <param name="Flags">alloc: flags; free: <see cref="BuddyFlags.Cleared"/> or none.</param>
/// <param name="TrimStart">trim: START when given.</param>
/// <param name="IsClear">reset_clear: true for <c>clear</c>.</param>
public sealed record BuddyTraceOp(
    BuddyTraceOpKind Kind,
    int Line,
    string Id,
    int Slot,
    ulong Start,
    ulong End,
    ulong Size,
    ulong MinBlockSize,
    BuddyFlags Flags,
    ulong? TrimStart,
    bool IsClear);

/// <summary>A malformed buddy trace; the message has the form <c>FILE:LINE: message</c>.</summary>
public sealed class BuddyTraceFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The full <c>FILE:LINE: message</c> text.</param>
    public BuddyTraceFormatException(string message)
        : base(message)
    {
    }
}

/// <summary>A parsed buddy trace (docs/buddy-trace.md, version 1): the <c>init</c> parameters and the operations.</summary>
public sealed class BuddyTrace
{
    private BuddyTrace(string fileName, ulong size, ulong chunkSize, IReadOnlyList<BuddyTraceOp> ops, int slotCount)
    {
        FileName = fileName;
        Size = size;
        ChunkSize = chunkSize;
        Ops = ops;
        SlotCount = slotCount;
    }

    /// <summary>File name used in error messages.</summary>
    public string FileName { get; }

    /// <summary><c>init</c> SIZE.</summary>
    public ulong Size { get; }

    /// <summary><c>init</c> CHUNK.</summary>
    public ulong ChunkSize { get; }

    /// <summary>The operations after <c>init</c>, in order.</summary>
    public IReadOnlyList<BuddyTraceOp> Ops { get; }

    /// <summary>Number of distinct allocation IDs.</summary>
    public int SlotCount { get; }

    /// <summary>Reads and parses a trace file.</summary>
    /// <param name="path">Path of the trace.</param>
    /// <returns>The parsed trace.</returns>
    /// <exception cref="BuddyTraceFormatException">The trace is malformed.</exception>
    public static BuddyTrace Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses a whole trace; nothing runs until the whole text has been checked.</summary>
    /// <param name="text">Trace text.</param>
    /// <param name="fileName">Name used in error messages.</param>
    /// <returns>The parsed trace.</returns>
    /// <exception cref="BuddyTraceFormatException">The trace is malformed.</exception>
    public static BuddyTrace Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var ops = new List<BuddyTraceOp>();
        var slots = new Dictionary<string, int>(StringComparer.Ordinal);
        var live = new HashSet<string>(StringComparer.Ordinal);
        bool haveInit = false;
        ulong size = 0;
        ulong chunk = 0;
        int lineNo = 0;
        int pos = 0;
        while (pos < text.Length || (pos == text.Length && lineNo == 0))
        {
            int nl = text.IndexOf('\n', pos);
            int lineEnd = nl < 0 ? text.Length : nl;
            string line = text[pos..lineEnd];
            pos = nl < 0 ? text.Length + 1 : nl + 1;
            lineNo++;
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line[..hash];
            }

            string[] tok = line.Split((char[])[' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (tok.Length == 0)
            {
                continue;
            }

            BuddyTraceFormatException Err(string msg) => new($"{fileName}:{lineNo}: {msg}");

            ulong Num(int i, string what)
            {
                if (i >= tok.Length)
                {
                    throw Err($"{tok[0]}: missing {what}");
                }

                if (!TryParseNumber(tok[i], out ulong v))
                {
                    throw Err($"{tok[0]}: bad number '{tok[i]}' for {what}");
                }

                return v;
            }

            string Id(int i)
            {
                if (i >= tok.Length)
                {
                    throw Err($"{tok[0]}: missing ID");
                }

                string id = tok[i];
                foreach (char c in id)
                {
                    if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
                    {
                        throw Err($"{tok[0]}: bad ID '{id}' (letters, digits and '_' only)");
                    }
                }

                return id;
            }

            void MaxTokens(int n)
            {
                if (tok.Length > n)
                {
                    throw Err($"{tok[0]}: unexpected '{tok[n]}'");
                }
            }

            if (tok[0] == "init")
            {
                if (haveInit)
                {
                    throw Err("init: the trace has already been initialised");
                }

                if (ops.Count > 0)
                {
                    throw Err("init must be the first operation");
                }

                size = Num(1, "SIZE");
                chunk = Num(2, "CHUNK");
                MaxTokens(3);
                if (chunk < 4096 || !BitOperations.IsPow2(chunk) || size < chunk)
                {
                    throw Err($"init: invalid SIZE 0x{size:x} / CHUNK 0x{chunk:x} (chunk must be a power of two >= 4 KiB, size >= chunk)");
                }

                haveInit = true;
                continue;
            }

            if (!haveInit)
            {
                throw Err($"'{tok[0]}' before init");
            }

            switch (tok[0])
            {
                case "alloc":
                    {
                        string id = Id(1);
                        if (slots.ContainsKey(id))
                        {
                            throw Err($"alloc: ID '{id}' is reused");
                        }

                        ulong start = Num(2, "START");
                        ulong end = Num(3, "END");
                        ulong sz = Num(4, "SIZE");
                        ulong min = Num(5, "MIN");
                        BuddyFlags flags = BuddyFlags.None;
                        for (int i = 6; i < tok.Length; i++)
                        {
                            flags |= tok[i] switch
                            {
                                "range" => BuddyFlags.Range,
                                "topdown" => BuddyFlags.TopDown,
                                "contiguous" => BuddyFlags.Contiguous,
                                "clear" => BuddyFlags.Clear,
                                "trim_disable" => BuddyFlags.TrimDisable,
                                _ => throw Err($"alloc: unknown flag '{tok[i]}'"),
                            };
                        }

                        int slot = slots.Count;
                        slots.Add(id, slot);
                        live.Add(id);
                        ops.Add(new BuddyTraceOp(BuddyTraceOpKind.Alloc, lineNo, id, slot, start, end, sz, min, flags, null, false));
                        break;
                    }

                case "free":
                    {
                        string id = Id(1);
                        int slot = LiveSlot(id, "free");
                        BuddyFlags flags = BuddyFlags.None;
                        if (tok.Length > 2)
                        {
                            if (tok[2] != "cleared")
                            {
                                throw Err($"free: expected 'cleared', got '{tok[2]}'");
                            }

                            flags = BuddyFlags.Cleared;
                        }

                        MaxTokens(3);
                        live.Remove(id);
                        ops.Add(new BuddyTraceOp(BuddyTraceOpKind.Free, lineNo, id, slot, 0, 0, 0, 0, flags, null, false));
                        break;
                    }

                case "trim":
                    {
                        string id = Id(1);
                        int slot = LiveSlot(id, "trim");
                        ulong newSize = Num(2, "NEW_SIZE");
                        ulong? start = tok.Length > 3 ? Num(3, "START") : null;
                        MaxTokens(4);
                        ops.Add(new BuddyTraceOp(BuddyTraceOpKind.Trim, lineNo, id, slot, 0, 0, newSize, 0, BuddyFlags.None, start, false));
                        break;
                    }

                case "reset_clear":
                    {
                        if (tok.Length < 2 || (tok[1] != "clear" && tok[1] != "dirty"))
                        {
                            throw Err("reset_clear: expected 'clear' or 'dirty'");
                        }

                        MaxTokens(2);
                        ops.Add(new BuddyTraceOp(BuddyTraceOpKind.ResetClear, lineNo, string.Empty, -1, 0, 0, 0, 0, BuddyFlags.None, null, tok[1] == "clear"));
                        break;
                    }

                default:
                    throw Err($"unknown operation '{tok[0]}'");
            }

            int LiveSlot(string id, string op)
            {
                if (!slots.TryGetValue(id, out int s))
                {
                    throw Err($"{op}: unknown ID '{id}'");
                }

                if (!live.Contains(id))
                {
                    throw Err($"{op}: ID '{id}' has already been freed");
                }

                return s;
            }
        }

        if (!haveInit)
        {
            throw new BuddyTraceFormatException($"{fileName}:{Math.Max(lineNo, 1)}: missing init");
        }

        return new BuddyTrace(fileName, size, chunk, ops, slots.Count);
    }

    /// <summary>Parses an unsigned 64-bit number written in decimal or as <c>0x</c> hex.</summary>
    /// <param name="s">The token.</param>
    /// <param name="value">The value.</param>
    /// <returns>True when the token is a valid number.</returns>
    public static bool TryParseNumber(string s, out ulong value)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            string hex = s[2..];
            if (hex.Length == 0 || !hex.All(Uri.IsHexDigit))
            {
                value = 0;
                return false;
            }

            return ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }

        if (s.Length == 0 || !s.All(char.IsAsciiDigit))
        {
            value = 0;
            return false;
        }

        return ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
