using NovaMm.Driver.Bar;
using NovaMm.Driver.Boot;
using NovaMm.Driver.Fb;
using NovaMm.Driver.Memory;
using NovaMm.Driver.Mmu;
using NovaMm.Driver.SelfTests;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;
using NovaMm.Spec.Device;

namespace NovaMm.Driver;

/// <summary>
/// One booted GPU as the driver holds it (nova-core <c>gpu.rs</c>): identification, GSP static info, the FB
/// layout, and the memory-management objects built from them. Created by <see cref="Boot"/> in nova-core's
/// order: identify, boot GSP, read static info, build the FB layout, cross-check the size register, then PRAMIN,
/// the TLB, GpuMm over every usable region, and the BAR1 user interface.
/// </summary>
public sealed class Gpu
{
    private Gpu(IBar0 bar0, ChipIdentity identity, GspStaticConfigInfo info, FbLayout layout, ulong vramSizeRegister, Pramin.Pramin pramin, GpuMm mm, BarUser barUser)
    {
        Mm = mm;
        BarUser = barUser;
        Bar0 = bar0;
        Identity = identity;
        StaticInfo = info;
        FbLayout = layout;
        VramSizeFromRegister = vramSizeRegister;
        Pramin = pramin;
    }

    /// <summary>BAR0.</summary>
    public IBar0 Bar0 { get; }

    /// <summary>Which chip this is.</summary>
    public ChipIdentity Identity { get; }

    /// <summary>The chip's catalog data.</summary>
    public ChipInfo Chip => Identity.Chip;

    /// <summary>GSP-RM's static info reply.</summary>
    public GspStaticConfigInfo StaticInfo { get; }

    /// <summary>The frame-buffer layout from the static info.</summary>
    public FbLayout FbLayout { get; }

    /// <summary>The VRAM size in the chip's size register.</summary>
    public ulong VramSizeFromRegister { get; }

    /// <summary>The BAR1 root page directory GSP-RM built (<c>bar1PdeBase</c>).</summary>
    public VramAddress Bar1Pdb => new(StaticInfo.Bar1PdeBase);

    /// <summary>PRAMIN over all of VRAM GSP reported (<c>[0, total_fb_end)</c>).</summary>
    public Pramin.Pramin Pramin { get; }

    /// <summary>The memory manager: VRAM allocators over the usable regions, PRAMIN and the TLB.</summary>
    public GpuMm Mm { get; }

    /// <summary>CPU access to GPU memory through BAR1, over GSP's BAR1 address space.</summary>
    public BarUser BarUser { get; }

    /// <summary>TLB invalidation.</summary>
    public Tlb Tlb => Mm.Tlb;

    /// <summary>Boots the GPU behind <paramref name="bar0"/>, <paramref name="bar1"/> and <paramref name="gsp"/>.</summary>
    /// <exception cref="NovaMmException"><see cref="ErrorCode.NoDevice"/>: unknown chip, no usable VRAM, or a region
    /// table that disagrees with the VRAM-size register.</exception>
    public static Gpu Boot(IBar0 bar0, IBar1 bar1, IGspRpc gsp, TimeSpan? tlbTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(bar0);
        ArgumentNullException.ThrowIfNull(bar1);
        ArgumentNullException.ThrowIfNull(gsp);
        var identity = ChipIdentity.Read(bar0);
        gsp.Boot();
        var info = gsp.GetStaticInfo();
        var layout = FbLayout.FromStaticInfo(info);

        var sizeRegister = VramSizeRegister.Read(bar0, identity.Chip.VramSizeRegister);
        if (layout.TotalFbEnd > sizeRegister)
        {
            throw new NovaMmException(ErrorCode.NoDevice,
                $"GSP reports FB up to 0x{layout.TotalFbEnd:x} but {VramSizeRegister.NameOf(identity.Chip.VramSizeRegister)} says VRAM is 0x{sizeRegister:x} bytes");
        }

        if (layout.TotalFbEnd > identity.Chip.PraminWindow.Reach)
        {
            throw new NovaMmException(ErrorCode.NoDevice,
                $"FB end 0x{layout.TotalFbEnd:x} is beyond what {identity.Chip.PraminWindow.RegisterName} reaches (0x{identity.Chip.PraminWindow.Reach:x})");
        }

        var pramin = new Pramin.Pramin(bar0, identity.Chip.PraminWindow, layout.TotalFbEnd);
        var mm = new GpuMm(layout, pramin, new Tlb(bar0, tlbTimeout));
        var barUser = new BarUser(mm, bar1, new VramAddress(info.Bar1PdeBase), identity.Chip.Format);
        return new Gpu(bar0, identity, info, layout, sizeRegister, pramin, mm, barUser);
    }
}
