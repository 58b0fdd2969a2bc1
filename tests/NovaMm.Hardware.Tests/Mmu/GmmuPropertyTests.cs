using CsCheck;
using NovaMm.Hardware.Mmu;
using NovaMm.Spec.PageTables;

namespace NovaMm.Hardware.Tests.Mmu;

/// <summary>Random small page-table trees, built by hand in VRAM, against a plain dictionary of 4 KiB pages.</summary>
public class GmmuPropertyTests
{
    private sealed record Mapping(int Index, ulong Size, ulong Pa, bool ReadOnly);

    private sealed record Region(int Anchor, int Slot, bool Huge, ulong HugePa, bool HugeRo, Mapping[] Small);

    private static readonly Gen<Mapping> SmallMapping =
        Gen.Bool.SelectMany(big => big
            ? Gen.Select(Gen.Int[0, 31], Gen.ULong[0, (1UL << 16) - 1], Gen.Bool).Select((i, f, ro) => new Mapping(i, PageSize.Size64K, f << 16, ro))
            : Gen.Select(Gen.Int[0, 511], Gen.ULong[0, (1UL << 20) - 1], Gen.Bool).Select((i, f, ro) => new Mapping(i, PageSize.Size4K, f << 12, ro)));

    private static readonly Gen<Region> RegionGen =
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, 3], Gen.Bool, Gen.ULong[0, (1UL << 15) - 1], Gen.Bool, SmallMapping.Array[0, 6])
            .Select((anchor, slot, huge, f, ro, small) => new Region(anchor, slot, huge, f << 21, ro, small));

    private static ulong Base(MmuFormat format, Region r)
    {
        ulong[] anchors = [0, 0x1FE0_0000, 0x1_0000_0000, 0x8000_0000_0000, format.VaLimit - (8UL << 20)];
        return anchors[r.Anchor] + ((ulong)r.Slot << 21);
    }

    [Fact]
    public void Random_trees_translate_like_a_dictionary_model() =>
        Gen.Select(Gen.Int[0, 3], RegionGen.Array[1, 6], Gen.Int[0, 511].Array[4, 12], Gen.Bool.Array[12])
            .Sample((formatIndex, regions, probeIndices, writes) =>
            {
                var format = MmuFormat.All[formatIndex];
                var rig = new GmmuRig(format);
                var model = new Dictionary<ulong, (ulong Pa, bool Ro)>();
                var seen = new HashSet<ulong>();
                foreach (var region in regions)
                {
                    var @base = Base(format, region);
                    if (!seen.Add(@base))
                    {
                        continue; // one layout per 2 MiB region
                    }

                    if (region.Huge)
                    {
                        rig.Tree.Map(@base, region.HugePa, PageSize.Size2M, new PteSpec(ReadOnly: region.HugeRo));
                        for (ulong p = 0; p < PageSize.Size2M; p += PageSize.Size4K)
                        {
                            model[@base + p] = (region.HugePa + p, region.HugeRo);
                        }

                        continue;
                    }

                    // Small pages first, then big pages: a valid big PTE wins over the small ones (docs/page-tables.md).
                    foreach (var m in region.Small.OrderBy(m => m.Size))
                    {
                        var va = @base + ((ulong)m.Index * m.Size);
                        rig.Tree.Map(va, m.Pa, m.Size, new PteSpec(ReadOnly: m.ReadOnly));
                        for (ulong p = 0; p < m.Size; p += PageSize.Size4K)
                        {
                            model[va + p] = (m.Pa + p, m.ReadOnly);
                        }
                    }
                }

                var probes = model.Keys.Take(16).Concat(seen.SelectMany(b => probeIndices.Select(i => b + ((ulong)i << 12)))).ToList();
                var n = 0;
                foreach (var page in probes)
                {
                    var write = writes[n++ % writes.Length];
                    var va = page + 0x7F8;
                    for (var pass = 0; pass < 2; pass++)
                    {
                        var r = rig.Translate(va, write ? AccessType.Write : AccessType.Read);
                        if (!model.TryGetValue(page, out var expected))
                        {
                            Assert.False(r.IsSuccess);
                            Assert.Contains(r.Fault!.Reason, new[] { MmuFaultReason.InvalidPde, MmuFaultReason.InvalidPte });
                        }
                        else if (write && expected.Ro)
                        {
                            Assert.Equal(MmuFaultReason.ReadOnly, r.Fault!.Reason);
                        }
                        else
                        {
                            Assert.True(r.IsSuccess, r.ToString());
                            Assert.Equal(expected.Pa + 0x7F8, r.Translation!.PhysicalAddress);
                        }
                    }
                }
            });
}
