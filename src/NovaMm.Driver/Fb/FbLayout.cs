using System.Buffers.Binary;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Device;

namespace NovaMm.Driver.Fb;

/// <summary>
/// The frame-buffer layout the driver learns from GSP-RM's static info (docs/gsp-fb-layout.md): every region of the FB
/// region table, the usable ones, and <c>total_fb_end</c>.
/// </summary>
/// <param name="Regions">Every entry of the table, in table order (including empty ones).</param>
/// <param name="Usable">The usable regions, in table order.</param>
/// <param name="TotalFbEnd">One past the highest byte of any valid region: the limit of PRAMIN accesses.</param>
public sealed record FbLayout(IReadOnlyList<FbRegionInfo> Regions, IReadOnlyList<VramRange> Usable, ulong TotalFbEnd)
{
    /// <summary>Total usable bytes.</summary>
    public ulong UsableBytes => Usable.Aggregate(0UL, (sum, r) => sum + r.Size);

    /// <summary>
    /// The usability rule (nova-core <c>first_usable_fb_region</c>, docs/gsp-fb-layout.md; extended to every region as later
    /// nova-core does): limit ≥ base, <c>reserved</c> = 0, not protected, compression and ISO supported.
    /// </summary>
    public static bool IsUsable(FbRegionInfo region) =>
        region.IsValid && region.Reserved == 0 && !region.Protected && region.SupportCompressed && region.SupportIso;

    /// <summary>Decodes the raw NV2080_CTRL_CMD_FB_GET_FB_REGION_INFO_PARAMS of <paramref name="info"/>.</summary>
    /// <exception cref="NovaMmException"><see cref="ErrorCode.NoDevice"/> when the table is malformed, has no valid region or no usable one.</exception>
    public static FbLayout FromStaticInfo(GspStaticConfigInfo info) => FromRegionInfoParams(info.FbRegionInfoParams);

    /// <summary>Decodes raw region-info parameters (count, padding, 16 × 48-byte entries).</summary>
    /// <exception cref="NovaMmException">See <see cref="FromStaticInfo"/>.</exception>
    public static FbLayout FromRegionInfoParams(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < GspStaticConfigInfo.FbRegionInfoParamsSize)
        {
            throw new NovaMmException(ErrorCode.NoDevice, $"FB region table is {raw.Length} bytes, expected {GspStaticConfigInfo.FbRegionInfoParamsSize}");
        }

        var count = BinaryPrimitives.ReadUInt32LittleEndian(raw);
        var n = (int)Math.Min(count, GspStaticConfigInfo.MaxFbRegions); // bounded by the 16-entry array
        var regions = new List<FbRegionInfo>(n);
        for (var i = 0; i < n; i++)
        {
            regions.Add(FbRegionInfo.Decode(raw[(8 + (i * FbRegionInfo.EncodedSize))..]));
        }

        return FromRegions(regions);
    }

    /// <summary>Builds the layout from decoded entries.</summary>
    /// <exception cref="NovaMmException">See <see cref="FromStaticInfo"/>.</exception>
    public static FbLayout FromRegions(IReadOnlyList<FbRegionInfo> regions)
    {
        var valid = regions.Where(r => r.IsValid).ToList();
        if (valid.Count == 0)
        {
            throw new NovaMmException(ErrorCode.NoDevice, "GSP reported no valid FB region (every entry has limit < base)");
        }

        if (valid.Any(r => r.Limit == ulong.MaxValue))
        {
            throw new NovaMmException(ErrorCode.NoDevice, "GSP reported an FB region ending at 2^64 - 1");
        }

        var usable = regions.Where(IsUsable).Select(r => new VramRange(new VramAddress(r.Base), r.Limit - r.Base + 1)).ToList();
        if (usable.Count == 0)
        {
            throw new NovaMmException(ErrorCode.NoDevice, "No usable FB regions found from GSP");
        }

        var end = valid.Max(r => r.Limit + 1);
        return new FbLayout(regions, usable, end);
    }
}
