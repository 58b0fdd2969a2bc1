using System.Globalization;
using System.Text.Json;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;
using NovaMm.Spec.PageTables;

namespace NovaMm.Hardware.Images;

/// <summary>
/// The JSON header of a VRAM image (docs/vram-image.md): <c>vramSize</c> (required) and, where known, <c>chip</c>,
/// <c>mmu</c>, <c>bar1Pdb</c> and <c>created</c>. Keys a reader does not know are ignored.
/// </summary>
public sealed record VramImageHeader
{
    /// <summary>VRAM size in bytes (<c>vramSize</c>); records end at or below it.</summary>
    public required ulong VramSize { get; init; }

    /// <summary>The chip name (<c>chip</c>, e.g. <c>GA102</c>), as written; may name a chip NovaMm does not know.</summary>
    public string? Chip { get; init; }

    /// <summary>The page-table format version (<c>mmu</c>: <c>"v2"</c> or <c>"v3"</c>).</summary>
    public MmuVersion? Mmu { get; init; }

    /// <summary>The BAR1 root page directory (<c>bar1Pdb</c>, written as a <c>"0x…"</c> string).</summary>
    public VramAddress? Bar1Pdb { get; init; }

    /// <summary>When the image was made (<c>created</c>, ISO 8601); null when absent or not parseable.</summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>The <c>created</c> text as written (kept even when it does not parse).</summary>
    public string? CreatedText { get; init; }

    /// <summary>The catalog entry for <see cref="Chip"/>, or null when absent or unknown.</summary>
    public ChipInfo? KnownChip => Chip is null ? null : ChipCatalog.Find(Chip);

    /// <summary>A header describing a whole simulated GPU's VRAM: chip, MMU version, size, the given PDB and a creation time.</summary>
    public static VramImageHeader For(ChipInfo chip, ulong vramSize, VramAddress? bar1Pdb, DateTimeOffset? created = null)
    {
        ArgumentNullException.ThrowIfNull(chip);
        return new VramImageHeader
        {
            VramSize = vramSize,
            Chip = chip.Name,
            Mmu = chip.Format.Version,
            Bar1Pdb = bar1Pdb,
            Created = created,
        };
    }

    /// <summary>The header as the UTF-8 JSON object the format stores (<c>vramSize</c> first, absent fields omitted).</summary>
    public byte[] ToJsonBytes()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("vramSize", VramSize);
            if (Chip is not null)
            {
                w.WriteString("chip", Chip);
            }

            if (Mmu is { } mmu)
            {
                w.WriteString("mmu", MmuName(mmu));
            }

            if (Bar1Pdb is { } pdb)
            {
                w.WriteString("bar1Pdb", Hex.Format(pdb.Value));
            }

            if (Created is { } c)
            {
                w.WriteString("created", c.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            }
            else if (CreatedText is not null)
            {
                w.WriteString("created", CreatedText);
            }

            w.WriteEndObject();
        }

        return ms.ToArray();
    }

    /// <summary>The format's spelling of an MMU version: <c>v2</c> or <c>v3</c>.</summary>
    public static string MmuName(MmuVersion version) => version == MmuVersion.V2 ? "v2" : "v3";

    /// <summary>Parses <c>v2</c>/<c>v3</c> (also <c>2</c>/<c>3</c>, any case); null when it is neither.</summary>
    public static MmuVersion? ParseMmu(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "v2" or "2" => MmuVersion.V2,
        "v3" or "3" => MmuVersion.V3,
        _ => null,
    };

    /// <summary>
    /// Parses the header bytes found at file offset <paramref name="fileOffset"/>. Throws
    /// <see cref="InvalidDataException"/> with a one-line message naming the problem and the offset.
    /// </summary>
    internal static VramImageHeader Parse(ReadOnlySpan<byte> json, long fileOffset)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"VRAM image header at file offset {fileOffset} is not valid UTF-8 JSON ({FirstLine(e.Message)})");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"VRAM image header at file offset {fileOffset} is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not a JSON object");
            }

            if (!root.TryGetProperty("vramSize", out var size))
            {
                throw new InvalidDataException($"VRAM image header at file offset {fileOffset} has no vramSize");
            }

            if (size.ValueKind != JsonValueKind.Number || !size.TryGetUInt64(out var vramSize) || vramSize == 0)
            {
                throw new InvalidDataException($"VRAM image header at file offset {fileOffset}: vramSize {size.GetRawText()} is not a positive integer number of bytes");
            }

            string? Str(string key)
            {
                if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
                {
                    return null;
                }

                return v.ValueKind == JsonValueKind.String
                    ? v.GetString()
                    : throw new InvalidDataException($"VRAM image header at file offset {fileOffset}: {key} {v.GetRawText()} is not a string");
            }

            var mmuText = Str("mmu");
            MmuVersion? mmu = null;
            if (mmuText is not null)
            {
                mmu = mmuText is "v2" ? MmuVersion.V2 : mmuText is "v3" ? MmuVersion.V3
                    : throw new InvalidDataException($"VRAM image header at file offset {fileOffset}: mmu \"{mmuText}\" is neither \"v2\" nor \"v3\"");
            }

            var pdbText = Str("bar1Pdb");
            VramAddress? pdb = null;
            if (pdbText is not null)
            {
                if (!pdbText.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || pdbText.Length < 3
                    || !ulong.TryParse(pdbText.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var p))
                {
                    throw new InvalidDataException($"VRAM image header at file offset {fileOffset}: bar1Pdb \"{pdbText}\" is not a 0x hex address");
                }

                pdb = new VramAddress(p);
            }

            var createdText = Str("created");
            DateTimeOffset? created = createdText is not null
                && DateTimeOffset.TryParse(createdText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var c) ? c : null;
            return new VramImageHeader
            {
                VramSize = vramSize,
                Chip = Str("chip"),
                Mmu = mmu,
                Bar1Pdb = pdb,
                Created = created,
                CreatedText = createdText,
            };
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
