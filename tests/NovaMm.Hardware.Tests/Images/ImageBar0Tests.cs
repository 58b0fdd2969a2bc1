using NovaMm.Hardware.Bus;
using NovaMm.Hardware.Images;
using NovaMm.Spec.Chips;
using NovaMm.Spec.PageTables;
using NovaMm.Spec.Registers;

namespace NovaMm.Hardware.Tests.Images;

/// <summary>The image-backed BAR0: window register, aperture, refused or overlaid writes, other registers.</summary>
public class ImageBar0Tests
{
    private const ulong Aperture = PraminWindowLayout.ApertureOffset;

    private static VramImage Image()
    {
        // 4 MiB of VRAM: bytes at 0x10, at 0x1_0000 and at the very end.
        var vram = new Memory.SparseVram(4UL << 20);
        vram.Write64(0x10, 0x1122334455667788);
        vram.Write64(0x1_0000, 0xAABBCCDDEEFF0011);
        vram.Write64((4UL << 20) - 8, 0x0102030405060708);
        using var ms = new MemoryStream();
        VramImage.Write(ms, vram, new VramImageHeader { VramSize = vram.Size, Chip = "GA102", Mmu = MmuVersion.V2 });
        return VramImage.Read(ms.ToArray());
    }

    [Fact]
    public void Aperture_shows_the_image_from_the_window_base()
    {
        using var image = Image();
        var layout = PraminWindowLayout.PbusBar0Window;
        var bar0 = new ImageBar0(image, layout);
        Assert.Equal(layout.Encode(0), bar0.Read32(layout.RegisterOffset));
        Assert.Equal(0x1122334455667788UL, bar0.Read64(Aperture + 0x10));
        Assert.Equal(0x55667788U, bar0.Read32(Aperture + 0x10));
        Assert.Equal(0x88, bar0.Read8(Aperture + 0x10));
        bar0.Write32(layout.RegisterOffset, layout.Encode(0x1_0000));
        Assert.Equal(0x1_0000UL, bar0.WindowBase);
        Assert.Equal(0xAABBCCDDEEFF0011UL, bar0.Read64(Aperture));
        var block = new byte[16];
        bar0.ReadBlock(Aperture, block);
        Assert.Equal(0x11, block[0]);

        // Window over the end of VRAM: past it the aperture reads all-ones.
        bar0.Write32(layout.RegisterOffset, layout.Encode((4UL << 20) - 0x1_0000));
        Assert.Equal(0x0102030405060708UL, bar0.Read64(Aperture + 0xFFF8));
        Assert.Equal(ulong.MaxValue, bar0.Read64(Aperture + 0x1_0000));
    }

    [Fact]
    public void Writes_are_refused_by_default_and_overlaid_when_asked()
    {
        using var image = Image();
        var layout = ImageBar0.LayoutFor(image.Header);
        var ro = new ImageBar0(image, layout);
        var e = Assert.Throws<InvalidOperationException>(() => ro.Write64(Aperture + 0x10, 5));
        Assert.Contains("read-only", e.Message, StringComparison.Ordinal);
        Assert.Contains("VRAM 0x10", e.Message, StringComparison.Ordinal);

        var rw = new ImageBar0(image, layout, writable: true);
        rw.Write32(Aperture + 0x14, 0xCAFEF00D);
        Assert.Equal(0xCAFEF00D_55667788UL, rw.Read64(Aperture + 0x10));
        rw.Fill(Aperture + 0x20, 4, 0xEE);
        Assert.Equal(0xEEEEEEEEU, rw.Read32(Aperture + 0x20));
        Assert.Equal(0x1122334455667788UL, image.Read64(0x10)); // the image itself is unchanged
        Assert.Equal(0x1122334455667788UL, ro.Read64(Aperture + 0x10)); // and so is another view of it
    }

    [Fact]
    public void Other_registers_read_the_bad_value_and_drop_writes()
    {
        using var image = Image();
        var bar0 = new ImageBar0(image, PraminWindowLayout.PbusBar0Window);
        Assert.Equal(Bar0Bus.BadRegisterValue, bar0.Read32(0)); // NV_PMC_BOOT_0 is not served
        bar0.Write32(0x100, 1);
        Assert.Equal(1, bar0.BadReads);
        Assert.Equal(1, bar0.BadWrites);
        Assert.Throws<ArgumentOutOfRangeException>(() => bar0.Read32(bar0.Length));
        Assert.Throws<ArgumentException>(() => bar0.Read32(Aperture + 2));
    }

    [Theory]
    [InlineData(null, null, "NV_PBUS_BAR0_WINDOW")]
    [InlineData(null, MmuVersion.V2, "NV_PBUS_BAR0_WINDOW")]
    [InlineData(null, MmuVersion.V3, "NV_XAL_EP_BAR0_WINDOW (GB100)")]
    [InlineData("GH100", null, "NV_XAL_EP_BAR0_WINDOW")]
    [InlineData("GB202", null, "NV_XAL_EP_BAR0_WINDOW (GB100)")]
    [InlineData("TU102", MmuVersion.V2, "NV_PBUS_BAR0_WINDOW")]
    [InlineData("XY999", MmuVersion.V3, "NV_XAL_EP_BAR0_WINDOW (GB100)")]
    public void Window_register_comes_from_the_chip_else_the_mmu_version(string? chip, MmuVersion? mmu, string register)
    {
        var header = new VramImageHeader { VramSize = 1 << 20, Chip = chip, Mmu = mmu };
        Assert.Equal(register, ImageBar0.LayoutFor(header).RegisterName);
        Assert.Equal("NV_XAL_EP_BAR0_WINDOW", ImageBar0.LayoutFor(header, ChipCatalog.Get("GH100")).RegisterName);
    }
}
