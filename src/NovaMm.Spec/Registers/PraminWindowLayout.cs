using NovaMm.Spec.Bits;

namespace NovaMm.Spec.Registers;

/// <summary>
/// A chip's PRAMIN window register as data: which typed register it is, where it sits and how far it reaches.
/// Chosen per chip in the catalog, so neither the model nor the driver branches on the chip.
/// </summary>
public abstract class PraminWindowLayout
{
    /// <summary>BAR0 offset of the PRAMIN aperture (NV_PRAMIN, "Priv Ram BAR0 Window 1M", DOC-RAM-TU).</summary>
    public const ulong ApertureOffset = 0x0070_0000;

    /// <summary>Size of the PRAMIN aperture, 1 MiB.</summary>
    public const ulong ApertureSize = 0x0010_0000;

    /// <summary>NV_PBUS_BAR0_WINDOW (Turing, Ampere, Ada).</summary>
    public static PraminWindowLayout PbusBar0Window { get; } = new Layout<NV_PBUS_BAR0_WINDOW>();

    /// <summary>NV_XAL_EP_BAR0_WINDOW with BASE 21:0 (Hopper).</summary>
    public static PraminWindowLayout XalEpHopper { get; } = new Layout<NV_XAL_EP_BAR0_WINDOW>();

    /// <summary>NV_XAL_EP_BAR0_WINDOW with BASE 22:0 (Blackwell).</summary>
    public static PraminWindowLayout XalEpBlackwell { get; } = new Layout<NV_XAL_EP_BAR0_WINDOW_GB100>();

    /// <summary>The register's name.</summary>
    public abstract string RegisterName { get; }

    /// <summary>The register's BAR0 offset.</summary>
    public abstract uint RegisterOffset { get; }

    /// <summary>The BASE field.</summary>
    public abstract BitField BaseField { get; }

    /// <summary>Whether the register has a TARGET field (only NV_PBUS_BAR0_WINDOW).</summary>
    public abstract bool HasTarget { get; }

    /// <summary>Highest 64 KiB-aligned base the register can hold.</summary>
    public ulong MaxBase => BaseField.MaxValue << PraminWindowMath.BaseShift;

    /// <summary>One past the highest VRAM byte the window can reach.</summary>
    public ulong Reach => (BaseField.MaxValue + 1) << PraminWindowMath.BaseShift;

    /// <summary>Raw register value pointing the window at <paramref name="vramBase"/> in VRAM.</summary>
    public abstract uint Encode(ulong vramBase);

    /// <summary>The VRAM base and whether the target is VRAM, decoded from a raw value.</summary>
    public abstract (ulong VramBase, bool TargetsVram) Decode(uint raw);

    /// <inheritdoc />
    public override string ToString() => $"{RegisterName} @0x{RegisterOffset:x} BASE {BaseField}";

    private sealed class Layout<TReg> : PraminWindowLayout where TReg : struct, IPraminWindowRegister<TReg>
    {
        public override string RegisterName => TReg.Name;

        public override uint RegisterOffset => TReg.Offset;

        public override BitField BaseField => TReg.BaseField;

        public override bool HasTarget => TReg.Fields.Any(f => f.Name == "TARGET");

        public override uint Encode(ulong vramBase) => TReg.ForVramBase(vramBase).Raw;

        public override (ulong VramBase, bool TargetsVram) Decode(uint raw)
        {
            var reg = TReg.FromRaw(raw);
            return (reg.VramBase, reg.TargetsVram);
        }
    }
}
