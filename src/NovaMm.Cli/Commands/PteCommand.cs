using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using NovaMm.Cli.Output;
using NovaMm.Cli.Parsing;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;
using NovaMm.Spec.PageTables;
using Spectre.Console;

namespace NovaMm.Cli.Commands;

/// <summary>
/// <c>novamm pte decode|encode</c>: page-table entries of MMU format v2 and v3 (docs/page-tables.md), field by
/// field, through the Spec decoder and factories.
/// </summary>
internal static class PteCommand
{
    private const string LevelHelp = "the level the entry is read from: pt (4 KiB PT, default), pt-big (64 KiB PT), pd0 (dual PDE, 16 bytes, or a 2 MiB PTE), pd1, pd2, pd3, pd4 (v3); pd1/pd2 decode a large-page PTE where the format allows one";

    public static Command Create()
    {
        var cmd = new Command("pte", "Decode or encode MMU v2/v3 page-table entries (PTEs, PDEs, dual PDEs)")
        {
            Decode(),
            Encode(),
        };
        return cmd;
    }

    private static Option<string?> MmuOption() => new("--mmu") { Description = "entry format: v2 (Turing, Ampere, Ada) or v3 (Hopper, Blackwell); optional with --chip" };

    private static Option<string?> ChipOption() => new("--chip") { Description = "take the format (and which levels may hold large pages) from this chip; without it the widest geometry of --mmu is used (v2: GA10x, PD1 holds 512 MiB pages; v3: Blackwell, PD2 holds 256 GiB pages)" };

    private static Command Decode()
    {
        var mmu = MmuOption();
        var chip = ChipOption();
        var level = new Option<string?>("--level") { Description = LevelHelp };
        var json = new Option<bool>("--json") { Description = "print a JSON array with one object per entry" };
        var values = new Argument<string[]>("VALUE")
        {
            Description = "raw entries, 64-bit decimal or 0x hex ('_' separators allowed); at --level pd0 give TWO values per entry: the low qword, then the high qword",
            Arity = ArgumentArity.OneOrMore,
        };
        var cmd = new Command("decode", "Decode raw page-table entries: every field, its bits, its value and its meaning. At --level pd0 each entry is two values (low qword, high qword). --json prints one JSON array, one object per entry.")
        {
            mmu, chip, level, json, values,
        };
        cmd.SetAction(r =>
        {
            var format = ResolveFormat(r.GetValue(mmu), r.GetValue(chip));
            var lvl = ResolveLevel(format, r.GetValue(level) ?? "pt");
            var raw = r.GetValue(values)!.Select(ParseValue).ToArray();
            var dual = format.Level(lvl).IsDual;
            if (dual && raw.Length % 2 != 0)
            {
                throw new CliError($"--level pd0 entries are 16 bytes: give two values per entry (low qword, then high qword); got {raw.Length} value(s)");
            }

            var entries = new List<PageTableEntryInfo>();
            for (var i = 0; i < raw.Length; i += dual ? 2 : 1)
            {
                entries.Add(PageTableDecoder.Decode(format, lvl, raw[i], dual ? raw[i + 1] : 0));
            }

            if (r.GetValue(json))
            {
                Json.Print(new JsonArray(entries.Select(e => (JsonNode)ToJson(format, e)).ToArray()));
            }
            else
            {
                foreach (var e in entries)
                {
                    PrintHuman(format, e);
                }
            }

            return 0;
        });
        return cmd;
    }

    private static Command Encode()
    {
        var mmu = MmuOption();
        var chip = ChipOption();
        var level = new Option<string?>("--level") { Description = LevelHelp };
        var json = new Option<bool>("--json") { Description = "print the entry as one JSON object (the shape of 'pte decode --json' entries)" };
        var aperture = new Option<string?>("--aperture") { Description = "PTE/PDE target: video (default), peer (PTE only), system-coherent, system-noncoherent" };
        var address = new Option<string?>("--address") { Description = "a PTE: the page's physical address (at pd0/pd1/pd2: a large-page PTE)" };
        var peer = new Option<string?>("--peer") { Description = "peer id 0..7 (with --aperture peer)" };
        var ro = new Option<bool>("--ro") { Description = "read-only (v2 READ_ONLY; v3 PCF bit 2)" };
        var priv = new Option<bool>("--priv") { Description = "privileged only (v2 PRIVILEGE; v3 PCF bit 1)" };
        var noAtomic = new Option<bool>("--noatomic") { Description = "atomics disabled (v2 ATOMIC_DISABLE; v3 PCF bit 3)" };
        var vol = new Option<bool>("--vol") { Description = "volatile / uncached (v2 VOL; v3 PCF bit 0); for a PDE: the next level is uncached" };
        var acd = new Option<bool>("--acd") { Description = "v3 PTE: access counting disabled (PCF bit 4; nouveau sets it: pcf 0x10)" };
        var kind = new Option<string?>("--kind") { Description = "PTE KIND (v2: 8 bits; v3: 4 bits), default 0" };
        var pcf = new Option<string?>("--pcf") { Description = "v3: the PCF as a number (PTE 0..0x1f, PDE 0..3); --vol/--priv/--ro/--noatomic/--acd (PTE) and --vol/--noats (PDE) are OR-ed into it" };
        var table = new Option<string?>("--table") { Description = "a PDE (pd1..pd4): the next-level table's address" };
        var noAts = new Option<bool>("--noats") { Description = "PDE: ATS not allowed (v2 NO_ATS bit 5; v3 PDE PCF bit 1; dual PDE: both halves in v3)" };
        var big = new Option<string?>("--big") { Description = "a dual PDE (pd0): the big-page (64 KiB) table's address, 256-byte aligned" };
        var small = new Option<string?>("--small") { Description = "a dual PDE (pd0): the small-page (4 KiB) table's address" };
        var bigAperture = new Option<string?>("--big-aperture") { Description = "dual PDE: the big table's aperture (default video)" };
        var smallAperture = new Option<string?>("--small-aperture") { Description = "dual PDE: the small table's aperture (default video)" };
        var bigVol = new Option<bool>("--big-vol") { Description = "dual PDE: big table uncached (v2 VOL_BIG; v3 PCF_BIG bit 0)" };
        var smallVol = new Option<bool>("--small-vol") { Description = "dual PDE: small table uncached (v2 VOL_SMALL; v3 PCF_SMALL bit 0)" };
        var bigPcf = new Option<string?>("--big-pcf") { Description = "v3 dual PDE: PCF_BIG 0..3" };
        var smallPcf = new Option<string?>("--small-pcf") { Description = "v3 dual PDE: PCF_SMALL 0..3" };
        var sparse = new Option<bool>("--sparse") { Description = "the sparse encoding of the level (v2 PTE 0x8, v3 PTE 0x8, PD0 lo 0x8 hi 0, PDE sparse)" };
        var invalid = new Option<bool>("--invalid") { Description = "the invalid entry (0)" };
        var noSmall = new Option<bool>("--no-small-pages") { Description = "big-page PTE 'no valid 4 KiB page here' (v2 0x20, v3 0x18)" };
        var cmd = new Command("encode", "Build a page-table entry from named fields and print its raw value(s) (pd0: low then high qword), ready for 'pte decode'. Exactly one of --address (PTE), --table (PDE), --big/--small (dual PDE), --sparse, --invalid, --no-small-pages.")
        {
            mmu, chip, level, json, aperture, address, peer, ro, priv, noAtomic, vol, acd, kind, pcf, table, noAts,
            big, small, bigAperture, smallAperture, bigVol, smallVol, bigPcf, smallPcf, sparse, invalid, noSmall,
        };
        cmd.SetAction(r =>
        {
            var format = ResolveFormat(r.GetValue(mmu), r.GetValue(chip));
            var lvlName = r.GetValue(level) ?? throw new CliError("--level is required for 'pte encode' (pt, pt-big, pd0, pd1, pd2, pd3, pd4)");
            var lvl = ResolveLevel(format, lvlName);
            var l = format.Level(lvl);
            var v3 = format.Version == MmuVersion.V3;
            var modes = new[]
            {
                ("--address", r.GetValue(address) is not null), ("--table", r.GetValue(table) is not null),
                ("--big/--small", r.GetValue(big) is not null || r.GetValue(small) is not null),
                ("--sparse", r.GetValue(sparse)), ("--invalid", r.GetValue(invalid)), ("--no-small-pages", r.GetValue(noSmall)),
            }.Where(m => m.Item2).Select(m => m.Item1).ToArray();
            if (modes.Length != 1)
            {
                throw new CliError(modes.Length == 0
                    ? "nothing to encode: give one of --address (PTE), --table (PDE), --big/--small (dual PDE), --sparse, --invalid, --no-small-pages"
                    : $"{string.Join(" and ", modes)} exclude each other");
            }

            ulong lo = 0, hi = 0;
            switch (modes[0])
            {
                case "--invalid":
                    break;
                case "--sparse":
                    (lo, hi) = (l.IsPageTable, l.IsDual, v3) switch
                    {
                        (true, _, false) => (PteV2.Sparse.Raw, 0UL),
                        (true, _, true) => (PteV3.Sparse.Raw, 0UL),
                        (_, true, false) => (DualPdeV2.Sparse.Low, DualPdeV2.Sparse.High),
                        (_, true, true) => (DualPdeV3.Sparse.Low, DualPdeV3.Sparse.High),
                        (_, _, false) => (PdeV2.Sparse.Raw, 0UL),
                        _ => (PdeV3.Sparse.Raw, 0UL),
                    };
                    break;
                case "--no-small-pages":
                    if (lvl != PageTableLevel.PtBig)
                    {
                        throw new CliError("--no-small-pages is a big-page PTE encoding: use --level pt-big");
                    }

                    lo = v3 ? PteV3.NoValidSmallPages.Raw : PteV2.NoValidSmallPages.Raw;
                    break;
                case "--address":
                    if (!l.CanHoldPte)
                    {
                        throw new CliError($"{l.Name} cannot hold a PTE in {format.Name} (use --table for a PDE)");
                    }

                    var addr = ParseAddress(r.GetValue(address)!, "--address");
                    var ap = ParsePteAperture(r.GetValue(aperture) ?? "video");
                    var peerId = r.GetValue(peer) is { } p ? (int)Math.Min(ParseNumber(p, "--peer"), int.MaxValue) : 0;
                    if (ap != PteAperture.Peer && r.GetValue(peer) is not null)
                    {
                        throw new CliError("--peer needs --aperture peer");
                    }

                    var k = ParseNumber(r.GetValue(kind) ?? "0", "--kind");
                    if (!v3)
                    {
                        if (k > 0xff)
                        {
                            throw new CliError($"--kind {Hex.Format(k)} does not fit the 8-bit KIND field 63:56");
                        }

                        if (r.GetValue(pcf) is not null || r.GetValue(acd))
                        {
                            throw new CliError("--pcf and --acd are MMU v3 fields");
                        }

                        var attrs = new PteV2Attributes { Volatile = r.GetValue(vol), Privileged = r.GetValue(priv), ReadOnly = r.GetValue(ro), AtomicDisable = r.GetValue(noAtomic), Kind = (byte)k };
                        lo = ap switch
                        {
                            PteAperture.Video => PteV2.ForVram(new VramAddress(addr), attrs).Raw,
                            PteAperture.Peer => PteV2.ForPeer(peerId, new VramAddress(addr), attrs).Raw,
                            _ => PteV2.ForSysmem(addr, ap == PteAperture.SystemCoherent, attrs).Raw,
                        };
                    }
                    else
                    {
                        if (k > 0xf)
                        {
                            throw new CliError($"--kind {Hex.Format(k)} does not fit the 4-bit v3 KIND field 11:8");
                        }

                        var basePcf = ParseNumber(r.GetValue(pcf) ?? "0", "--pcf");
                        if (basePcf > 0x1f)
                        {
                            throw new CliError($"--pcf {Hex.Format(basePcf)} does not fit the 5-bit PTE PCF field 7:3");
                        }

                        var f = PtePcf.Create(r.GetValue(vol), r.GetValue(priv), r.GetValue(ro), r.GetValue(noAtomic), r.GetValue(acd));
                        var value = PtePcf.FromValue((int)basePcf | f.Value);
                        lo = ap switch
                        {
                            PteAperture.Video => PteV3.ForVram(new VramAddress(addr), value, (byte)k).Raw,
                            PteAperture.Peer => PteV3.ForPeer(peerId, new VramAddress(addr), value, (byte)k).Raw,
                            _ => PteV3.ForSysmem(addr, ap == PteAperture.SystemCoherent, value, (byte)k).Raw,
                        };
                    }

                    break;
                case "--table":
                    if (l.IsPageTable || l.IsDual)
                    {
                        throw new CliError(l.IsDual ? "a PD0 entry is a dual PDE: use --big and/or --small" : $"{l.Name} holds PTEs, not PDEs (use --address)");
                    }

                    var next = new TableRef(ParsePdeAperture(r.GetValue(aperture) ?? "video", "--aperture"), ParseAddress(r.GetValue(table)!, "--table"));
                    lo = v3
                        ? PdeV3.For(next, PdePcfOf(r.GetValue(pcf), r.GetValue(vol), r.GetValue(noAts), "--pcf")).Raw
                        : PdeV2.For(next, r.GetValue(vol), r.GetValue(noAts)).Raw;
                    if (!v3 && r.GetValue(pcf) is not null)
                    {
                        throw new CliError("--pcf is an MMU v3 field");
                    }

                    break;
                default:
                    if (!l.IsDual)
                    {
                        throw new CliError("--big/--small build a dual PDE: use --level pd0");
                    }

                    var bigRef = r.GetValue(big) is { } b ? new TableRef(ParsePdeAperture(r.GetValue(bigAperture) ?? "video", "--big-aperture"), ParseAddress(b, "--big")) : TableRef.None;
                    var smallRef = r.GetValue(small) is { } s ? new TableRef(ParsePdeAperture(r.GetValue(smallAperture) ?? "video", "--small-aperture"), ParseAddress(s, "--small")) : TableRef.None;
                    if (v3)
                    {
                        var e = DualPdeV3.Create(bigRef, smallRef,
                            bigRef.IsPresent ? PdePcfOf(r.GetValue(bigPcf), r.GetValue(bigVol), r.GetValue(noAts), "--big-pcf") : default,
                            smallRef.IsPresent ? PdePcfOf(r.GetValue(smallPcf), r.GetValue(smallVol), r.GetValue(noAts), "--small-pcf") : default);
                        (lo, hi) = (e.Low, e.High);
                    }
                    else
                    {
                        if (r.GetValue(bigPcf) is not null || r.GetValue(smallPcf) is not null)
                        {
                            throw new CliError("--big-pcf and --small-pcf are MMU v3 fields");
                        }

                        var e = DualPdeV2.Create(bigRef, smallRef, r.GetValue(bigVol), r.GetValue(smallVol));
                        lo = DualPdeV2.Fields.NoAts.InWord.Set(e.Low, r.GetValue(noAts));
                        hi = e.High;
                    }

                    break;
            }

            var decoded = PageTableDecoder.Decode(format, lvl, lo, hi);
            if (r.GetValue(json))
            {
                Json.Print(ToJson(format, decoded));
            }
            else
            {
                AnsiConsole.WriteLine(l.IsDual ? $"{Hex.Format(lo, 16)} {Hex.Format(hi, 16)}" : Hex.Format(lo, 16));
                AnsiConsole.MarkupLine($"[grey]{Markup.Escape(decoded.Describe())}[/]");
            }

            return 0;
        });
        return cmd;
    }

    /// <summary>The entry format for <c>--mmu</c> and/or <c>--chip</c>.</summary>
    internal static MmuFormat ResolveFormat(string? mmu, string? chip)
    {
        MmuVersion? version = mmu?.Trim().ToLowerInvariant() switch
        {
            null => null,
            "v2" or "2" => MmuVersion.V2,
            "v3" or "3" => MmuVersion.V3,
            _ => throw new CliError($"unknown --mmu '{mmu}' (expected v2 or v3)"),
        };
        if (chip is not null)
        {
            var info = ChipCatalog.Find(chip) ?? throw new CliError($"unknown chip '{chip}' (try 'novamm chips')");
            if (version is { } v && v != info.Format.Version)
            {
                throw new CliError($"--mmu {mmu} disagrees with --chip {info.Name} (MMU v{info.MmuVersion})");
            }

            return info.Format;
        }

        return version is { } ver ? MmuFormat.Widest(ver) : throw new CliError("--mmu v2|v3 (or --chip) is required");
    }

    private static PageTableLevel ResolveLevel(MmuFormat format, string text)
    {
        if (!PageTableLevels.TryParse(text, out var level))
        {
            throw new CliError($"unknown --level '{text}' (expected pt, pt-big, pd0, pd1, pd2, pd3 or pd4)");
        }

        return format.TryGetLevel(level, out _) ? level : throw new CliError($"MMU {format.Version.ToString().ToLowerInvariant()} has no level {level.CliName()}");
    }

    /// <summary>A raw 64-bit value: decimal or 0x hex, '_' separators allowed; wider values are refused by name.</summary>
    internal static ulong ParseValue(string text)
    {
        var t = text.Trim().Replace("_", string.Empty, StringComparison.Ordinal);
        if (Numbers.TryParseNumber(t, out var value))
        {
            return value;
        }

        var hex = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        var digits = hex ? t[2..] : t;
        if (digits.Length > 0 && digits.All(c => hex ? char.IsAsciiHexDigit(c) : char.IsAsciiDigit(c)))
        {
            throw new CliError($"value '{text}' is wider than 64 bits (a 16-byte PD0 entry is two values: low qword, then high qword)");
        }

        throw new CliError($"malformed value '{text}' (expected decimal or 0x hex)");
    }

    private static ulong ParseNumber(string text, string what)
    {
        try
        {
            return ParseValue(text);
        }
        catch (CliError e)
        {
            throw new CliError($"{what}: {e.Message}");
        }
    }

    private static ulong ParseAddress(string text, string what)
    {
        var t = text.Trim().Replace("_", string.Empty, StringComparison.Ordinal);
        try
        {
            return Numbers.ParseSize(t, what);
        }
        catch (FormatException)
        {
            return ParseNumber(text, what);
        }
    }

    private static PdePcf PdePcfOf(string? text, bool uncached, bool noAts, string what)
    {
        var v = ParseNumber(text ?? "0", what);
        if (v > 3)
        {
            throw new CliError($"{what} {Hex.Format(v)} is not a PDE PCF (0..3)");
        }

        return PdePcf.FromValue((int)v | (uncached ? 1 : 0) | (noAts ? 2 : 0));
    }

    private static PteAperture ParsePteAperture(string text) => text.Trim().ToLowerInvariant() switch
    {
        "video" or "vid" or "vram" => PteAperture.Video,
        "peer" => PteAperture.Peer,
        "system-coherent" or "sys-coh" or "sys" or "host" => PteAperture.SystemCoherent,
        "system-noncoherent" or "sys-ncoh" or "ncoh" => PteAperture.SystemNonCoherent,
        _ => throw new CliError($"unknown --aperture '{text}' (expected video, peer, system-coherent or system-noncoherent)"),
    };

    private static PdeAperture ParsePdeAperture(string text, string what) => text.Trim().ToLowerInvariant() switch
    {
        "video" or "vid" or "vram" => PdeAperture.Video,
        "system-coherent" or "sys-coh" or "sys" or "host" => PdeAperture.SystemCoherent,
        "system-noncoherent" or "sys-ncoh" or "ncoh" => PdeAperture.SystemNonCoherent,
        "peer" => throw new CliError($"{what} peer: a PDE cannot point into peer memory"),
        _ => throw new CliError($"unknown {what} '{text}' (expected video, system-coherent or system-noncoherent)"),
    };

    /// <summary>The JSON name of a PTE aperture (docs/json-output.md).</summary>
    internal static string Name(PteAperture a) => a switch
    {
        PteAperture.Video => "video",
        PteAperture.Peer => "peer",
        PteAperture.SystemCoherent => "system-coherent",
        _ => "system-noncoherent",
    };

    /// <summary>The JSON name of a PDE aperture.</summary>
    internal static string Name(PdeAperture a) => a switch
    {
        PdeAperture.Invalid => "invalid",
        PdeAperture.Video => "video",
        PdeAperture.SystemCoherent => "system-coherent",
        _ => "system-noncoherent",
    };

    /// <summary>One decoded entry as JSON (the documented shape of <c>pte decode --json</c>).</summary>
    internal static JsonObject ToJson(MmuFormat format, PageTableEntryInfo info)
    {
        var v3 = format.Version == MmuVersion.V3;
        var o = new JsonObject
        {
            ["mmu"] = v3 ? "v3" : "v2",
            ["format"] = format.Name,
            ["level"] = info.Level.CliName(),
            ["raw"] = Hex.Format(info.Raw, 16),
        };
        if (info.RawHigh is { } rh)
        {
            o["rawHigh"] = Hex.Format(rh, 16);
        }

        switch (info)
        {
            case DecodedPte pte:
                o["entry"] = "pte";
                o["valid"] = pte.IsValid;
                o["aperture"] = Name(pte.Aperture);
                o["address"] = Json.Hex(pte.Address);
                o["pageSize"] = Json.Hex(pte.PageSize);
                o["kind"] = pte.Kind;
                o["peerId"] = pte.PeerId;
                o["sparse"] = pte.Sparse;
                o["noValidSmallPages"] = pte.NoValidSmallPages;
                o["volatile"] = pte.Volatile;
                o["privileged"] = pte.Privileged;
                o["readOnly"] = pte.ReadOnly;
                o["atomicDisable"] = pte.AtomicDisabled;
                if (v3)
                {
                    o["pcf"] = pte.Pcf?.Value ?? 0;
                    o["pcfName"] = pte.PcfName;
                    o["accessCountingDisabled"] = pte.AccessCountingDisabled;
                    o["mappingNowhere"] = pte.MappingNowhere;
                }
                else
                {
                    o["encrypted"] = pte.Encrypted;
                    o["compTagLine"] = pte.CompTagLine;
                }

                break;
            case DecodedPde { IsDual: true } dual:
                o["entry"] = "dual-pde";
                o["valid"] = dual.Valid;
                o["sparse"] = dual.Sparse;
                var e3 = DualPdeV3.FromRaw(dual.Raw, dual.RawHigh ?? 0);
                o["big"] = Half(dual.Big, dual.Volatile, v3 ? e3.BigPcf : null, dual.PcfName);
                o["small"] = Half(dual.Small, dual.SmallVolatile, v3 ? e3.SmallPcf : null, dual.SmallPcfName);
                o["noAts"] = v3 ? dual.NoAts : DualPdeV2.Fields.NoAts.InWord.IsSet(dual.Raw);
                break;
            case DecodedPde pde:
                o["entry"] = "pde";
                o["valid"] = pde.Valid;
                o["aperture"] = Name(pde.Next.Aperture);
                o["address"] = Json.Hex(pde.Next.Address);
                o["sparse"] = pde.Sparse;
                o["volatile"] = pde.Volatile;
                o["noAts"] = pde.NoAts;
                if (v3)
                {
                    o["pcf"] = PdeV3.FromRaw(pde.Raw).Pcf.Value;
                    o["pcfName"] = pde.PcfName;
                }

                break;
        }

        o["reservedBits"] = Json.Hex(info.ReservedBits);
        if (info.RawHigh is not null)
        {
            o["reservedBitsHigh"] = Json.Hex(info.ReservedBitsHigh);
        }

        o["problems"] = new JsonArray(info.Problems.Select(p => (JsonNode)JsonValue.Create(p)).ToArray());
        o["description"] = info.Describe();
        return o;
    }

    private static JsonObject Half(TableRef t, bool vol, PdePcf? pcf, string? pcfName)
    {
        var o = new JsonObject
        {
            ["valid"] = t.IsPresent,
            ["aperture"] = Name(t.Aperture),
            ["address"] = Json.Hex(t.Address),
            ["volatile"] = vol,
        };
        if (pcf is { } p)
        {
            o["pcf"] = p.Value;
            o["pcfName"] = pcfName;
        }

        return o;
    }

    private static void PrintHuman(MmuFormat format, PageTableEntryInfo info)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(info.RawText)}[/] at {Markup.Escape(info.Level.DisplayName())} ({Markup.Escape(format.Name)}): {Markup.Escape(info.Describe())}");
        var table = new Table().Border(TableBorder.Rounded).AddColumns("Field", "Bits", "Value", "Meaning");
        foreach (var (name, bits, value) in Fields(format.Version, info))
        {
            table.AddRow(Markup.Escape(name), bits, Hex.Format(value), Markup.Escape(Meaning(format.Version, info, name, value)));
        }

        if (info.ReservedBits != 0 || info.ReservedBitsHigh != 0)
        {
            table.AddRow("(reserved)", "", Markup.Escape(info.RawHigh is null ? Hex.Format(info.ReservedBits) : $"lo {Hex.Format(info.ReservedBits)} hi {Hex.Format(info.ReservedBitsHigh)}"), "[red]bits no field defines are set[/]");
        }

        AnsiConsole.Write(table);
        foreach (var p in info.Problems)
        {
            AnsiConsole.MarkupLine($"[red]problem:[/] {Markup.Escape(p)}");
        }
    }

    private static IEnumerable<(string Name, string Bits, ulong Value)> Fields(MmuVersion version, PageTableEntryInfo info)
    {
        var v3 = version == MmuVersion.V3;
        if (info is DecodedPte)
        {
            // A large-page PTE in PD0 has the PTE layout in its low qword.
            var fields = v3 ? PteV3.Fields.All : PteV2.Fields.All;
            return fields.Select(f => (f.Name, f.Field.ToString(), f.Field.Get(info.Raw)));
        }

        if (info is DecodedPde { IsDual: true })
        {
            var fields = v3 ? DualPdeV3.Fields.All : DualPdeV2.Fields.All;
            return fields.Select(f => (f.Name, f.Field.ToString(), f.Field.Get(info.Raw, info.RawHigh ?? 0)));
        }

        var pdeFields = v3 ? PdeV3.Fields.All : PdeV2.Fields.All;
        return pdeFields.Select(f => (f.Name, f.Field.ToString(), f.Field.Get(info.Raw)));
    }

    private static string Meaning(MmuVersion version, PageTableEntryInfo info, string name, ulong value)
    {
        var pte = info as DecodedPte;
        var on = value != 0;
        var sys = pte is not null && pte.Aperture is PteAperture.SystemCoherent or PteAperture.SystemNonCoherent;
        string Used(bool used) => used ? string.Empty : " (not used for this aperture)";
        return name switch
        {
            "VALID" => on ? "valid: the entry maps a page" : "invalid: " + (pte is { Sparse: true } ? "sparse (reads 0, writes dropped, no fault)" : pte is { NoValidSmallPages: true } ? "no valid 4 KiB page in this range" : "accesses fault"),
            "IS_PTE" => on ? "this slot holds a PTE (large page)" : "a PDE: points at next-level table(s)",
            "APERTURE" when pte is not null => Name((PteAperture)value) + " memory",
            "APERTURE" or "APERTURE_BIG" or "APERTURE_SMALL" => value == 0 ? "invalid: no next-level table" : "next-level table in " + Name((PdeAperture)value) + " memory",
            "VOL" when pte is not null => on ? (pte.IsValid ? "volatile (uncached in L2)" : "VOL on an invalid PTE: sparse") : "cached",
            "VOL" or "VOL_BIG" or "VOL_SMALL" => on ? "next level volatile (uncached); with aperture 0: sparse" : "cached",
            "ENCRYPTED" => on ? "set (GP100 header: do not use, set to 0)" : "not encrypted",
            "PRIVILEGE" => on ? (pte is { IsValid: false } ? "PRIV on an invalid PTE (big PT: no valid 4 KiB pages)" : "privileged accesses only") : "any access",
            "READ_ONLY" => on ? "read-only: writes fault" : "read-write",
            "ATOMIC_DISABLE" => on ? "atomics fault" : "atomics allowed",
            "NO_ATS" => on ? "ATS (address translation services) not allowed" : "ATS allowed",
            "KIND" => KindName(version, value),
            "PCF" when pte is not null => PtePcf.FromValue((int)value).Name(pte.IsValid),
            "PCF" => PdePcf.FromValue((int)value).Name(info.Valid),
            "PCF_BIG" => PdePcf.FromValue((int)value).Name(info is DecodedPde { Big.IsPresent: true }),
            "PCF_SMALL" => PdePcf.FromValue((int)value).Name(info is DecodedPde { Small.IsPresent: true }),
            "ADDRESS_VID" when pte is not null => "PA " + Hex.Format(value << 12) + Used(!sys),
            "ADDRESS_SYS" when pte is not null => "PA " + Hex.Format(value << 12) + Used(sys),
            "ADDRESS_VID" => "table PA " + Hex.Format(value << 12) + Used(info is DecodedPde { Next.Aperture: PdeAperture.Video }),
            "ADDRESS_SYS" => "table PA " + Hex.Format(value << 12) + Used(info is DecodedPde { Next.Aperture: PdeAperture.SystemCoherent or PdeAperture.SystemNonCoherent }),
            "ADDRESS" when pte is not null => "PA " + Hex.Format(value << 12) + (pte.Aperture == PteAperture.Video ? " (video memory uses the 39:12 view)" : string.Empty),
            "ADDRESS" => "table PA " + Hex.Format(value << 12),
            "ADDRESS_VID_PEER" or "PEER_ID" => pte?.Aperture == PteAperture.Peer ? $"peer id {value}" : $"peer id {value}" + Used(false),
            "ADDRESS_BIG_VID_PEER" or "ADDRESS_SMALL_VID_PEER" => $"peer id {value} (only PEER_0 is defined for PDEs)",
            "COMPTAGLINE" => sys ? "overlaps ADDRESS_SYS (compression is video-memory only)" : $"compression tag line {value}",
            "ADDRESS_BIG_VID" or "ADDRESS_BIG_SYS" or "ADDRESS_BIG" => "big-page table PA " + Hex.Format(value << 8),
            "ADDRESS_SMALL_VID" or "ADDRESS_SMALL_SYS" or "ADDRESS_SMALL" => "small-page table PA " + Hex.Format(value << 12),
            _ => string.Empty,
        };
    }

    private static string KindName(MmuVersion version, ulong kind) => kind switch
    {
        0 => "0x00 pitch",
        6 => "generic memory",
        7 => "invalid kind",
        >= 8 when version == MmuVersion.V3 => "compressible",
        _ => string.Create(CultureInfo.InvariantCulture, $"kind {kind}"),
    };
}
