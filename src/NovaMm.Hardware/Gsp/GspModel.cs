using NovaMm.Hardware.Bus;
using NovaMm.Hardware.Memory;
using NovaMm.Spec.Addresses;
using NovaMm.Spec.Chips;
using NovaMm.Spec.Device;
using NovaMm.Spec.PageTables;
using NovaMm.Spec.Registers;

namespace NovaMm.Hardware.Gsp;

/// <summary>
/// What GSP-RM does at boot for this stack (docs/gsp-fb-layout.md): reserves its regions at the top of
/// VRAM (<see cref="GspLayout"/>), builds the BAR1 instance block and a zeroed root page directory in reserved
/// memory, binds BAR1 through the chip's bind registers (GSP is a PRI master on the chip, so it uses the same
/// BAR0 registers), and answers GET_GSP_STATIC_INFO with the FB region table and <c>bar1PdeBase</c>.
/// The transport is a direct call here; on hardware it is the GSP message queue.
/// </summary>
public sealed class GspModel : IGspRpc
{
    private readonly SparseVram _vram;
    private readonly Bar0Bus _bus;
    private readonly ChipInfo _chip;
    private readonly ulong _bar1Size;
    private readonly Lock _lock = new();
    private GspStaticConfigInfo? _info;

    /// <summary>Creates the GSP of a GPU with <paramref name="vram"/> and <paramref name="bus"/>.</summary>
    public GspModel(SparseVram vram, Bar0Bus bus, ChipInfo chip, ulong bar1Size)
    {
        _vram = vram;
        _bus = bus;
        _chip = chip;
        _bar1Size = bar1Size;
        Layout = GspLayout.Compute(vram.Size);
    }

    /// <summary>The reservation layout (fixed by the VRAM size).</summary>
    public GspLayout Layout { get; }

    /// <summary>Whether <see cref="Boot"/> has run.</summary>
    public bool Booted
    {
        get
        {
            lock (_lock)
            {
                return _info is not null;
            }
        }
    }

    /// <inheritdoc />
    public void Boot()
    {
        lock (_lock)
        {
            if (_info is not null)
            {
                return;
            }

            // Zero both instance blocks and root directories: GSP-RM scrubs what it hands to the MMU.
            _vram.Fill(Layout.RmReserved.Start, 0x4000, 0);
            WriteInstanceBlock(Layout.Bar1InstanceBlock, Layout.Bar1Pdb, _bar1Size);
            BindBar1(Layout.Bar1InstanceBlock);

            _info = new GspStaticConfigInfo(
                $"NVIDIA {_chip.Name} (NovaMm simulated)",
                GspStaticConfigInfo.EncodeFbRegions(Layout.FbRegions()),
                _vram.Size,
                Layout.Bar1Pdb,
                Layout.Bar2Pdb);
        }
    }

    /// <inheritdoc />
    public GspStaticConfigInfo GetStaticInfo()
    {
        lock (_lock)
        {
            return _info ?? throw new InvalidOperationException("GSP has not booted: GET_GSP_STATIC_INFO has no reply yet");
        }
    }

    /// <summary>
    /// Writes the page-directory-base words of an instance block (docs/page-tables.md, Instance block; <c>NV_RAMIN_PAGE_DIR_BASE_*</c> in open-gpu-doc <c>manuals/turing/tu104/dev_ram.ref.txt</c>): VID_MEM target,
    /// USE_VER2_PT_FORMAT only for an MMU v2 address space (RM's <c>kgmmuInstBlkPageDirBaseGet_GP100</c>; nouveau
    /// always sets it, and GH100+ ignores it), 64 KiB big pages, and ADR_LIMIT = size − 1.
    /// </summary>
    private void WriteInstanceBlock(ulong instanceBlock, ulong pdb, ulong vaSize)
    {
        var pdbWords = PageDirectoryBase.ForVram(new VramAddress(pdb), useVer2PtFormat: _chip.MmuVersion == 2);
        _vram.Write32(instanceBlock + InstanceBlock.PageDirBaseLoOffset, pdbWords.Lo);
        _vram.Write32(instanceBlock + InstanceBlock.PageDirBaseHiOffset, pdbWords.Hi);
        var limit = vaSize - 1;
        _vram.Write32(instanceBlock + InstanceBlock.AddressLimitOffset, (uint)(limit & 0xFFFF_F000));
        _vram.Write32(instanceBlock + InstanceBlock.AddressLimitOffset + 4, (uint)(limit >> 32));
    }

    private void BindBar1(ulong instanceBlock)
    {
        if (_chip.Bar1Bind == Bar1BindKind.Bar1Block)
        {
            _bus.Write32(NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK.Offset, NV_VIRTUAL_FUNCTION_PRIV_BAR1_BLOCK.ForVramInstanceBlock(instanceBlock).Raw);
            while (new NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS(_bus.Read32(NV_VIRTUAL_FUNCTION_PRIV_BIND_STATUS.Offset)).Bar1Busy)
            {
            }
        }
        else
        {
            _bus.Write32(NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR.Offset, NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR.ForVramInstanceBlock(instanceBlock).Raw);
            _bus.Write32(NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR.Offset, NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_HIGH_ADDR.ForInstanceBlock(instanceBlock).Raw);
            while (new NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR(_bus.Read32(NV_VIRTUAL_FUNCTION_PRIV_FUNC_BAR1_BLOCK_LOW_ADDR.Offset)).Busy)
            {
            }
        }
    }
}
