using System.Buffers.Binary;

namespace NovaMm.Hardware.Memory;

/// <summary>
/// The GPU's video memory, allocated in 64 KiB chunks on first write so a 192 GiB board costs only what is
/// touched (docs/architecture.md, "The hardware model"). Unwritten memory reads as zero. Thread-safe: one lock guards
/// the chunk table and the bytes (accesses are short copies).
/// </summary>
public sealed class SparseVram
{
    /// <summary>Allocation granule: 64 KiB.</summary>
    public const int ChunkSize = 64 * 1024;

    private const int ChunkShift = 16;
    private readonly Dictionary<ulong, byte[]> _chunks = [];
    private readonly Lock _lock = new();

    /// <summary>Creates VRAM of <paramref name="size"/> bytes.</summary>
    public SparseVram(ulong size)
    {
        ArgumentOutOfRangeException.ThrowIfZero(size);
        Size = size;
    }

    /// <summary>The VRAM size in bytes.</summary>
    public ulong Size { get; }

    /// <summary>Bytes of host memory backing written chunks.</summary>
    public ulong ResidentBytes
    {
        get
        {
            lock (_lock)
            {
                return (ulong)_chunks.Count * ChunkSize;
            }
        }
    }

    /// <summary>Copies VRAM at <paramref name="address"/> into <paramref name="destination"/>.</summary>
    public void Read(ulong address, Span<byte> destination)
    {
        CheckRange(address, (ulong)destination.Length);
        lock (_lock)
        {
            while (!destination.IsEmpty)
            {
                var offset = (int)(address & (ChunkSize - 1));
                var n = Math.Min(destination.Length, ChunkSize - offset);
                if (_chunks.TryGetValue(address >> ChunkShift, out var chunk))
                {
                    chunk.AsSpan(offset, n).CopyTo(destination);
                }
                else
                {
                    destination[..n].Clear();
                }

                destination = destination[n..];
                address += (ulong)n;
            }
        }
    }

    /// <summary>Copies <paramref name="source"/> into VRAM at <paramref name="address"/>.</summary>
    public void Write(ulong address, ReadOnlySpan<byte> source)
    {
        CheckRange(address, (ulong)source.Length);
        lock (_lock)
        {
            while (!source.IsEmpty)
            {
                var offset = (int)(address & (ChunkSize - 1));
                var n = Math.Min(source.Length, ChunkSize - offset);
                source[..n].CopyTo(GetOrCreate(address >> ChunkShift).AsSpan(offset, n));
                source = source[n..];
                address += (ulong)n;
            }
        }
    }

    /// <summary>Sets <paramref name="length"/> bytes at <paramref name="address"/> to <paramref name="value"/>.</summary>
    public void Fill(ulong address, ulong length, byte value)
    {
        CheckRange(address, length);
        lock (_lock)
        {
            while (length > 0)
            {
                var offset = (int)(address & (ChunkSize - 1));
                var n = (int)Math.Min(length, (ulong)(ChunkSize - offset));
                var key = address >> ChunkShift;
                if (value == 0 && !_chunks.ContainsKey(key))
                {
                    // Zero over unwritten memory changes nothing: it already reads as zero.
                }
                else
                {
                    GetOrCreate(key).AsSpan(offset, n).Fill(value);
                }

                length -= (ulong)n;
                address += (ulong)n;
            }
        }
    }

    /// <summary>Reads a little-endian 32-bit value.</summary>
    public uint Read32(ulong address)
    {
        Span<byte> b = stackalloc byte[4];
        Read(address, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    /// <summary>Reads a little-endian 64-bit value.</summary>
    public ulong Read64(ulong address)
    {
        Span<byte> b = stackalloc byte[8];
        Read(address, b);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <summary>Writes a little-endian 32-bit value.</summary>
    public void Write32(ulong address, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Write(address, b);
    }

    /// <summary>Writes a little-endian 64-bit value.</summary>
    public void Write64(ulong address, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        Write(address, b);
    }

    /// <summary>The written chunks in address order, as (address, copy of the bytes), for VRAM images.</summary>
    public IReadOnlyList<(ulong Address, byte[] Bytes)> SnapshotChunks()
    {
        lock (_lock)
        {
            return _chunks.OrderBy(kv => kv.Key)
                .Select(kv => (kv.Key << ChunkShift, (byte[])kv.Value.Clone()))
                .ToList();
        }
    }

    private byte[] GetOrCreate(ulong key)
    {
        if (!_chunks.TryGetValue(key, out var chunk))
        {
            chunk = new byte[ChunkSize];
            _chunks[key] = chunk;
        }

        return chunk;
    }

    private void CheckRange(ulong address, ulong length)
    {
        if (address >= Size || length > Size - address)
        {
            throw new ArgumentOutOfRangeException(nameof(address), address,
                $"VRAM access 0x{address:x}+0x{length:x} is outside VRAM of 0x{Size:x} bytes");
        }
    }
}
