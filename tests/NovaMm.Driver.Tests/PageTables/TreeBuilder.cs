using NovaMm.Driver.PageTables;
using NovaMm.Hardware;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Driver.Tests.PageTableDumps;

/// <summary>
/// Builds page-table trees by hand, straight into a simulated GPU's VRAM (no driver VMM), with the Spec encoders
/// through <see cref="EntryCodec"/>: tables come from a bump allocator from 1 MiB up.
/// </summary>
internal sealed class TreeBuilder
{
    private readonly SimulatedGpu _hw;
    private ulong _next = 0x10_0000;

    public TreeBuilder(SimulatedGpu hw)
    {
        _hw = hw;
        Format = hw.Chip.Format;
        Pdb = NewTable();
    }

    public MmuFormat Format { get; }

    public ulong Pdb { get; }

    public Driver.Pramin.Pramin Pramin() => new(_hw.Bar0, _hw.Chip.PraminWindow, _hw.Vram.Size);

    public ulong NewTable()
    {
        var t = _next;
        _next += GpuPage.Size;
        _hw.Vram.Fill(t, GpuPage.Size, 0);
        return t;
    }

    /// <summary>Maps one page of <paramref name="pageSize"/> at <paramref name="va"/> to <paramref name="pa"/>.</summary>
    public void Map(ulong va, ulong pageSize, ulong pa, MapAttributes attributes = default)
    {
        var target = Format.LevelForPageSize(pageSize);
        var (level, table) = TableFor(target, va);
        var (low, high) = EntryCodec.Pte(Format, level, new VramAddress(pa), attributes);
        Write(level, table, va, low, high);
    }

    /// <summary>Writes a sparse entry at <paramref name="level"/> for <paramref name="va"/>.</summary>
    public void Sparse(PageTableLevel id, ulong va)
    {
        var (level, table) = TableFor(Format.Level(id), va);
        var (low, high) = EntryCodec.Sparse(Format, level);
        Write(level, table, va, low, high);
    }

    /// <summary>Writes a raw PDE at <paramref name="id"/> for <paramref name="va"/> (tables above are created).</summary>
    public void RawPde(PageTableLevel id, ulong va, TableRef next)
    {
        var (level, table) = TableFor(Format.Level(id), va);
        Write(level, table, va, EntryCodec.Pde(Format, next), 0);
    }

    /// <summary>The table of <paramref name="target"/> that holds <paramref name="va"/>'s entry, creating directories on the way.</summary>
    public (MmuLevel Level, ulong Table) TableFor(MmuLevel target, ulong va)
    {
        var table = Pdb;
        foreach (var level in Format.Levels)
        {
            if (level == target)
            {
                return (level, table);
            }

            var at = Format.EntryAddress(new VramAddress(table), level, new GpuVa(va)).Value;
            if (level.IsDual)
            {
                var dual = (DecodedPde)EntryCodec.Decode(Format, level, _hw.Vram.Read64(at), _hw.Vram.Read64(at + 8));
                var wantBig = target == Format.BigPageTable;
                var half = wantBig ? dual.Big : dual.Small;
                if (!half.IsPresent)
                {
                    half = TableRef.Vram(new VramAddress(NewTable()));
                    var (lo, hi) = EntryCodec.DualPde(Format, wantBig ? half : dual.Big, wantBig ? dual.Small : half);
                    _hw.Vram.Write64(at, lo);
                    _hw.Vram.Write64(at + 8, hi);
                }

                return (target, half.Address);
            }

            var raw = _hw.Vram.Read64(at);
            if (raw == 0)
            {
                raw = EntryCodec.Pde(Format, TableRef.Vram(new VramAddress(NewTable())));
                _hw.Vram.Write64(at, raw);
            }

            table = ((DecodedPde)EntryCodec.Decode(Format, level, raw, 0)).Next.Address;
        }

        throw new InvalidOperationException($"no level {target.Name}");
    }

    private void Write(MmuLevel level, ulong table, ulong va, ulong low, ulong high)
    {
        var at = Format.EntryAddress(new VramAddress(table), level, new GpuVa(va)).Value;
        _hw.Vram.Write64(at, low);
        if (level.IsDual)
        {
            _hw.Vram.Write64(at + 8, high);
        }
    }
}
