using System.Buffers.Binary;
using System.Text;
using NovaMm.Hardware.Images;
using NovaMm.Hardware.Memory;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;
using NovaMm.Spec.PageTables;

namespace NovaMm.Hardware.Tests.Images;

/// <summary>The VRAM image format (docs/vram-image.md): golden bytes, round trips, every rejection, raw dumps.</summary>
public class VramImageTests
{
    /// <summary>Built by hand, field by field, from the format table of docs/vram-image.md: this pins the format.</summary>
    private static readonly string GoldenHex = string.Concat(
        "4e4f56415652414d", // magic "NOVAVRAM"
        "01000000", // version 1, u32 LE
        "41000000", // header length 65, u32 LE
        Convert.ToHexString("{\"vramSize\":1048576,\"chip\":\"GA102\",\"mmu\":\"v2\",\"bar1Pdb\":\"0x1000\"}"u8).ToLowerInvariant(),
        "0010000000000000", "0400000000000000", "01020304", // record: offset 0x1000, length 4, bytes (the zero chunk at 0x2000 is not written)
        "0030000000000000", "0100000000000000", "ff"); // record: offset 0x3000, length 1, byte

    private static readonly VramImageHeader GoldenHeader = new()
    {
        VramSize = 1 << 20,
        Chip = "GA102",
        Mmu = MmuVersion.V2,
        Bar1Pdb = new VramAddress(0x1000),
    };

    [Fact]
    public void Writer_produces_the_golden_bytes()
    {
        using var ms = new MemoryStream();
        var n = VramImage.Write(ms, GoldenHeader, new (ulong, ReadOnlyMemory<byte>)[]
        {
            (0x1000, new byte[] { 1, 2, 3, 4 }),
            (0x2000, new byte[4]),
            (0x3000, new byte[] { 0xff }),
        });
        Assert.Equal(GoldenHex, Convert.ToHexString(ms.ToArray()).ToLowerInvariant());
        Assert.Equal(ms.Length, n);
    }

    [Fact]
    public void Reader_reads_the_golden_bytes()
    {
        using var image = VramImage.Read(Convert.FromHexString(GoldenHex));
        Assert.Equal(GoldenHeader with { }, image.Header);
        Assert.Equal([new VramImageRecord(0x1000, 4, 16 + 65 + 16), new VramImageRecord(0x3000, 1, 16 + 65 + 16 + 4 + 16)], image.Records);
        var bytes = new byte[0x3002];
        image.Read(0, bytes);
        Assert.Equal([1, 2, 3, 4], bytes[0x1000..0x1004]);
        Assert.Equal(0xff, bytes[0x3000]);
        Assert.Equal(5, bytes.Count(b => b != 0));
        Assert.Equal(0UL, image.Read64(0xFFFF8)); // last qword of VRAM: zero
        Assert.Throws<ArgumentOutOfRangeException>(() => image.Read64(0xFFFFC));
    }

    [Fact]
    public void Round_trip_of_a_simulated_gpu_keeps_every_byte()
    {
        var hw = new SimulatedGpu(new SimulatedGpuOptions { Chip = ChipCatalog.Get("GA102"), VramSize = 1UL << 30 });
        var rnd = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var bytes = new byte[rnd.Next(1, 5000)];
            rnd.NextBytes(bytes);
            hw.Vram.Write((ulong)rnd.NextInt64(0, (1L << 30) - bytes.Length), bytes);
        }

        hw.Vram.Write(0x100000, new byte[SparseVram.ChunkSize]); // an all-zero written chunk: not stored
        hw.Vram.Write(hw.Vram.Size - 8, [9, 9, 9, 9, 9, 9, 9, 9]); // the very last bytes
        var path = Path.GetTempFileName();
        try
        {
            var header = VramImageHeader.For(hw.Chip, hw.Vram.Size, new VramAddress(0x5000), DateTimeOffset.Parse("2026-11-25T14:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
            var written = VramImage.Save(path, hw.Vram, header);
            Assert.Equal(new FileInfo(path).Length, written);
            using var image = VramImage.Open(path);
            Assert.Equal("GA102", image.Header.Chip);
            Assert.Equal(MmuVersion.V2, image.Header.Mmu);
            Assert.Equal(0x5000UL, image.Header.Bar1Pdb!.Value.Value);
            Assert.Equal("2026-11-25T14:00:00Z", image.Header.CreatedText);
            Assert.Equal(hw.Vram.Size, image.VramSize);
            var nonZero = hw.Vram.SnapshotChunks().Where(c => c.Bytes.Any(b => b != 0)).ToList();
            Assert.Equal(nonZero.Count, image.Records.Count);
            foreach (var (address, bytes) in hw.Vram.SnapshotChunks())
            {
                var back = new byte[bytes.Length];
                image.Read(address, back);
                Assert.Equal(bytes, back);
            }

            Assert.Equal(Digest(hw.Vram), Digest(image.ToSparseVram()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Unknown_keys_are_ignored_and_optional_ones_may_be_absent()
    {
        using var image = VramImage.Read(Build("{\"future\":[1,2],\"vramSize\":4096,\"created\":\"yesterday\"}"u8.ToArray(), Rec(0, [7])));
        Assert.Equal(4096UL, image.VramSize);
        Assert.Null(image.Header.Chip);
        Assert.Null(image.Header.Mmu);
        Assert.Null(image.Header.Bar1Pdb);
        Assert.Null(image.Header.Created);
        Assert.Equal("yesterday", image.Header.CreatedText);
    }

    public static TheoryData<string, byte[]> Rejections()
    {
        var ok = "{\"vramSize\":65536}"u8.ToArray();
        var valid = Build(ok, Rec(0x100, [1, 2, 3]));
        var wrongVersion = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(wrongVersion.AsSpan(8), 2);
        var headerTooLong = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(headerTooLong.AsSpan(12), 1000);
        var recordsAt = 16 + ok.Length;
        return new TheoryData<string, byte[]>
        {
            { "truncated VRAM image: the file has 0 bytes", [] },
            { "truncated VRAM image: the file has 12 bytes", valid[..12] },
            { "not a VRAM image: magic at file offset 0 is \"NOVAVRAX\"", Patch(valid, 7, (byte)'X') },
            { "not a VRAM image: magic at file offset 0 is 0x504b03042061207a", Encoding.ASCII.GetBytes("PK\u0003\u0004 a zip file, not an image") },
            { "unknown VRAM image version 2 at file offset 8", wrongVersion },
            { "truncated VRAM image: the header at file offset 16 is 1000 bytes long", headerTooLong },
            { "truncated VRAM image: the header at file offset 16 is 18 bytes long but only 10 bytes follow", valid[..26] },
            { "header at file offset 16 is a JSON array, not a JSON object", Build("[1,2]"u8.ToArray()) },
            { "header at file offset 16 is not valid UTF-8 JSON", Build([0x7b, 0xff, 0x7d]) },
            { "header at file offset 16 is not valid UTF-8 JSON", Build([]) },
            { "header at file offset 16 has no vramSize", Build("{\"chip\":\"GA102\"}"u8.ToArray()) },
            { "vramSize \"0x10000\" is not a positive integer", Build("{\"vramSize\":\"0x10000\"}"u8.ToArray()) },
            { "vramSize 0 is not a positive integer", Build("{\"vramSize\":0}"u8.ToArray()) },
            { "vramSize -5 is not a positive integer", Build("{\"vramSize\":-5}"u8.ToArray()) },
            { "mmu \"v9\" is neither \"v2\" nor \"v3\"", Build("{\"vramSize\":65536,\"mmu\":\"v9\"}"u8.ToArray()) },
            { "bar1Pdb \"4096\" is not a 0x hex address", Build("{\"vramSize\":65536,\"bar1Pdb\":\"4096\"}"u8.ToArray()) },
            { "bar1Pdb 4096 is not a string", Build("{\"vramSize\":65536,\"bar1Pdb\":4096}"u8.ToArray()) },
            { $"truncated VRAM image: record at file offset {recordsAt} needs a 16-byte offset/length prefix, only 9 bytes remain", valid[..(recordsAt + 9)] },
            { $"truncated VRAM image: record at file offset {recordsAt} (VRAM 0x100, length 0x3) needs 3 data bytes, only 2 remain", valid[..^1] },
            { $"record at file offset {recordsAt + 19} (VRAM 0x101..0x103) overlaps the previous record (VRAM 0x100..0x103)", Build(ok, Rec(0x100, [1, 2, 3]), Rec(0x101, [4, 5])) },
            { $"record at file offset {recordsAt + 18} goes backwards: VRAM 0x50 is below the previous record's start 0x100", Build(ok, Rec(0x100, [1, 2]), Rec(0x50, [4])) },
            { $"record at file offset {recordsAt} (VRAM 0xfffe, length 0x3) passes vramSize 0x10000", Build(ok, Rec(0xfffe, [1, 2, 3])) },
            { $"record at file offset {recordsAt} (VRAM 0xfffffffffffffff0, length 0x20) passes vramSize 0x10000", Build(ok, Rec(0xfffffffffffffff0, new byte[0x20])) },
        };
    }

    [Theory]
    [MemberData(nameof(Rejections))]
    public void Bad_images_are_rejected_with_a_precise_one_line_message(string expected, byte[] bytes)
    {
        var e = Assert.Throws<InvalidDataException>(() => VramImage.Read(bytes));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);

        // The file path gives the same answer.
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, bytes);
            var f = Assert.Throws<InvalidDataException>(() => VramImage.Open(path));
            Assert.Equal(e.Message, f.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Records_may_touch_and_end_exactly_at_vram_size()
    {
        using var image = VramImage.Read(Build("{\"vramSize\":16}"u8.ToArray(), Rec(0, [1, 2, 3, 4, 5, 6, 7, 8]), Rec(8, [9, 10, 11, 12, 13, 14, 15, 16])));
        Assert.Equal(0x100f0e0d0c0b0a09UL, image.Read64(8));
        Assert.Equal(0x0807060504030201UL, image.Read64(0));
    }

    [Fact]
    public void Missing_file_is_a_file_not_found_naming_it()
    {
        var e = Assert.Throws<FileNotFoundException>(() => VramImage.Open("/nonexistent/dir/x.img"));
        Assert.Contains("/nonexistent/dir/x.img", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Writer_refuses_chunks_out_of_order_or_past_vram()
    {
        var h = new VramImageHeader { VramSize = 0x10000 };
        Assert.Throws<ArgumentException>(() => VramImage.Write(Stream.Null, h, new (ulong, ReadOnlyMemory<byte>)[] { (0x100, new byte[] { 1 }), (0x50, new byte[] { 1 }) }));
        Assert.Throws<ArgumentException>(() => VramImage.Write(Stream.Null, h, new (ulong, ReadOnlyMemory<byte>)[] { (0xffff, new byte[] { 1, 2 }) }));
        Assert.Throws<ArgumentException>(() => VramImage.Write(Stream.Null, new SparseVram(0x20000), h));
    }

    [Fact]
    public void Raw_dump_without_base_reads_from_zero()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
            using var image = VramImage.FromRaw(path);
            Assert.True(image.IsRaw);
            Assert.Equal(9UL, image.VramSize);
            Assert.Equal(0x0807060504030201UL, image.Read64(0));
            Assert.Throws<ArgumentOutOfRangeException>(() => image.Read64(8));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Raw_dump_with_base_reads_zero_outside()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8]);
            using (var image = VramImage.FromRaw(path, 0x10000))
            {
                Assert.Equal(0x10008UL, image.VramSize);
                Assert.Equal(0UL, image.Read64(0xfff8));
                Assert.Equal(0x0807060504030201UL, image.Read64(0x10000));
                var span = new byte[16];
                image.Read(0xfffc, span.AsSpan(0, 12));
                Assert.Equal([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0], span);
            }

            using (var sized = VramImage.FromRaw(path, 0x10000, 1UL << 20))
            {
                Assert.Equal(1UL << 20, sized.VramSize);
                Assert.Equal(0UL, sized.Read64(0x10008));
            }

            var e = Assert.Throws<InvalidDataException>(() => VramImage.FromRaw(path, 0x10000, 0x10004));
            Assert.Contains("past the VRAM size 0x10004", e.Message, StringComparison.Ordinal);
            File.WriteAllBytes(path, []);
            Assert.Contains("is empty", Assert.Throws<InvalidDataException>(() => VramImage.FromRaw(path)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Reads_spanning_records_and_gaps_are_stitched()
    {
        using var image = VramImage.Read(Build("{\"vramSize\":64}"u8.ToArray(), Rec(4, [1, 1]), Rec(10, [2, 2, 2]), Rec(20, [3])));
        var all = new byte[64];
        image.Read(0, all);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 3 }, all[..21]);
        var mid = new byte[4];
        image.Read(11, mid);
        Assert.Equal(new byte[] { 2, 2, 0, 0 }, mid);
    }

    internal static byte[] Build(byte[] header, params byte[][] records)
    {
        using var ms = new MemoryStream();
        ms.Write("NOVAVRAM"u8);
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(u32, 1);
        ms.Write(u32);
        BinaryPrimitives.WriteUInt32LittleEndian(u32, (uint)header.Length);
        ms.Write(u32);
        ms.Write(header);
        foreach (var r in records)
        {
            ms.Write(r);
        }

        return ms.ToArray();
    }

    internal static byte[] Rec(ulong offset, byte[] bytes)
    {
        var r = new byte[16 + bytes.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(r, offset);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(8), (ulong)bytes.Length);
        bytes.CopyTo(r, 16);
        return r;
    }

    private static byte[] Patch(byte[] bytes, int at, byte value)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] = value;
        return copy;
    }

    private static string Digest(SparseVram vram) => string.Join(";", vram.SnapshotChunks()
        .Where(c => c.Bytes.Any(b => b != 0))
        .Select(c => $"{c.Address:x}:{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(c.Bytes))}"));
}
