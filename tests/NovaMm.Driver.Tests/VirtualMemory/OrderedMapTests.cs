using CsCheck;
using NovaMm.Driver.VirtualMemory;

namespace NovaMm.Driver.Tests.VirtualMemory;

public class OrderedMapTests
{
    [Fact]
    public void Agrees_with_a_sorted_dictionary_on_random_operations() =>
        Gen.Int[0, int.MaxValue].Sample(seed =>
        {
            var rnd = new Random(seed);
            var map = new OrderedMap<ulong, int>();
            var model = new SortedDictionary<ulong, int>();
            for (var step = 0; step < 600; step++)
            {
                var key = (ulong)rnd.Next(0, 200);
                switch (rnd.Next(4))
                {
                    case 0:
                        Assert.Equal(model.TryAdd(key, step), map.TryAdd(key, step));
                        break;
                    case 1:
                        Assert.Equal(model.Remove(key), map.Remove(key));
                        break;
                    case 2:
                        model[key] = step;
                        map.Set(key, step);
                        break;
                    default:
                        Assert.Equal(model.TryGetValue(key, out var v), map.TryGetValue(key, out var w));
                        Assert.Equal(v, w);
                        break;
                }

                Assert.Equal(model.Count, map.Count);
                var probe = (ulong)rnd.Next(0, 210);
                Check(model.Keys.Where(k => k <= probe), map.TryFloor(probe, out var f, out _), f, last: true);
                Check(model.Keys.Where(k => k < probe), map.TryLower(probe, out var lo, out _), lo, last: true);
                Check(model.Keys.Where(k => k >= probe), map.TryCeiling(probe, out var c, out _), c, last: false);
                Check(model.Keys.Where(k => k > probe), map.TryHigher(probe, out var h, out var hv), h, last: false);
                if (map.TryHigher(probe, out h, out hv))
                {
                    Assert.Equal(model[h], hv);
                }
            }

            Assert.Equal(model.Select(kv => (kv.Key, kv.Value)), map.InOrder());
            map.Clear();
            Assert.Equal(0, map.Count);
            Assert.Empty(map.InOrder());
        }, iter: 40, threads: 1);

    private static void Check(IEnumerable<ulong> candidates, bool found, ulong key, bool last)
    {
        var list = candidates.ToList();
        Assert.Equal(list.Count > 0, found);
        if (found)
        {
            Assert.Equal(last ? list[^1] : list[0], key);
        }
    }
}
