using System.CommandLine;
using System.Text.Json.Nodes;
using NovaMm.Cli.Output;
using NovaMm.Cli.Parsing;
using NovaMm.Hardware.Images;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;
using NovaMm.Spec.PageTables;

namespace NovaMm.Cli.Commands;

/// <summary>
/// The options <c>walk</c> and <c>dump</c> share to say where page tables are (a VRAM image, a raw dump, or a fresh
/// simulated GPU), and the wiring from them to a driver <see cref="Driver.Pramin.Pramin"/> (Hardware's
/// <see cref="ImageBar0"/> or <see cref="Hardware.SimulatedGpu"/> under the driver: only the CLI joins the two).
/// </summary>
internal sealed class PageTableSourceOptions
{
    public Option<string?> Image { get; } = new("--image") { Description = "a VRAM image (docs/vram-image.md) or, with --raw, a raw dump" };

    public Option<bool> Raw { get; } = new("--raw") { Description = "read --image as raw VRAM bytes" };

    public Option<string?> Base { get; } = new("--base") { Description = "with --raw: VRAM address of the dump's first byte (default 0)" };

    public Option<string?> Vram { get; } = new("--vram") { Description = "with --raw: VRAM size (default: base + file length)" };

    public Option<string?> Pdb { get; } = new("--pdb") { Description = "root page directory (default: the image header's bar1Pdb, or the booted GPU's BAR1 PDB)" };

    public Option<string?> Mmu { get; } = new("--mmu") { Description = "page-table format: v2 or v3 (default: from the image header or the chip)" };

    public Option<string?> Chip { get; } = new("--chip") { Description = "the chip: its PRAMIN window register and page-table format (default: the image header's chip; without --image, the chip to boot, default GA102)" };

    public IEnumerable<Option> All => [Image, Raw, Base, Vram, Pdb, Mmu, Chip];

    /// <summary>Opens what the options name. The caller disposes the result.</summary>
    public PageTableSource Open(ParseResult r, bool allowLiveGpu)
    {
        var imagePath = r.GetValue(Image);
        var chip = r.GetValue(Chip) is { } chipName
            ? ChipCatalog.Find(chipName) ?? throw new CliError($"unknown chip '{chipName}' (try 'novamm chips'; known: {string.Join(", ", ChipCatalog.All.Select(c => c.Name))})")
            : null;
        MmuVersion? mmu = r.GetValue(Mmu) is { } mmuText
            ? VramImageHeader.ParseMmu(mmuText) ?? throw new CliError($"unknown --mmu '{mmuText}' (expected v2 or v3)")
            : null;
        var pdbOption = r.GetValue(Pdb) is { } pdbText ? Numbers.ParseNumber(pdbText, "PDB address") : (ulong?)null;

        if (imagePath is null)
        {
            if (r.GetValue(Raw) || r.GetValue(Base) is not null || r.GetValue(Vram) is not null)
            {
                throw new CliError("--raw, --base and --vram need --image FILE");
            }

            if (!allowLiveGpu)
            {
                throw new CliError("--image FILE is required");
            }

            return Live(chip, mmu, pdbOption);
        }

        if (!r.GetValue(Raw) && (r.GetValue(Base) is not null || r.GetValue(Vram) is not null))
        {
            throw new CliError("--base and --vram apply to raw dumps only: add --raw");
        }

        var image = r.GetValue(Raw)
            ? VramImage.FromRaw(imagePath,
                r.GetValue(Base) is { } b ? Numbers.ParseNumber(b, "base address") : 0,
                r.GetValue(Vram) is { } v ? Numbers.ParseSize(v, "VRAM size") : null)
            : VramImage.Open(imagePath);
        try
        {
            var header = image.Header;
            chip ??= header.KnownChip;
            var version = mmu ?? header.Mmu ?? chip?.Format.Version
                ?? throw new CliError($"{imagePath} does not say which MMU format its page tables use: give --mmu v2|v3 (or --chip)");
            if (chip is not null && chip.Format.Version != version)
            {
                throw new CliError($"--mmu {VramImageHeader.MmuName(version)} contradicts chip {chip.Name}, which uses MMU {VramImageHeader.MmuName(chip.Format.Version)}");
            }

            var format = chip?.Format ?? MmuFormat.Widest(version);
            var layout = ImageBar0.LayoutFor(header, chip, version);
            if (image.VramSize > layout.Reach)
            {
                throw new CliError($"VRAM size 0x{image.VramSize:x} of {imagePath} is beyond what {layout.RegisterName} reaches (0x{layout.Reach:x})");
            }

            var pdb = pdbOption ?? header.Bar1Pdb?.Value
                ?? throw new CliError($"no --pdb given and {imagePath} has no bar1Pdb in its header");
            CheckPdb(pdb, format, image.VramSize, $"the image (VRAM 0x0..0x{image.VramSize:x})");
            var pramin = new Driver.Pramin.Pramin(new ImageBar0(image, layout), layout, image.VramSize);
            return new PageTableSource(pramin, new VramAddress(pdb), format, image, chip, imagePath);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    private static PageTableSource Live(ChipInfo? chip, MmuVersion? mmu, ulong? pdbOption)
    {
        var (hw, gpu) = Devices.Boot(chip?.Name, null, null);
        if (mmu is { } m && m != gpu.Chip.Format.Version)
        {
            throw new CliError($"--mmu {VramImageHeader.MmuName(m)} contradicts chip {gpu.Chip.Name}, which uses MMU {VramImageHeader.MmuName(gpu.Chip.Format.Version)}");
        }

        var pdb = pdbOption ?? gpu.Bar1Pdb.Value;
        CheckPdb(pdb, gpu.Chip.Format, hw.Vram.Size, $"VRAM (0x0..0x{hw.Vram.Size:x})");
        return new PageTableSource(gpu.Pramin, new VramAddress(pdb), gpu.Chip.Format, null, gpu.Chip, $"simulated {gpu.Chip.Name}");
    }

    private static void CheckPdb(ulong pdb, MmuFormat format, ulong vramSize, string where)
    {
        if (pdb >= vramSize || format.Root.TableSize > vramSize - pdb)
        {
            throw new CliError($"PDB 0x{pdb:x} is outside {where}");
        }

        if (pdb % GpuPage.Size != 0)
        {
            throw new CliError($"PDB 0x{pdb:x} is not 4 KiB aligned (the instance block stores it as an address >> 12)");
        }
    }
}

/// <summary>Page tables to read: PRAMIN over an image or a live GPU, the PDB and the format.</summary>
internal sealed class PageTableSource(Driver.Pramin.Pramin pramin, VramAddress pdb, MmuFormat format, VramImage? image, ChipInfo? chip, string name) : IDisposable
{
    public Driver.Pramin.Pramin Pramin { get; } = pramin;

    public VramAddress Pdb { get; } = pdb;

    public MmuFormat Format { get; } = format;

    public VramImage? Image { get; } = image;

    public ChipInfo? Chip { get; } = chip;

    public string Name { get; } = name;

    public string Mmu => VramImageHeader.MmuName(Format.Version);

    /// <summary>One line for people: what is read, with which format and root.</summary>
    public string Describe() =>
        $"{Name}: {(Chip is null ? "" : Chip.Name + ", ")}MMU {Mmu} ({Format.Name}, {Format.VaBits}-bit VA), VRAM {Numbers.FormatSize(Pramin.Limit)}, PDB {Pdb}";

    /// <summary>The keys every JSON answer starts with.</summary>
    public JsonObject JsonHead() => new()
    {
        ["source"] = Name,
        ["pdb"] = Json.Hex(Pdb.Value),
        ["mmu"] = Mmu,
        ["format"] = Format.Name,
        ["vaBits"] = Format.VaBits,
    };

    public void Dispose() => Image?.Dispose();

    /// <summary>A VA the user typed, checked against the format's width.</summary>
    public ulong ParseVa(string text, string what = "VA")
    {
        var va = Numbers.ParseNumber(text, what);
        if (va >= Format.VaLimit)
        {
            throw new CliError($"{what} 0x{va:x} is beyond the {Format.VaBits}-bit VA space of MMU {Mmu} (end 0x{Format.VaLimit:x})");
        }

        return va;
    }
}
