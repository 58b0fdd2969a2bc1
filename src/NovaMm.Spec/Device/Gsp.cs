namespace NovaMm.Spec.Device;

/// <summary>
/// One entry of <c>NV2080_CTRL_CMD_FB_GET_FB_REGION_INFO_PARAMS.fbRegion[]</c> as GSP-RM returns it in its static
/// info (RM <c>ctrl2080fb.h</c>; docs/gsp-fb-layout.md): 48 bytes — base u64 @0, limit u64 @8 (inclusive), reserved u64 @16 (bytes RM may need
/// inside the region), performance u32 @24, supportCompressed u8 @28, supportISO u8 @29, bProtected u8 @30,
/// blackList[17] @31 (deprecated, not modelled).
/// </summary>
/// <param name="Base">First byte of the region.</param>
/// <param name="Limit">Last byte of the region (inclusive); an entry with Limit &lt; Base is empty.</param>
/// <param name="Reserved">Bytes RM may need inside the region.</param>
/// <param name="Performance">Relative performance.</param>
/// <param name="SupportCompressed">Compressed kinds allowed.</param>
/// <param name="SupportIso">Isochronous (display) traffic allowed.</param>
/// <param name="Protected">Protected (e.g. WPR) memory.</param>
public readonly record struct FbRegionInfo(
    ulong Base, ulong Limit, ulong Reserved, uint Performance, bool SupportCompressed, bool SupportIso, bool Protected)
{
    /// <summary>Size in bytes of one encoded entry.</summary>
    public const int EncodedSize = 48;

    /// <summary>Whether the entry describes memory at all (limit ≥ base).</summary>
    public bool IsValid => Limit >= Base;

    /// <summary>Writes the 48-byte firmware layout.</summary>
    public void Encode(Span<byte> destination)
    {
        destination[..EncodedSize].Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(destination, Base);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], Limit);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], Reserved);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], Performance);
        destination[28] = SupportCompressed ? (byte)1 : (byte)0;
        destination[29] = SupportIso ? (byte)1 : (byte)0;
        destination[30] = Protected ? (byte)1 : (byte)0;
    }

    /// <summary>Reads the 48-byte firmware layout.</summary>
    public static FbRegionInfo Decode(ReadOnlySpan<byte> source) => new(
        System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(source),
        System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(source[8..]),
        System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(source[16..]),
        System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(source[24..]),
        source[28] != 0, source[29] != 0, source[30] != 0);
}

/// <summary>
/// The parts of <c>GspStaticConfigInfo_t</c> (r570 bindings) this stack reads (docs/gsp-fb-layout.md): the FB region
/// table (<c>fbRegionInfoParams</c>: <c>numFBRegions</c> u32, 4 bytes padding, 16 × 48-byte entries, kept raw
/// here so the driver decodes it as nova-core does), <c>fb_length</c>, <c>bar1PdeBase</c>, <c>bar2PdeBase</c>,
/// <c>gpuNameString[64]</c>.
/// </summary>
/// <param name="GpuName">The GPU's name string.</param>
/// <param name="FbRegionInfoParams">Raw NV2080_CTRL_CMD_FB_GET_FB_REGION_INFO_PARAMS bytes (8 + 16 × 48).</param>
/// <param name="FbLength">Total frame-buffer length in bytes.</param>
/// <param name="Bar1PdeBase">VRAM address of the BAR1 root page directory that GSP-RM built.</param>
/// <param name="Bar2PdeBase">VRAM address of the BAR2 root page directory (0 where not built).</param>
public sealed record GspStaticConfigInfo(string GpuName, byte[] FbRegionInfoParams, ulong FbLength, ulong Bar1PdeBase, ulong Bar2PdeBase)
{
    /// <summary>The fixed number of entries in the region array.</summary>
    public const int MaxFbRegions = 16;

    /// <summary>Size of the raw region-info parameters.</summary>
    public const int FbRegionInfoParamsSize = 8 + (MaxFbRegions * FbRegionInfo.EncodedSize);

    /// <summary>Builds the raw region-info parameters from entries (at most 16).</summary>
    public static byte[] EncodeFbRegions(IReadOnlyList<FbRegionInfo> regions)
    {
        if (regions.Count > MaxFbRegions)
        {
            throw new ArgumentOutOfRangeException(nameof(regions), regions.Count, $"at most {MaxFbRegions} FB regions fit the table");
        }

        var bytes = new byte[FbRegionInfoParamsSize];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)regions.Count);
        for (var i = 0; i < regions.Count; i++)
        {
            regions[i].Encode(bytes.AsSpan(8 + (i * FbRegionInfo.EncodedSize)));
        }

        return bytes;
    }
}

/// <summary>
/// The driver's channel to the GPU System Processor. On hardware this is the GSP message queue (command and
/// status queues in shared system memory, RPCs such as GET_GSP_STATIC_INFO); the simulated GPU answers the
/// same requests directly.
/// </summary>
public interface IGspRpc
{
    /// <summary>
    /// Boots GSP-RM: it reserves its regions at the top of VRAM, builds the BAR1 instance block and root page
    /// directory there, and binds BAR1. Idempotent: a second call returns without change.
    /// </summary>
    void Boot();

    /// <summary>The GET_GSP_STATIC_INFO reply. Throws <see cref="InvalidOperationException"/> before <see cref="Boot"/>.</summary>
    GspStaticConfigInfo GetStaticInfo();
}
