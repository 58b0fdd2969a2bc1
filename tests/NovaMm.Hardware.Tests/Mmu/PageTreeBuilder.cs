using NovaMm.Hardware.Memory;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Hardware.Tests.Mmu;

/// <summary>Attributes of a test PTE, version-neutral.</summary>
public readonly record struct PteSpec(bool ReadOnly = false, bool Privileged = false, bool NoAtomic = false, bool Volatile = false, byte Kind = 0);

/// <summary>
/// Lays out page tables by hand in VRAM with the Spec factories only (independent of any driver code): directories are
/// allocated from a bump arena on demand and linked with PDEs/dual PDEs; leaf entries are written raw.
/// </summary>
public sealed class PageTreeBuilder
{
    private readonly SparseVram _vram;
    private readonly Dictionary<ulong, ulong> _children = [];
    private readonly Dictionary<ulong, (ulong? Big, ulong? Small)> _pd0 = [];
    private ulong _next;

    public PageTreeBuilder(SparseVram vram, MmuFormat format, ulong root, ulong arena)
    {
        _vram = vram;
        Format = format;
        Root = root;
        _next = arena;
    }

    public MmuFormat Format { get; }

    public ulong Root { get; }

    public bool IsV3 => Format.Version == MmuVersion.V3;

    public ulong Alloc()
    {
        var a = _next;
        _next += 0x1000;
        _vram.Fill(a, 0x1000, 0);
        return a;
    }

    /// <summary>The VRAM address of the slot for <paramref name="va"/> at <paramref name="level"/>, creating directories (and for PT/PT big the PD0 half) on the way.</summary>
    public ulong EntryFor(ulong va, PageTableLevel level)
    {
        var gva = new GpuVa(va);
        var table = Root;
        foreach (var l in Format.Levels)
        {
            var addr = Format.EntryAddress(new VramAddress(table), l, gva).Value;
            if (l.Id == level)
            {
                return addr;
            }

            if (l.IsDual)
            {
                _pd0.TryGetValue(addr, out var halves);
                var big = halves.Big;
                var small = halves.Small;
                if (level == PageTableLevel.PtBig)
                {
                    big ??= Alloc();
                }
                else
                {
                    small ??= Alloc();
                }

                _pd0[addr] = (big, small);
                WriteDual(addr, big, small);
                var leaf = level == PageTableLevel.PtBig ? Format.BigPageTable : Format.SmallPageTable;
                return Format.EntryAddress(new VramAddress(level == PageTableLevel.PtBig ? big!.Value : small!.Value), leaf, gva).Value;
            }

            if (!_children.TryGetValue(addr, out var child))
            {
                child = Alloc();
                _children[addr] = child;
                _vram.Write64(addr, IsV3 ? PdeV3.ForVram(new VramAddress(child), PdePcf.ValidCachedAtsNotAllowed).Raw : PdeV2.ForVram(new VramAddress(child)).Raw);
            }

            table = child;
        }

        throw new InvalidOperationException($"no level {level}");
    }

    private void WriteDual(ulong addr, ulong? big, ulong? small)
    {
        var b = big is { } bb ? TableRef.Vram(new VramAddress(bb)) : TableRef.None;
        var s = small is { } ss ? TableRef.Vram(new VramAddress(ss)) : TableRef.None;
        if (IsV3)
        {
            var e = DualPdeV3.Create(b, s, b.IsPresent ? PdePcf.ValidCachedAtsNotAllowed : default, s.IsPresent ? PdePcf.ValidCachedAtsNotAllowed : default);
            _vram.Write64(addr, e.Low);
            _vram.Write64(addr + 8, e.High);
        }
        else
        {
            var e = DualPdeV2.Create(b, s);
            _vram.Write64(addr, e.Low);
            _vram.Write64(addr + 8, e.High);
        }
    }

    /// <summary>Writes a raw entry (the low qword; for PD0 the high qword is <paramref name="high"/>).</summary>
    public ulong WriteRaw(ulong va, PageTableLevel level, ulong raw, ulong high = 0)
    {
        var addr = EntryFor(va, level);
        _vram.Write64(addr, raw);
        if (level == PageTableLevel.Pd0)
        {
            _vram.Write64(addr + 8, high);
        }

        return addr;
    }

    /// <summary>Maps <paramref name="va"/> to video memory <paramref name="pa"/> with a page of <paramref name="pageSize"/>.</summary>
    public ulong Map(ulong va, ulong pa, ulong pageSize, PteSpec spec = default) =>
        WriteRaw(va, Format.LevelForPageSize(pageSize).Id, VramPte(pa, spec));

    public ulong VramPte(ulong pa, PteSpec spec = default) => IsV3
        ? PteV3.ForVram(new VramAddress(pa), Pcf(spec), spec.Kind).Raw
        : PteV2.ForVram(new VramAddress(pa), V2(spec)).Raw;

    public ulong SysmemPte(ulong pa) => IsV3
        ? PteV3.ForSysmem(pa, true, PtePcf.RegularRwAtomicUncachedAcd).Raw
        : PteV2.ForSysmem(pa, true, new PteV2Attributes { Volatile = true }).Raw;

    public ulong PeerPte(int peer, ulong pa) => IsV3
        ? PteV3.ForPeer(peer, new VramAddress(pa), PtePcf.RegularRwAtomicCachedAcd).Raw
        : PteV2.ForPeer(peer, new VramAddress(pa)).Raw;

    public ulong SparsePte => IsV3 ? PteV3.Sparse.Raw : PteV2.Sparse.Raw;

    public ulong NoValidSmallPagesPte => IsV3 ? PteV3.NoValidSmallPages.Raw : PteV2.NoValidSmallPages.Raw;

    public ulong SparsePde => IsV3 ? PdeV3.Sparse.Raw : PdeV2.Sparse.Raw;

    public (ulong Low, ulong High) SparseDual => IsV3 ? (DualPdeV3.Sparse.Low, DualPdeV3.Sparse.High) : (DualPdeV2.Sparse.Low, DualPdeV2.Sparse.High);

    public ulong SysmemPde(ulong pa) => IsV3 ? PdeV3.ForSysmem(pa, true, PdePcf.ValidUncachedAtsAllowed).Raw : PdeV2.ForSysmem(pa, true, volatileNext: true).Raw;

    private static PtePcf Pcf(PteSpec s) => PtePcf.Create(s.Volatile, s.Privileged, s.ReadOnly, s.NoAtomic, accessCountingDisabled: true);

    private static PteV2Attributes V2(PteSpec s) => new()
    {
        ReadOnly = s.ReadOnly,
        Privileged = s.Privileged,
        AtomicDisable = s.NoAtomic,
        Volatile = s.Volatile,
        Kind = s.Kind,
    };
}

/// <summary>A bare GMMU on its own VRAM, for walker tests.</summary>
public sealed class GmmuRig
{
    public const ulong Root = 0x10_0000;

    public GmmuRig(MmuFormat format, ulong vramSize = 1UL << 30)
    {
        Vram = new SparseVram(vramSize);
        Tlb = new Hardware.Mmu.GmmuTlb();
        Faults = new Hardware.Mmu.FaultLog();
        Gmmu = new Hardware.Mmu.Gmmu(Vram, Tlb, Faults);
        Tree = new PageTreeBuilder(Vram, format, Root, Root + 0x1000);
        Format = format;
    }

    public SparseVram Vram { get; }

    public Hardware.Mmu.GmmuTlb Tlb { get; }

    public Hardware.Mmu.FaultLog Faults { get; }

    public Hardware.Mmu.Gmmu Gmmu { get; }

    public PageTreeBuilder Tree { get; }

    public MmuFormat Format { get; }

    public Hardware.Mmu.TranslationResult Translate(ulong va, Hardware.Mmu.AccessType access = Hardware.Mmu.AccessType.Read, bool privileged = false) =>
        Gmmu.Translate(Root, Format, va, access, privileged);
}
