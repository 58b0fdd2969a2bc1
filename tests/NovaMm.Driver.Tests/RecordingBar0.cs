using NovaMm.Spec.Device;

namespace NovaMm.Driver.Tests;

/// <summary>An <see cref="IBar0"/> decorator that records register writes and lets a test override reads.</summary>
internal sealed class RecordingBar0(IBar0 inner) : IBar0
{
    public List<(ulong Offset, uint Value)> Writes32 { get; } = [];

    public List<ulong> Accesses { get; } = [];

    public Dictionary<ulong, uint> ReadOverrides { get; } = [];

    public ulong Length => inner.Length;

    public byte Read8(ulong offset) { Accesses.Add(offset); return inner.Read8(offset); }

    public ushort Read16(ulong offset) { Accesses.Add(offset); return inner.Read16(offset); }

    public uint Read32(ulong offset) { Accesses.Add(offset); return ReadOverrides.TryGetValue(offset, out var v) ? v : inner.Read32(offset); }

    public ulong Read64(ulong offset) { Accesses.Add(offset); return inner.Read64(offset); }

    public void Write8(ulong offset, byte value) { Accesses.Add(offset); inner.Write8(offset, value); }

    public void Write16(ulong offset, ushort value) { Accesses.Add(offset); inner.Write16(offset, value); }

    public void Write32(ulong offset, uint value) { Accesses.Add(offset); Writes32.Add((offset, value)); inner.Write32(offset, value); }

    public void Write64(ulong offset, ulong value) { Accesses.Add(offset); inner.Write64(offset, value); }

    public void ReadBlock(ulong offset, Span<byte> destination) { Accesses.Add(offset); inner.ReadBlock(offset, destination); }

    public void WriteBlock(ulong offset, ReadOnlySpan<byte> source) { Accesses.Add(offset); inner.WriteBlock(offset, source); }

    public void Fill(ulong offset, ulong length, byte value) { Accesses.Add(offset); inner.Fill(offset, length, value); }
}

/// <summary>A GSP whose static info a test crafts.</summary>
internal sealed class CraftedGsp(GspStaticConfigInfo info) : IGspRpc
{
    public void Boot()
    {
    }

    public GspStaticConfigInfo GetStaticInfo() => info;
}
