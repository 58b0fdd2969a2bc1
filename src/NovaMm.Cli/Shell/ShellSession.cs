using System.Text;
using System.Text.Json.Nodes;
using NovaMm.Cli.Output;
using NovaMm.Driver;
using NovaMm.Driver.Buddy;
using NovaMm.Driver.Memory;
using NovaMm.Driver.PageTables;
using NovaMm.Driver.VirtualMemory;
using NovaMm.Hardware;
using NovaMm.Hardware.Images;
using NovaMm.Hardware.Mmu;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Cli.Shell;

/// <summary>What a command reports: the JSON object of docs/shell.md (contract: docs/json-output.md) and the line a person reads.</summary>
/// <param name="Json">Keys of the command (without <c>cmd</c> and <c>line</c>).</param>
/// <param name="Human">Human-readable text (may span lines).</param>
/// <param name="Render">When set, draws the human output on the console instead of <paramref name="Human"/> (trees, tables).</param>
internal sealed record ShellOutput(JsonObject Json, string Human, Action? Render = null);

/// <summary>
/// One simulated GPU driven through the driver by shell commands (docs/shell.md). Holds the named allocations,
/// address spaces (<c>bar1</c> is GSP's BAR1 space and always exists) and mappings. A command that fails throws and
/// changes nothing: every driver call it makes rolls back on failure, and the session's own tables are updated
/// only after the driver call succeeded.
/// </summary>
internal sealed class ShellSession
{
    private readonly Dictionary<string, VramAllocation> _allocations = [];
    private readonly Dictionary<string, Vmm> _vmms = [];
    private readonly Dictionary<string, (string Vmm, Mapping Mapping, string? Allocation)> _mappings = [];

    /// <summary>The name of each live mapping (to drop the names of mappings a replace removed without a scan).</summary>
    private readonly Dictionary<Mapping, string> _mappingNames = new(ReferenceEqualityComparer.Instance);

    /// <summary>The mappings using each allocation (so <c>free</c> checks its users without a scan).</summary>
    private readonly Dictionary<string, SortedSet<string>> _allocationUsers = [];

    public ShellSession(SimulatedGpu hardware, Gpu gpu)
    {
        Hardware = hardware;
        Gpu = gpu;
        _vmms["bar1"] = gpu.BarUser.Vmm;
    }

    public SimulatedGpu Hardware { get; }

    public Gpu Gpu { get; }

    /// <summary>The named allocations now live.</summary>
    public IReadOnlyDictionary<string, VramAllocation> Allocations => _allocations;

    /// <summary>The address spaces, <c>bar1</c> first.</summary>
    public IReadOnlyDictionary<string, Vmm> Vmms => _vmms;

    private MmuFormat Format => Gpu.Chip.Format;

    /// <summary>
    /// Runs every line of a parsed script, handing each result to <paramref name="onOutput"/>; the first failing line
    /// stops it with a <see cref="ScriptFailure"/> (<c>SCRIPT:LINE: message</c>).
    /// </summary>
    public void Run(string script, IEnumerable<ShellLine> lines, Action<ShellLine, ShellOutput>? onOutput = null)
    {
        foreach (var l in lines)
        {
            ShellOutput output;
            try
            {
                output = Execute(l);
            }
            catch (Exception e) when (IsCommandError(e))
            {
                throw new ScriptFailure(script, l.Line, l.Name, Commands.Devices.FirstLine(e.Message));
            }

            onOutput?.Invoke(l, output);
        }
    }

    /// <summary>Whether <paramref name="e"/> is a command failing (reported on its line), not a bug in the tool.</summary>
    public static bool IsCommandError(Exception e) =>
        e is ShellError or ArgumentException or NovaMmException or InvalidOperationException or FormatException or IOException or UnauthorizedAccessException;

    /// <summary>Parses a whole script (syntax only); the first bad line stops it with <c>SCRIPT:LINE: message</c>.</summary>
    public static List<ShellLine> ParseScript(string script, IReadOnlyList<string> lines)
    {
        var parsed = new List<ShellLine>();
        for (var i = 0; i < lines.Count; i++)
        {
            try
            {
                if (ShellSyntax.Parse(lines[i], i + 1) is { } l)
                {
                    parsed.Add(l);
                }
            }
            catch (ShellError e)
            {
                throw new ScriptFailure(script, i + 1, ShellCommand.FirstWord(lines[i]), e.Message);
            }
        }

        return parsed;
    }

    public ShellOutput Execute(ShellLine l) => l.Name switch
    {
        "alloc" => Alloc(l),
        "free" => Free(l),
        "vmm" => NewVmm(l),
        "map" => Map(l),
        "unmap" => Unmap(l),
        "translate" => Translate(l),
        "walk" => Walk(l),
        "read" => Read(l),
        "write" => Write(l),
        "fill" => Fill(l),
        "flush" => Flush(l),
        "faults" => Faults(l),
        "stats" => Stats(),
        "dump" => Dump(l),
        "save" => Save(l),
        "help" => Help(l),
        _ => throw new ShellError($"unknown command '{l.Name}'"),
    };

    private ShellOutput Alloc(ShellLine l)
    {
        var name = l.Args[0];
        if (_allocations.ContainsKey(name))
        {
            throw new ShellError($"allocation '{name}' exists (free it first)");
        }

        var size = ShellSyntax.Size(l.Args[1], "size");
        var flags = (l.Has("contiguous") ? BuddyFlags.Contiguous : 0) | (l.Has("topdown") ? BuddyFlags.TopDown : 0) | (l.Has("clear") ? BuddyFlags.Clear : 0);
        VramRange? range = null;
        if (l.Options.TryGetValue("range", out var r))
        {
            var (start, end) = ShellSyntax.Range(r, "range");
            range = new VramRange(new VramAddress(start), end - start);
        }

        var options = new VramAllocOptions
        {
            MinBlockSize = l.Options.TryGetValue("min", out var min) ? ShellSyntax.Size(min, "min") : GpuPage.Size,
            Flags = flags,
            Range = range,
        };
        var a = Gpu.Mm.Allocate(size, options);
        _allocations[name] = a;
        var blocks = new JsonArray(a.Blocks.Select(b => (JsonNode)new JsonObject { ["offset"] = Json.Hex(b.Start.Value), ["size"] = Json.Hex(b.Size) }).ToArray());
        return new(new JsonObject { ["name"] = name, ["size"] = Json.Hex(a.Size), ["blocks"] = blocks },
            $"{name}: {Parsing.Numbers.FormatSize(a.Size)} in {a.Blocks.Count} block(s): {string.Join(", ", a.Blocks.Select(b => $"{b.Start}+{Hex.Format(b.Size)}"))}");
    }

    private ShellOutput Free(ShellLine l)
    {
        var name = l.Args[0];
        var a = Allocation(name);
        var users = _allocationUsers.TryGetValue(name, out var u) ? u.ToArray() : [];
        if (users.Length > 0)
        {
            throw new ShellError($"allocation '{name}' is mapped by {string.Join(", ", users)} (unmap first)");
        }

        Gpu.Mm.Free(a);
        _allocations.Remove(name);
        return new(new JsonObject { ["name"] = name, ["ok"] = true }, $"freed {name}");
    }

    private ShellOutput NewVmm(ShellLine l)
    {
        var name = l.Args[0];
        if (_vmms.ContainsKey(name))
        {
            throw new ShellError($"address space '{name}' exists");
        }

        var options = new VmmOptions { Format = Format };
        if (l.Options.TryGetValue("va", out var va))
        {
            var (start, end) = ShellSyntax.Range(va, "va");
            options = options with { VaStart = start, VaEnd = end };
        }

        var vmm = new Vmm(Gpu.Mm, options);
        _vmms[name] = vmm;
        return new(VmmJson(name, vmm), $"{name}: root page directory at {vmm.Pdb}, MMU {Format.Version}, VA {Hex.Format(vmm.VaStart)}..{Hex.Format(vmm.VaEnd)}");
    }

    private JsonObject VmmJson(string name, Vmm vmm) => new()
    {
        ["name"] = name,
        ["pdb"] = Json.Hex(vmm.Pdb.Value),
        ["mmu"] = $"v{(int)Format.Version}",
        ["vaBits"] = Format.VaBits,
        ["vaStart"] = Json.Hex(vmm.VaStart),
        ["vaEnd"] = Json.Hex(vmm.VaEnd),
    };

    private ShellOutput Map(ShellLine l)
    {
        var vmmName = l.Args[0];
        var vmm = Vmm(vmmName);
        var name = l.Args[1];
        if (_mappings.ContainsKey(name))
        {
            throw new ShellError($"mapping '{name}' exists (unmap it first)");
        }

        var pageSize = l.Options.TryGetValue("page", out var p) ? ShellSyntax.Size(p, "page") : GpuPage.Size;
        var (allocName, address, size) = ShellSyntax.Target(l.Args[2]);
        var sparse = l.Args[2].StartsWith("sparse:", StringComparison.Ordinal);
        var runs = new List<VramRange>();
        if (sparse)
        {
            if (size == 0 || size % pageSize != 0)
            {
                throw new ShellError($"sparse size {Hex.Format(size)} is not a multiple of the {PageSize.Format(pageSize)} page");
            }
        }
        else if (allocName is not null)
        {
            var a = Allocation(allocName);
            foreach (var b in a.Blocks)
            {
                if (!b.Start.IsAligned(pageSize) || b.Size % pageSize != 0)
                {
                    throw new ShellError($"block {b.Start}+{Hex.Format(b.Size)} of '{allocName}' is not made of {PageSize.Format(pageSize)} pages");
                }

                runs.Add(b);
            }
        }
        else
        {
            if (size == 0 || size % pageSize != 0 || address % pageSize != 0)
            {
                throw new ShellError($"target vram:{Hex.Format(address)}:{Hex.Format(size)} is not made of {PageSize.Format(pageSize)} pages");
            }

            runs.Add(new VramRange(new VramAddress(address), size));
        }

        var attributes = new MapAttributes
        {
            ReadOnly = l.Has("ro"),
            Privileged = l.Has("priv"),
            NoAtomic = l.Has("noatomic"),
            Kind = l.Options.TryGetValue("kind", out var k) ? (byte)ShellSyntax.Number(k, "kind") : (byte)0,
        };
        var request = new MapRequest
        {
            Size = sparse ? size : runs.Aggregate(0UL, (sum, r) => sum + r.Size),
            Sparse = sparse,
            PageSize = pageSize,
            Va = l.Options.TryGetValue("va", out var va) ? new GpuVa(ShellSyntax.Number(va, "va")) : null,
            Attributes = attributes,
            Replace = l.Has("replace"),
        };
        Mapping m;
        IReadOnlyList<Mapping> replaced;
        using (var prepared = vmm.Prepare(request))
        {
            replaced = prepared.Replaced;
            m = vmm.ExecuteRuns(prepared, runs);
        }

        foreach (var old in replaced)
        {
            if (_mappingNames.TryGetValue(old, out var oldName))
            {
                Forget(oldName); // replaced
            }
        }

        _mappings[name] = (vmmName, m, allocName);
        _mappingNames[m] = name;
        if (allocName is not null)
        {
            if (!_allocationUsers.TryGetValue(allocName, out var users))
            {
                users = new SortedSet<string>(StringComparer.Ordinal);
                _allocationUsers[allocName] = users;
            }

            users.Add(name);
        }

        return new(new JsonObject
        {
            ["vmm"] = vmmName,
            ["name"] = name,
            ["va"] = Json.Hex(m.Va.Value),
            ["size"] = Json.Hex(m.Size),
            ["page"] = PageSize.Format(pageSize),
            ["pages"] = m.PteCount,
            ["sparse"] = m.IsSparse,
            ["ptPages"] = m.PtPagesAllocated,
        }, $"{vmmName}/{name}: {m.Va}..{m.End} -> {m.PteCount} x {PageSize.Format(pageSize)} ({(m.IsSparse ? "sparse" : attributes.ToString())}), {m.PtPagesAllocated} page-table page(s) allocated");
    }

    private ShellOutput Unmap(ShellLine l)
    {
        var vmm = Vmm(l.Args[0]);
        var name = l.Args[1];
        if (!_mappings.TryGetValue(name, out var entry) || entry.Vmm != l.Args[0])
        {
            throw new ShellError($"no mapping '{name}' in address space '{l.Args[0]}'");
        }

        var before = vmm.PageTablePages;
        vmm.Unmap(entry.Mapping);
        Forget(name);
        var freed = before - vmm.PageTablePages;
        return new(new JsonObject { ["vmm"] = l.Args[0], ["name"] = name, ["ptPagesFreed"] = freed },
            $"unmapped {l.Args[0]}/{name}; {freed} page-table page(s) freed");
    }

    private ShellOutput Translate(ShellLine l)
    {
        var vmm = Vmm(l.Args[0]);
        var va = ShellSyntax.Number(l.Args[1], "VA");
        var access = l.Args.Count > 2 ? l.Args[2] switch { "write" => AccessType.Write, "atomic" => AccessType.Atomic, _ => AccessType.Read } : AccessType.Read;
        var result = Hardware.Gmmu.Translate(vmm.Pdb.Value, Format, va, access, l.Has("priv"));
        var json = new JsonObject { ["vmm"] = l.Args[0], ["va"] = Json.Hex(va), ["ok"] = result.IsSuccess };
        if (result.Translation is { } t)
        {
            json["aperture"] = ApertureName(t.Aperture);
            json["address"] = Json.Hex(t.PhysicalAddress);
            json["page"] = PageSize.Format(t.PageSize);
            json["tlb"] = t.TlbHit ? "hit" : "miss";
            return new(json, $"{Hex.Format(va)} -> {ApertureName(t.Aperture)} {Hex.Format(t.PhysicalAddress)} ({PageSize.Format(t.PageSize)} page, TLB {(t.TlbHit ? "hit" : "miss")})");
        }

        var f = result.Fault!;
        json["fault"] = f.ReasonName;
        if (f.Level is { } level)
        {
            json["level"] = level.CliName();
        }

        return new(json, $"{Hex.Format(va)} -> fault: {f.ReasonName}{(f.Level is { } lv ? $" at {lv.DisplayName()}" : "")}");
    }

    private ShellOutput Walk(ShellLine l)
    {
        var vmm = Vmm(l.Args[0]);
        var va = new GpuVa(ShellSyntax.Number(l.Args[1], "VA"));
        var w = vmm.Walk(va);
        var levels = new JsonArray();
        var text = new StringBuilder($"walk {va} in {l.Args[0]} (PDB {vmm.Pdb}):");
        foreach (var s in w.Steps)
        {
            var raw = s.High is { } hi ? "0x" + hi.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + s.Low.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) : Hex.Format(s.Low, 16);
            levels.Add(new JsonObject { ["level"] = s.Level.Id.CliName(), ["index"] = s.Index, ["entryAddress"] = Json.Hex(s.EntryAddress.Value), ["raw"] = raw });
            text.Append($"\n  {s.Level.Name,-6} [{s.Index,3}] @ {s.EntryAddress} = {raw}  {s.Decoded.Describe()}");
        }

        var result = w.Status switch { WalkStatus.Mapped => "mapped", WalkStatus.Unmapped => "unmapped", _ => "table-missing" };
        var json = new JsonObject { ["vmm"] = l.Args[0], ["va"] = Json.Hex(va.Value), ["result"] = result, ["sparse"] = w.Sparse, ["levels"] = levels };
        if (w.PhysicalAddress is { } pa)
        {
            json["address"] = Json.Hex(pa.Value);
            json["page"] = PageSize.Format(w.PageSize);
        }

        text.Append($"\n  => {result}{(w.Sparse ? " (sparse: reads zero)" : "")}{(w.PhysicalAddress is { } a ? $" {a} ({PageSize.Format(w.PageSize)} page)" : "")}");
        return new(json, text.ToString());
    }

    private ShellOutput Read(ShellLine l)
    {
        var address = ShellSyntax.Number(l.Args[1], "address");
        var width = ShellSyntax.Width(l, 2);
        var faults = Hardware.Faults.TotalRecorded;
        ulong value;
        if (l.Args[0] == "pramin")
        {
            using var w = Gpu.Pramin.Acquire();
            var at = new VramAddress(address);
            value = width switch { 8 => w.Read8(at), 16 => w.Read16(at), 32 => w.Read32(at), _ => w.Read64(at) };
        }
        else
        {
            var bar1 = Gpu.BarUser.Bar1;
            value = width switch { 8 => bar1.Read8(address), 16 => bar1.Read16(address), 32 => bar1.Read32(address), _ => bar1.Read64(address) };
        }

        var json = new JsonObject { ["space"] = l.Args[0], ["address"] = Json.Hex(address), ["width"] = width, ["value"] = Json.Hex(value) };
        var faulted = Hardware.Faults.TotalRecorded > faults ? Hardware.Faults.Last : null;
        if (faulted is not null)
        {
            json["fault"] = faulted.ReasonName;
        }

        return new(json, $"{l.Args[0]} {Hex.Format(address)} = {Hex.Format(value, width / 4)}{(faulted is null ? "" : $" (MMU fault: {faulted.ReasonName})")}");
    }

    private ShellOutput Write(ShellLine l)
    {
        var address = ShellSyntax.Number(l.Args[1], "address");
        var value = ShellSyntax.Number(l.Args[2], "value");
        var width = ShellSyntax.Width(l, 3);
        var faults = Hardware.Faults.TotalRecorded;
        if (l.Args[0] == "pramin")
        {
            using var w = Gpu.Pramin.Acquire();
            var at = new VramAddress(address);
            switch (width)
            {
                case 8: w.Write8(at, (byte)value); break;
                case 16: w.Write16(at, (ushort)value); break;
                case 32: w.Write32(at, (uint)value); break;
                default: w.Write64(at, value); break;
            }
        }
        else
        {
            var bar1 = Gpu.BarUser.Bar1;
            switch (width)
            {
                case 8: bar1.Write8(address, (byte)value); break;
                case 16: bar1.Write16(address, (ushort)value); break;
                case 32: bar1.Write32(address, (uint)value); break;
                default: bar1.Write64(address, value); break;
            }
        }

        var json = new JsonObject { ["space"] = l.Args[0], ["address"] = Json.Hex(address), ["width"] = width, ["value"] = Json.Hex(value), ["ok"] = true };
        var faulted = Hardware.Faults.TotalRecorded > faults ? Hardware.Faults.Last : null;
        if (faulted is not null)
        {
            json["fault"] = faulted.ReasonName;
        }

        return new(json, $"{l.Args[0]} {Hex.Format(address)} <- {Hex.Format(value, width / 4)}{(faulted is null ? "" : $" (MMU fault: {faulted.ReasonName}, write dropped)")}");
    }

    private ShellOutput Fill(ShellLine l)
    {
        var address = ShellSyntax.Number(l.Args[1], "address");
        var size = ShellSyntax.Size(l.Args[2], "size");
        var b = (byte)ShellSyntax.Number(l.Args[3], "byte");
        if (l.Args[0] == "pramin")
        {
            using var w = Gpu.Pramin.Acquire();
            w.Fill(new VramAddress(address), size, b);
        }
        else
        {
            Gpu.BarUser.Bar1.Fill(address, size, b);
        }

        return new(new JsonObject { ["space"] = l.Args[0], ["address"] = Json.Hex(address), ["size"] = Json.Hex(size), ["byte"] = Json.Hex(b), ["ok"] = true },
            $"{l.Args[0]} {Hex.Format(address)}..{Hex.Format(address + size)} <- {Hex.Format(b, 2)}");
    }

    private ShellOutput Flush(ShellLine l)
    {
        if (l.Args[0] == "all")
        {
            Gpu.Tlb.FlushAll();
            return new(new JsonObject { ["target"] = "all", ["ok"] = true }, "TLB invalidated for all address spaces");
        }

        var vmm = Vmm(l.Args[0]);
        vmm.Flush();
        return new(new JsonObject { ["target"] = l.Args[0], ["pdb"] = Json.Hex(vmm.Pdb.Value), ["ok"] = true }, $"TLB invalidated for {l.Args[0]} (PDB {vmm.Pdb})");
    }

    private ShellOutput Faults(ShellLine l)
    {
        var faults = l.Has("clear") ? Hardware.Faults.Drain() : Hardware.Faults.Snapshot();
        var arr = new JsonArray(faults.Select(f => (JsonNode)new JsonObject
        {
            ["address"] = Json.Hex(f.Va),
            ["access"] = f.Access.ToString().ToLowerInvariant(),
            ["reason"] = f.ReasonName,
            ["level"] = f.Level?.CliName(),
            ["pdb"] = Json.Hex(f.Pdb),
            ["source"] = f.Source.ToString().ToLowerInvariant(),
        }).ToArray());
        var text = faults.Count == 0 ? "no faults" : string.Join("\n", faults.Select(f => $"{Hex.Format(f.Va)} {f.Access.ToString().ToLowerInvariant()} {f.ReasonName}{(f.Level is { } lv ? " at " + lv.DisplayName() : "")} (PDB {Hex.Format(f.Pdb)}, {f.Source.ToString().ToLowerInvariant()})"));
        return new(new JsonObject { ["faults"] = arr, ["cleared"] = l.Has("clear") }, text);
    }

    private ShellOutput Stats()
    {
        var regions = Gpu.Mm.Statistics();
        var vmms = new JsonArray(_vmms.Select(kv => (JsonNode)new JsonObject
        {
            ["name"] = kv.Key,
            ["pdb"] = Json.Hex(kv.Value.Pdb.Value),
            ["mappings"] = kv.Value.MappingCount,
            ["ptPages"] = kv.Value.PageTablePages,
            ["freeVa"] = Json.Hex(kv.Value.FreeVaBytes),
        }).ToArray());
        var json = new JsonObject
        {
            ["ok"] = true,
            ["vramTotal"] = Json.Hex(Gpu.Mm.TotalBytes),
            ["vramFree"] = Json.Hex(Gpu.Mm.FreeBytes),
            ["allocator"] = Commands.BootCommand.AllocatorJson(Gpu),
            ["allocations"] = _allocations.Count,
            ["vmms"] = vmms,
            ["tlb"] = new JsonObject { ["entries"] = Hardware.Tlb.Count, ["hits"] = Hardware.Tlb.Hits, ["misses"] = Hardware.Tlb.Misses, ["flushes"] = Gpu.Tlb.Flushes },
            ["faults"] = Hardware.Faults.Count,
            ["praminWindowMoves"] = Gpu.Pramin.WindowMoves,
        };
        var text = new StringBuilder();
        text.Append($"VRAM: {Parsing.Numbers.FormatSize(Gpu.Mm.FreeBytes)} free of {Parsing.Numbers.FormatSize(Gpu.Mm.TotalBytes)} ({_allocations.Count} allocation(s))");
        foreach (var r in regions)
        {
            text.Append($"\n  region {r.Region}: free {Parsing.Numbers.FormatSize(r.Free)}, clear {Parsing.Numbers.FormatSize(r.ClearFree)}, free blocks by order: ");
            text.Append(string.Join(" ", r.Orders.Where(o => o.FreeBlocks > 0).OrderByDescending(o => o.Order).Select(o => $"{o.Order}:{o.FreeBlocks}")));
        }

        foreach (var (name, vmm) in _vmms)
        {
            text.Append($"\n  vmm {name}: PDB {vmm.Pdb}, {vmm.MappingCount} mapping(s), {vmm.PageTablePages} page-table page(s)");
        }

        text.Append($"\n  TLB: {Hardware.Tlb.Count} entries, {Hardware.Tlb.Hits} hits, {Hardware.Tlb.Misses} misses, {Gpu.Tlb.Flushes} flushes; faults logged: {Hardware.Faults.Count}; PRAMIN window moves: {Gpu.Pramin.WindowMoves}");
        return new(json, text.ToString());
    }

    private ShellOutput Dump(ShellLine l)
    {
        var vmm = Vmm(l.Args[0]);
        ulong start = vmm.VaStart, end = vmm.VaEnd;
        if (l.Options.TryGetValue("va", out var va))
        {
            (start, end) = ShellSyntax.Range(va, "va");
        }

        PageTableDumpResult result;
        using (var w = Gpu.Pramin.Acquire())
        {
            result = PageTableDump.Dump(w, vmm.Pdb, Format, start, end);
        }

        var showTree = l.Has("tree") || !l.Has("ranges");
        var showRanges = l.Has("ranges") || !l.Has("tree");
        var json = Commands.DumpCommand.ToJson(new JsonObject { ["ok"] = true, ["vmm"] = l.Args[0], ["pdb"] = Json.Hex(vmm.Pdb.Value), ["mmu"] = $"v{(int)Format.Version}" }, result, showTree, showRanges);
        var title = $"address space {l.Args[0]}: PDB {vmm.Pdb}, {result.Mappings.Count} mapped range(s), {result.TablesRead} table(s)";
        return new(json, title, () => Commands.DumpCommand.Print(title, result, showTree, showRanges));
    }

    private ShellOutput Save(ShellLine l)
    {
        var file = l.Args[0];
        var header = VramImageHeader.For(Hardware.Chip, Hardware.Vram.Size, Gpu.Bar1Pdb, DateTimeOffset.UtcNow);
        var bytes = VramImage.Save(file, Hardware.Vram, header);
        return new(new JsonObject { ["file"] = file, ["bytes"] = bytes }, $"saved {file}: {bytes} bytes ({Parsing.Numbers.FormatSize((ulong)bytes)}) of a {Parsing.Numbers.FormatSize(Hardware.Vram.Size)} VRAM");
    }

    private static ShellOutput Help(ShellLine l)
    {
        var lines = l.Args.Count == 1 ? [ShellSyntax.UsageOf(l.Args[0])] : ShellSyntax.Usage.ToArray();
        return new(new JsonObject { ["ok"] = true, ["commands"] = new JsonArray(lines.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray()) }, string.Join("\n", lines));
    }

    /// <summary>Drops a mapping's name from the session's tables (after an unmap or a replace).</summary>
    private void Forget(string name)
    {
        if (!_mappings.Remove(name, out var entry))
        {
            return;
        }

        _mappingNames.Remove(entry.Mapping);
        if (entry.Allocation is { } a && _allocationUsers.TryGetValue(a, out var users))
        {
            users.Remove(name);
            if (users.Count == 0)
            {
                _allocationUsers.Remove(a);
            }
        }
    }

    private VramAllocation Allocation(string name) =>
        _allocations.TryGetValue(name, out var a) ? a : throw new ShellError($"no allocation '{name}'");

    private Vmm Vmm(string name) =>
        _vmms.TryGetValue(name, out var v) ? v : throw new ShellError($"no address space '{name}' (bar1{(_vmms.Count > 1 ? ", " + string.Join(", ", _vmms.Keys.Where(k => k != "bar1")) : "")})");

    internal static string ApertureName(PteAperture aperture) => aperture switch
    {
        PteAperture.Video => "video",
        PteAperture.Peer => "peer",
        PteAperture.SystemCoherent => "system-coherent",
        _ => "system-noncoherent",
    };
}
