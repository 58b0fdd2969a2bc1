using System.Text.Json;
using System.Text.Json.Nodes;
using NovaMm.Spec.Addresses;

namespace NovaMm.Cli.Output;

/// <summary>JSON helpers: addresses and sizes are <c>0x</c> lowercase hex strings (docs/json-output.md).</summary>
internal static class Json
{
    /// <summary>One-line JSON, without escaping quotes and non-ASCII text needlessly.</summary>
    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Indented JSON for reports.</summary>
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A hex string node.</summary>
    public static JsonNode Hex(ulong value) => JsonValue.Create(Spec.Addresses.Hex.Format(value))!;

    /// <summary>Writes <paramref name="node"/> to standard output, indented or as one line.</summary>
    public static void Print(JsonNode node, bool oneLine = false) =>
        Spectre.Console.AnsiConsole.Console.Profile.Out.Writer.WriteLine(node.ToJsonString(oneLine ? Compact : Indented));
}
