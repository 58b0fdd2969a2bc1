using System.Text.RegularExpressions;
using NovaMm.Cli.Parsing;

namespace NovaMm.Cli.Shell;

/// <summary>One parsed line of a <c>novamm shell</c> script (docs/shell.md).</summary>
/// <param name="Line">1-based line number.</param>
/// <param name="Name">The command.</param>
/// <param name="Args">Positional arguments in order.</param>
/// <param name="Options"><c>key=value</c> options.</param>
/// <param name="Flags">Bare-word options.</param>
internal sealed record ShellLine(int Line, string Name, IReadOnlyList<string> Args, IReadOnlyDictionary<string, string> Options, IReadOnlySet<string> Flags)
{
    public string Option(string key) => Options[key];

    public bool Has(string flag) => Flags.Contains(flag);
}

/// <summary>A script error: the message names the line's problem; the caller prefixes <c>SCRIPT:LINE:</c>.</summary>
internal sealed class ShellError(string message) : Exception(message);

/// <summary>
/// The lexical and syntactic rules of docs/shell.md: one command per line, <c>#</c> comments, tokens split on spaces
/// and tabs, a trailing CR ignored; options <c>key=value</c> or bare words in any order; numbers decimal or <c>0x</c>,
/// sizes with K/KiB, M/MiB, G/GiB, T/TiB. <see cref="Check"/> validates a whole line (arity, option names, number and
/// name syntax) so a script can be rejected before its first command runs.
/// </summary>
internal static partial class ShellSyntax
{
    private static readonly Dictionary<string, Spec> Commands = new()
    {
        ["alloc"] = new(2, 2, ["min", "range"], ["contiguous", "topdown", "clear"], "alloc NAME SIZE [min=SIZE] [contiguous] [topdown] [clear] [range=START:END]"),
        ["free"] = new(1, 1, [], [], "free NAME"),
        ["vmm"] = new(1, 1, ["va"], [], "vmm NAME [va=START:END]"),
        ["map"] = new(3, 3, ["va", "page", "kind"], ["ro", "priv", "noatomic", "replace"], "map VMM NAME TARGET [va=ADDR] [page=SIZE] [ro] [priv] [noatomic] [kind=N] [replace]   (TARGET: allocation, vram:ADDR:SIZE or sparse:SIZE)"),
        ["unmap"] = new(2, 2, [], [], "unmap VMM NAME"),
        ["translate"] = new(2, 3, [], ["priv"], "translate VMM VA [read|write|atomic] [priv]"),
        ["walk"] = new(2, 2, [], [], "walk VMM VA"),
        ["read"] = new(2, 3, [], [], "read pramin|bar1 ADDR [8|16|32|64]"),
        ["write"] = new(3, 4, [], [], "write pramin|bar1 ADDR VALUE [8|16|32|64]"),
        ["fill"] = new(4, 4, [], [], "fill pramin|bar1 ADDR SIZE BYTE"),
        ["flush"] = new(1, 1, [], [], "flush VMM|all"),
        ["faults"] = new(0, 0, [], ["clear"], "faults [clear]"),
        ["stats"] = new(0, 0, [], [], "stats"),
        ["save"] = new(1, 1, [], [], "save FILE"),
        ["dump"] = new(1, 1, ["va"], ["tree", "ranges"], "dump VMM [va=START:END] [tree] [ranges]"),
        ["help"] = new(0, 1, [], [], "help [COMMAND]"),
    };

    /// <summary>Usage lines of every command.</summary>
    public static IEnumerable<string> Usage => Commands.Values.Select(c => c.Usage);

    /// <summary>Parses a line; null for blank and comment lines. Throws <see cref="ShellError"/> for a malformed line.</summary>
    public static ShellLine? Parse(string text, int line)
    {
        var hash = text.IndexOf('#');
        if (hash >= 0)
        {
            text = text[..hash];
        }

        var tokens = text.TrimEnd('\r').Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0)
        {
            return null;
        }

        var name = tokens[0];
        if (!Commands.TryGetValue(name, out var spec))
        {
            throw new ShellError($"unknown command '{name}' (commands: {string.Join(", ", Commands.Keys)})");
        }

        var args = new List<string>();
        var options = new Dictionary<string, string>();
        var flags = new HashSet<string>();
        foreach (var token in tokens.Skip(1))
        {
            var eq = token.IndexOf('=');
            if (eq > 0)
            {
                var key = token[..eq];
                if (!spec.Options.Contains(key))
                {
                    throw new ShellError($"{name}: unknown option '{key}=' (usage: {spec.Usage})");
                }

                if (!options.TryAdd(key, token[(eq + 1)..]))
                {
                    throw new ShellError($"{name}: option '{key}=' given twice");
                }
            }
            else if (spec.Flags.Contains(token))
            {
                flags.Add(token);
            }
            else
            {
                args.Add(token);
            }
        }

        if (args.Count < spec.MinArgs || args.Count > spec.MaxArgs)
        {
            throw new ShellError($"{name}: expected {Arity(spec)}, got {args.Count} (usage: {spec.Usage})");
        }

        var parsed = new ShellLine(line, name, args, options, flags);
        Check(parsed);
        return parsed;
    }

    /// <summary>Validates the values of a parsed line (names, numbers, enumerations).</summary>
    private static void Check(ShellLine l)
    {
        switch (l.Name)
        {
            case "alloc":
                NameArg(l, 0, "allocation");
                Size(l.Args[1], "size");
                OptSize(l, "min");
                OptRange(l, "range");
                break;
            case "free":
                NameArg(l, 0, "allocation");
                break;
            case "vmm":
                NameArg(l, 0, "address space");
                OptRange(l, "va");
                break;
            case "map":
                NameArg(l, 0, "address space");
                NameArg(l, 1, "mapping");
                Target(l.Args[2]);
                if (l.Options.TryGetValue("va", out var va))
                {
                    Number(va, "va");
                }

                OptSize(l, "page");
                if (l.Options.TryGetValue("kind", out var kind) && Number(kind, "kind") > 0xFF)
                {
                    throw new ShellError($"kind {kind} does not fit 8 bits");
                }

                break;
            case "unmap":
                NameArg(l, 0, "address space");
                NameArg(l, 1, "mapping");
                break;
            case "translate":
                NameArg(l, 0, "address space");
                Number(l.Args[1], "VA");
                if (l.Args.Count > 2 && l.Args[2] is not ("read" or "write" or "atomic"))
                {
                    throw new ShellError($"translate: unknown access '{l.Args[2]}' (read, write or atomic)");
                }

                break;
            case "walk":
                NameArg(l, 0, "address space");
                Number(l.Args[1], "VA");
                break;
            case "read":
                Space(l.Args[0]);
                Number(l.Args[1], "address");
                Width(l, 2);
                break;
            case "write":
                Space(l.Args[0]);
                Number(l.Args[1], "address");
                var value = Number(l.Args[2], "value");
                var width = Width(l, 3);
                if (width < 64 && value >> width != 0)
                {
                    throw new ShellError($"value {l.Args[2]} does not fit {width} bits");
                }

                break;
            case "fill":
                Space(l.Args[0]);
                Number(l.Args[1], "address");
                Size(l.Args[2], "size");
                if (Number(l.Args[3], "byte") > 0xFF)
                {
                    throw new ShellError($"fill byte {l.Args[3]} is not a byte (0..255)");
                }

                break;
            case "flush":
                if (l.Args[0] != "all")
                {
                    NameArg(l, 0, "address space");
                }

                break;
            case "dump":
                NameArg(l, 0, "address space");
                OptRange(l, "va");
                break;
            case "help":
                if (l.Args.Count == 1 && !Commands.ContainsKey(l.Args[0]))
                {
                    throw new ShellError($"help: unknown command '{l.Args[0]}'");
                }

                break;
        }
    }

    /// <summary>The usage line of <paramref name="command"/>.</summary>
    public static string UsageOf(string command) => Commands[command].Usage;

    public static ulong Number(string text, string what) =>
        Numbers.TryParseNumber(text, out var v) ? v : throw new ShellError($"malformed {what} '{text}' (decimal or 0x hex)");

    public static ulong Size(string text, string what)
    {
        try
        {
            return Numbers.ParseSize(text, what);
        }
        catch (FormatException e)
        {
            throw new ShellError(e.Message);
        }
    }

    /// <summary>A half-open <c>START:END</c> range of sizes/addresses.</summary>
    public static (ulong Start, ulong End) Range(string text, string what)
    {
        var parts = text.Split(':');
        if (parts.Length != 2)
        {
            throw new ShellError($"malformed {what} range '{text}' (START:END)");
        }

        var start = Size(parts[0], what + " start");
        var end = Size(parts[1], what + " end");
        if (end <= start)
        {
            throw new ShellError($"{what} range '{text}' is empty (END must be above START)");
        }

        return (start, end);
    }

    /// <summary>A map target: an allocation name, <c>vram:ADDR:SIZE</c>, or <c>sparse:SIZE</c> (no pages behind it).</summary>
    public static (string? Allocation, ulong Address, ulong Size) Target(string text)
    {
        if (text.StartsWith("sparse:", StringComparison.Ordinal))
        {
            return (null, 0, Size(text["sparse:".Length..], "sparse size"));
        }

        if (text.StartsWith("vram:", StringComparison.Ordinal))
        {
            var parts = text.Split(':');
            if (parts.Length != 3)
            {
                throw new ShellError($"malformed target '{text}' (vram:ADDR:SIZE)");
            }

            return (null, Number(parts[1], "target address"), Size(parts[2], "target size"));
        }

        if (!NamePattern().IsMatch(text))
        {
            throw new ShellError($"malformed target '{text}' (an allocation name, vram:ADDR:SIZE or sparse:SIZE)");
        }

        return (text, 0, 0);
    }

    public static int Width(ShellLine l, int index)
    {
        if (l.Args.Count <= index)
        {
            return 32;
        }

        return l.Args[index] switch
        {
            "8" => 8,
            "16" => 16,
            "32" => 32,
            "64" => 64,
            var w => throw new ShellError($"unknown width '{w}' (8, 16, 32 or 64)"),
        };
    }

    private static void Space(string text)
    {
        if (text is not ("pramin" or "bar1"))
        {
            throw new ShellError($"unknown space '{text}' (pramin or bar1)");
        }
    }

    private static void NameArg(ShellLine l, int index, string what)
    {
        if (!NamePattern().IsMatch(l.Args[index]))
        {
            throw new ShellError($"malformed {what} name '{l.Args[index]}' (letters, digits and _)");
        }
    }

    private static void OptSize(ShellLine l, string key)
    {
        if (l.Options.TryGetValue(key, out var v))
        {
            Size(v, key);
        }
    }

    private static void OptRange(ShellLine l, string key)
    {
        if (l.Options.TryGetValue(key, out var v))
        {
            Range(v, key);
        }
    }

    private static string Arity(Spec s) => s.MinArgs == s.MaxArgs ? $"{s.MinArgs} argument(s)" : $"{s.MinArgs} to {s.MaxArgs} arguments";

    [GeneratedRegex("^[A-Za-z0-9_]+$")]
    private static partial Regex NamePattern();

    private sealed record Spec(int MinArgs, int MaxArgs, string[] Options, string[] Flags, string Usage);
}
