using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using NovaMm.Hardware.Memory;
using NovaMm.Spec.Addresses;

namespace NovaMm.Hardware.Images;

/// <summary>One record of a VRAM image: <see cref="Length"/> bytes of VRAM at <see cref="Offset"/>, stored at <see cref="FileOffset"/>.</summary>
/// <param name="Offset">VRAM address of the first byte.</param>
/// <param name="Length">Bytes of VRAM the record holds.</param>
/// <param name="FileOffset">Where the record's data starts in the file (after its 16-byte offset/length prefix).</param>
public readonly record struct VramImageRecord(ulong Offset, ulong Length, long FileOffset)
{
    /// <summary>One past the record's last VRAM byte.</summary>
    public ulong End => Offset + Length;
}

/// <summary>
/// A VRAM image (docs/vram-image.md, format version 1): the written parts of a GPU's video memory, read back as a sparse
/// byte source where bytes no record covers read as zero. Also reads raw dumps (<see cref="FromRaw"/>).
/// <para>Reading validates the whole structure first (magic, version, header, every record's bounds and order) and
/// keeps only the record table in memory; data is read from the file on demand, so a large image costs what is
/// looked at. <see cref="Read(Stream)"/> copies a stream into memory instead. Thread-safe for reads.</para>
/// <para>Writing emits one record per 64 KiB chunk that is not all zero (a writer's choice the format allows, docs/vram-image.md).</para>
/// </summary>
public sealed class VramImage : IDisposable
{
    /// <summary>The eight magic bytes, ASCII <c>NOVAVRAM</c>.</summary>
    public static ReadOnlySpan<byte> Magic => "NOVAVRAM"u8;

    /// <summary>The format version this code reads and writes.</summary>
    public const uint Version = 1;

    /// <summary>Bytes before the header: magic (8), version (4), header length (4).</summary>
    public const int PreambleSize = 16;

    /// <summary>Bytes of a record's prefix: u64 offset, u64 length.</summary>
    public const int RecordPrefixSize = 16;

    /// <summary>The chunk size <see cref="Write(Stream, SparseVram, VramImageHeader)"/> splits memory into (64 KiB).</summary>
    public const int ChunkSize = SparseVram.ChunkSize;

    private readonly VramImageRecord[] _records;
    private readonly ulong[] _starts;
    private readonly ByteSource _source;

    private VramImage(VramImageHeader header, VramImageRecord[] records, ByteSource source, bool isRaw, string? path)
    {
        Header = header;
        _records = records;
        _starts = records.Select(r => r.Offset).ToArray();
        _source = source;
        IsRaw = isRaw;
        Path = path;
    }

    /// <summary>The header (for a raw dump: only <see cref="VramImageHeader.VramSize"/>).</summary>
    public VramImageHeader Header { get; }

    /// <summary>The VRAM size in bytes.</summary>
    public ulong VramSize => Header.VramSize;

    /// <summary>The records in VRAM order (a raw dump has one).</summary>
    public IReadOnlyList<VramImageRecord> Records => _records;

    /// <summary>Bytes of VRAM the records hold.</summary>
    public ulong StoredBytes => _records.Aggregate(0UL, (s, r) => s + r.Length);

    /// <summary>Whether this is a raw dump rather than a NOVAVRAM image.</summary>
    public bool IsRaw { get; }

    /// <summary>The file the image was opened from, if any.</summary>
    public string? Path { get; }

    /// <summary>Opens and validates the image at <paramref name="path"/>; data stays in the file until read.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid version-1 image; the one-line message names the problem and the file offset.</exception>
    /// <exception cref="IOException">The file cannot be read (FileNotFoundException included).</exception>
    public static VramImage Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var handle = OpenHandle(path);
        try
        {
            var source = new FileSource(handle);
            var (header, records) = Parse(source);
            return new VramImage(header, records, source, isRaw: false, path);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads and validates an image from <paramref name="stream"/> (copied into memory).</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid version-1 image (message as for <see cref="Open"/>).</exception>
    public static VramImage Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return Read(ms.ToArray());
    }

    /// <summary>Reads and validates an image held in <paramref name="bytes"/> (not copied).</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid version-1 image.</exception>
    public static VramImage Read(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var source = new ArraySource(bytes);
        var (header, records) = Parse(source);
        return new VramImage(header, records, source, isRaw: false, null);
    }

    /// <summary>
    /// A raw dump: the file's bytes are VRAM from <paramref name="baseAddress"/> on; everything else reads as zero.
    /// The VRAM size is <paramref name="vramSize"/>, or <c>baseAddress + file length</c> when not given.
    /// </summary>
    /// <exception cref="InvalidDataException">The dump is empty with no size given, or does not fit the given size.</exception>
    public static VramImage FromRaw(string path, ulong baseAddress = 0, ulong? vramSize = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var handle = OpenHandle(path);
        try
        {
            var source = new FileSource(handle);
            var length = (ulong)source.Length;
            if (baseAddress > ulong.MaxValue - length)
            {
                throw new InvalidDataException($"raw dump {path}: base 0x{baseAddress:x} + 0x{length:x} bytes passes 2^64");
            }

            var size = vramSize ?? baseAddress + length;
            if (size == 0)
            {
                throw new InvalidDataException($"raw dump {path} is empty and no VRAM size was given");
            }

            if (baseAddress + length > size)
            {
                throw new InvalidDataException($"raw dump {path}: 0x{length:x} bytes at base 0x{baseAddress:x} end at 0x{baseAddress + length:x}, past the VRAM size 0x{size:x}");
            }

            VramImageRecord[] records = length == 0 ? [] : [new VramImageRecord(baseAddress, length, 0)];
            return new VramImage(new VramImageHeader { VramSize = size }, records, source, isRaw: true, path);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Copies VRAM at <paramref name="address"/> into <paramref name="destination"/>; bytes outside every record read as zero.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range passes <see cref="VramSize"/>.</exception>
    public void Read(ulong address, Span<byte> destination)
    {
        var length = (ulong)destination.Length;
        if (address > VramSize || length > VramSize - address)
        {
            throw new ArgumentOutOfRangeException(nameof(address), address,
                $"VRAM image read 0x{address:x}+0x{length:x} is outside VRAM of 0x{VramSize:x} bytes");
        }

        // The first record that ends after address: the one containing it, or the next one.
        var i = Array.BinarySearch(_starts, address);
        i = i >= 0 ? i : Math.Max(0, ~i - 1);
        while (!destination.IsEmpty)
        {
            while (i < _records.Length && _records[i].End <= address)
            {
                i++;
            }

            if (i == _records.Length || _records[i].Offset >= address + (ulong)destination.Length)
            {
                destination.Clear();
                return;
            }

            var r = _records[i];
            if (r.Offset > address)
            {
                var gap = (int)(r.Offset - address);
                destination[..gap].Clear();
                destination = destination[gap..];
                address = r.Offset;
            }

            var n = (int)Math.Min((ulong)destination.Length, r.End - address);
            _source.Read(r.FileOffset + (long)(address - r.Offset), destination[..n]);
            destination = destination[n..];
            address += (ulong)n;
        }
    }

    /// <summary>Reads a little-endian 64-bit value at <paramref name="address"/>.</summary>
    public ulong Read64(ulong address)
    {
        Span<byte> b = stackalloc byte[8];
        Read(address, b);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <summary>Whether <c>[address, address + length)</c> lies inside VRAM.</summary>
    public bool Contains(ulong address, ulong length) => address <= VramSize && length <= VramSize - address;

    /// <summary>Copies every record into a new <see cref="SparseVram"/> of <see cref="VramSize"/> bytes.</summary>
    public SparseVram ToSparseVram()
    {
        var vram = new SparseVram(VramSize);
        var buffer = new byte[ChunkSize];
        foreach (var r in _records)
        {
            for (var a = r.Offset; a < r.End;)
            {
                var n = (int)Math.Min((ulong)buffer.Length, r.End - a);
                _source.Read(r.FileOffset + (long)(a - r.Offset), buffer.AsSpan(0, n));
                vram.Write(a, buffer.AsSpan(0, n));
                a += (ulong)n;
            }
        }

        return vram;
    }

    /// <summary>Writes the image of <paramref name="vram"/> (one record per written, non-zero 64 KiB chunk); returns bytes written.</summary>
    /// <exception cref="ArgumentException">The header's VRAM size differs from <paramref name="vram"/>'s.</exception>
    public static long Write(Stream stream, SparseVram vram, VramImageHeader header)
    {
        ArgumentNullException.ThrowIfNull(vram);
        ArgumentNullException.ThrowIfNull(header);
        if (header.VramSize != vram.Size)
        {
            throw new ArgumentException($"header vramSize 0x{header.VramSize:x} differs from the VRAM's size 0x{vram.Size:x}", nameof(header));
        }

        return Write(stream, header, vram.SnapshotChunks().Select(c => (c.Address, (ReadOnlyMemory<byte>)c.Bytes)));
    }

    /// <summary>
    /// Writes an image of <paramref name="chunks"/> (VRAM address, bytes), each written as one record unless it is
    /// all zero; returns bytes written. Chunks must be in increasing address order, must not overlap and must end
    /// at or below <see cref="VramImageHeader.VramSize"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Chunks out of order, overlapping or past the VRAM size (nothing is validated after the first bad one; the stream holds a partial image).</exception>
    public static long Write(Stream stream, VramImageHeader header, IEnumerable<(ulong Address, ReadOnlyMemory<byte> Bytes)> chunks)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(chunks);
        if (header.VramSize == 0)
        {
            throw new ArgumentException("header vramSize is 0", nameof(header));
        }

        var json = header.ToJsonBytes();
        Span<byte> prefix = stackalloc byte[PreambleSize];
        Magic.CopyTo(prefix);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix[12..], (uint)json.Length);
        stream.Write(prefix);
        stream.Write(json);
        long written = PreambleSize + json.Length;
        ulong end = 0;
        var first = true;
        foreach (var (address, bytes) in chunks)
        {
            var length = (ulong)bytes.Length;
            if (!first && address < end)
            {
                throw new ArgumentException($"chunk at 0x{address:x} is below the end 0x{end:x} of the previous one (out of order or overlapping)", nameof(chunks));
            }

            if (address > header.VramSize || length > header.VramSize - address)
            {
                throw new ArgumentException($"chunk 0x{address:x}+0x{length:x} passes the VRAM size 0x{header.VramSize:x}", nameof(chunks));
            }

            first = false;
            end = address + length;
            if (bytes.Span.IndexOfAnyExcept((byte)0) < 0)
            {
                continue;
            }

            BinaryPrimitives.WriteUInt64LittleEndian(prefix, address);
            BinaryPrimitives.WriteUInt64LittleEndian(prefix[8..], length);
            stream.Write(prefix);
            stream.Write(bytes.Span);
            written += RecordPrefixSize + bytes.Length;
        }

        stream.Flush();
        return written;
    }

    /// <summary>Writes the image of <paramref name="vram"/> to the file <paramref name="path"/> (replacing it); returns bytes written.</summary>
    public static long Save(string path, SparseVram vram, VramImageHeader header)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        return Write(file, vram, header);
    }

    /// <summary>Closes the file, if the image was opened from one.</summary>
    public void Dispose() => _source.Dispose();

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{(IsRaw ? "raw dump" : "VRAM image")} {Path ?? "(memory)"}: VRAM 0x{VramSize:x}, {_records.Length} records, 0x{StoredBytes:x} bytes stored");

    private static SafeFileHandle OpenHandle(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"cannot read {path}: {e.Message}", e);
        }
        catch (FileNotFoundException)
        {
            throw new FileNotFoundException($"no such file: {path}", path);
        }
        catch (DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"no such file: {path}", path);
        }
    }

    private static (VramImageHeader Header, VramImageRecord[] Records) Parse(ByteSource source)
    {
        var fileLength = source.Length;
        Span<byte> prefix = stackalloc byte[PreambleSize];
        if (fileLength < PreambleSize)
        {
            var have = (int)fileLength;
            source.Read(0, prefix[..have]);
            if (!prefix[..Math.Min(have, 8)].SequenceEqual(Magic[..Math.Min(have, 8)]))
            {
                throw new InvalidDataException($"not a VRAM image: magic at file offset 0 is {Describe(prefix[..Math.Min(have, 8)])}, expected \"NOVAVRAM\"");
            }

            throw new InvalidDataException($"truncated VRAM image: the file has {fileLength} bytes, the preamble (magic, version, header length) at file offset 0 needs {PreambleSize}");
        }

        source.Read(0, prefix);
        if (!prefix[..8].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"not a VRAM image: magic at file offset 0 is {Describe(prefix[..8])}, expected \"NOVAVRAM\"");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        if (version != Version)
        {
            throw new InvalidDataException($"unknown VRAM image version {version} at file offset 8 (this reader knows version {Version})");
        }

        var headerLength = (long)BinaryPrimitives.ReadUInt32LittleEndian(prefix[12..]);
        if (headerLength > fileLength - PreambleSize)
        {
            throw new InvalidDataException($"truncated VRAM image: the header at file offset {PreambleSize} is {headerLength} bytes long but only {fileLength - PreambleSize} bytes follow");
        }

        var json = new byte[headerLength];
        source.Read(PreambleSize, json);
        var header = VramImageHeader.Parse(json, PreambleSize);

        var records = new List<VramImageRecord>();
        var position = PreambleSize + headerLength;
        ulong previousStart = 0, previousEnd = 0;
        var any = false;
        while (position < fileLength)
        {
            var remaining = fileLength - position;
            if (remaining < RecordPrefixSize)
            {
                throw new InvalidDataException($"truncated VRAM image: record at file offset {position} needs a {RecordPrefixSize}-byte offset/length prefix, only {remaining} bytes remain");
            }

            source.Read(position, prefix);
            var offset = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            var length = BinaryPrimitives.ReadUInt64LittleEndian(prefix[8..]);
            var data = position + RecordPrefixSize;
            if (length > (ulong)(fileLength - data))
            {
                throw new InvalidDataException($"truncated VRAM image: record at file offset {position} (VRAM 0x{offset:x}, length 0x{length:x}) needs {length} data bytes, only {fileLength - data} remain");
            }

            if (any && offset < previousStart)
            {
                throw new InvalidDataException($"VRAM image record at file offset {position} goes backwards: VRAM 0x{offset:x} is below the previous record's start 0x{previousStart:x}");
            }

            if (any && offset < previousEnd)
            {
                throw new InvalidDataException($"VRAM image record at file offset {position} (VRAM 0x{offset:x}..0x{offset + length:x}) overlaps the previous record (VRAM 0x{previousStart:x}..0x{previousEnd:x})");
            }

            if (offset > header.VramSize || length > header.VramSize - offset)
            {
                throw new InvalidDataException($"VRAM image record at file offset {position} (VRAM 0x{offset:x}, length 0x{length:x}) passes vramSize 0x{header.VramSize:x}");
            }

            if (length > 0)
            {
                records.Add(new VramImageRecord(offset, length, data));
            }

            any = true;
            previousStart = offset;
            previousEnd = offset + length;
            position = data + (long)length;
        }

        return (header, records.ToArray());
    }

    private static string Describe(ReadOnlySpan<byte> bytes)
    {
        var printable = bytes.ToArray().All(b => b is >= 0x20 and < 0x7f);
        return printable
            ? "\"" + System.Text.Encoding.ASCII.GetString(bytes) + "\""
            : "0x" + Convert.ToHexString(bytes).ToLowerInvariant();
    }

    /// <summary>Where image bytes come from: a file read positionally (thread-safe) or an array.</summary>
    private abstract class ByteSource : IDisposable
    {
        public abstract long Length { get; }

        public abstract void Read(long offset, Span<byte> destination);

        public virtual void Dispose()
        {
        }
    }

    private sealed class ArraySource(byte[] bytes) : ByteSource
    {
        public override long Length => bytes.LongLength;

        public override void Read(long offset, Span<byte> destination) => bytes.AsSpan((int)offset, destination.Length).CopyTo(destination);
    }

    private sealed class FileSource(SafeFileHandle handle) : ByteSource
    {
        private readonly long _length = RandomAccess.GetLength(handle);

        public override long Length => _length;

        public override void Read(long offset, Span<byte> destination)
        {
            while (!destination.IsEmpty)
            {
                var n = RandomAccess.Read(handle, destination, offset);
                if (n <= 0)
                {
                    throw new IOException($"the image file ended at offset {offset} while reading (was it changed after it was opened?)");
                }

                destination = destination[n..];
                offset += n;
            }
        }

        public override void Dispose() => handle.Dispose();
    }
}
