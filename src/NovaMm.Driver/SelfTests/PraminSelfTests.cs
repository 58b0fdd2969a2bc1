using NovaMm.Spec.Addresses;

namespace NovaMm.Driver.SelfTests;

/// <summary>
/// nova-core's five PRAMIN self-tests (nova-core <c>pramin::run_self_test</c>; docs/selftests.md), run on every chip — each with its own window
/// register — on a scratch span the caller has allocated inside usable VRAM (never raw, unallocated VRAM as
/// v7 does at 0x1000). Offsets are nova's, relative to the scratch base.
/// </summary>
public static class PraminSelfTests
{
    /// <summary>Scratch bytes the tests need: two 1 MiB regions 2 MiB apart, plus the test words.</summary>
    public const ulong ScratchSize = 4UL << 20;

    private const string Suite = "PRAMIN";

    /// <summary>Runs the tests on <paramref name="scratch"/> (at least <see cref="ScratchSize"/>, 1 MiB aligned).</summary>
    public static IReadOnlyList<SelfTestResult> Run(Pramin.Pramin pramin, VramRange scratch)
    {
        ArgumentNullException.ThrowIfNull(pramin);
        if (scratch.Size < ScratchSize || !scratch.Start.IsAligned(1UL << 20))
        {
            throw new ArgumentException($"PRAMIN self-test scratch {scratch} must be 1 MiB aligned and at least 0x{ScratchSize:x} bytes", nameof(scratch));
        }

        var b = scratch.Start.Value;
        using var w = pramin.Acquire();
        var results = new List<SelfTestResult>();

        // 1: byte writes read back.
        byte[] pattern = [0xA0, 0xA1, 0xA2, 0xA3];
        for (var i = 0; i < pattern.Length; i++)
        {
            w.Write8(new VramAddress(b + 1 + (ulong)i), pattern[i]);
        }

        var back = Enumerable.Range(0, 4).Select(i => w.Read8(new VramAddress(b + 1 + (ulong)i))).ToArray();
        results.Add(new(Suite, "8-bit write/read", back.SequenceEqual(pattern), $"read {Convert.ToHexString(back)} (want A0A1A2A3)"));

        // 2: a 32-bit write seen byte by byte is little-endian.
        w.Write32(new VramAddress(b + 0x10), 0xDEADBEEF);
        var bytes = Enumerable.Range(0, 4).Select(i => w.Read8(new VramAddress(b + 0x10 + (ulong)i))).ToArray();
        results.Add(new(Suite, "32-bit write, 8-bit reads (little-endian)", bytes.SequenceEqual(new byte[] { 0xEF, 0xBE, 0xAD, 0xDE }),
            $"read {Convert.ToHexString(bytes)} (want EFBEADDE)"));

        // 3: values survive moving the window between 1 MiB regions.
        var movesBefore = pramin.WindowMoves;
        w.Write32(new VramAddress(b), 0x11111111);
        w.Write32(new VramAddress(b + 0x200000), 0x22222222);
        var far = w.Read32(new VramAddress(b + 0x200000));
        var near = w.Read32(new VramAddress(b));
        var moved = pramin.WindowMoves - movesBefore;
        results.Add(new(Suite, "values preserved across window moves", far == 0x22222222 && near == 0x11111111 && moved >= 2,
            $"read 0x{far:x8} and 0x{near:x8}, window moved {moved} times"));

        // 4: beyond the end of VRAM is refused (nova v7 probes 2^40; v9+ the end of the FB).
        results.Add(Refused("read beyond VRAM is refused", () => w.Read32(new VramAddress(pramin.Limit)), $"read32 at total_fb_end 0x{pramin.Limit:x}"));
        results.Add(Refused("read at 2^40 is refused", () => w.Read32(new VramAddress(1UL << 40)), "read32 at 0x10000000000"));

        // 5: misaligned accesses are refused.
        results.Add(Refused("misaligned 16-bit write is refused", () => w.Write16(new VramAddress(b + 0x21), 0xABCD), "write16 at +0x21"));
        results.Add(Refused("misaligned 32-bit write is refused", () => w.Write32(new VramAddress(b + 0x32), 0x12345678), "write32 at +0x32"));
        results.Add(Refused("misaligned 64-bit read is refused", () => w.Read64(new VramAddress(b + 0x44)), "read64 at +0x44"));
        return results;
    }

    private static SelfTestResult Refused(string name, Action access, string what)
    {
        try
        {
            access();
            return new(Suite, name, false, what + " succeeded");
        }
        catch (ArgumentException e)
        {
            var message = e.Message.Split('\n')[0];
            var cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
            return new(Suite, name, true, what + " refused: " + (cut > 0 ? message[..cut] : message));
        }
    }
}
