using System.Globalization;

namespace NovaMm.Cli.Parsing;

/// <summary>Parsing of the numbers the tool accepts: decimal, <c>0x</c> hex, and sizes with binary suffixes.</summary>
internal static class Numbers
{
    private static readonly (string Suffix, int Shift)[] Suffixes =
    [
        ("KiB", 10), ("MiB", 20), ("GiB", 30), ("TiB", 40), ("K", 10), ("M", 20), ("G", 30), ("T", 40),
    ];

    /// <summary>An unsigned 64-bit number: decimal or <c>0x</c> hex. Throws <see cref="FormatException"/> naming the text.</summary>
    public static ulong ParseNumber(string text, string what = "number")
    {
        if (TryParseNumber(text, out var value))
        {
            return value;
        }

        throw new FormatException($"malformed {what} '{text}' (expected decimal or 0x hex)");
    }

    /// <summary>Parses a number; false when malformed or out of range.</summary>
    public static bool TryParseNumber(string text, out ulong value)
    {
        value = 0;
        var t = text.Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return t.Length > 2 && ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }

        return t.Length > 0 && t.All(char.IsAsciiDigit) && ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A size: a number optionally followed by K/KiB, M/MiB, G/GiB or T/TiB (binary). Throws <see cref="FormatException"/> naming the text.</summary>
    public static ulong ParseSize(string text, string what = "size")
    {
        var t = text.Trim();
        foreach (var (suffix, shift) in Suffixes)
        {
            if (t.Length > suffix.Length && t.EndsWith(suffix, StringComparison.Ordinal))
            {
                if (!TryParseNumber(t[..^suffix.Length], out var n) || n > (ulong.MaxValue >> shift))
                {
                    break;
                }

                return n << shift;
            }
        }

        if (TryParseNumber(t, out var plain))
        {
            return plain;
        }

        throw new FormatException($"malformed {what} '{text}' (expected e.g. 24GiB, 256MiB, 4K, 1048576 or 0x100000)");
    }

    /// <summary>A size as people read it: <c>24 GiB</c>, <c>256 MiB</c>, <c>4 KiB</c>, or bytes with a fraction.</summary>
    public static string FormatSize(ulong bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        var u = 0;
        var v = (double)bytes;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }

        return u == 0 ? $"{bytes} B" : v == Math.Floor(v) ? $"{v:0} {units[u]}" : $"{v:0.##} {units[u]}";
    }
}
