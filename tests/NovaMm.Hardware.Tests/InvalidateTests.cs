using NovaMm.Hardware.Mmu;
using NovaMm.Spec.Device;
using NovaMm.Spec.Registers;

namespace NovaMm.Hardware.Tests;

public class InvalidateTests
{
    private static TlbEntry Entry(ulong pdb, ulong va) => new(pdb, va, 4096, 0x1000, 0, false, false, false, 0);

    [Fact]
    public void Trigger_reads_one_for_the_configured_polls_then_zero_and_drops_the_pdb()
    {
        var gpu = new SimulatedGpu(new SimulatedGpuOptions { InvalidatePolls = 3 });
        gpu.Tlb.Insert(Entry(0x1234_5000, 0x1000));
        gpu.Tlb.Insert(Entry(0x9999_9000, 0x1000));
        gpu.Bar0.Write(NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_PDB.ForVram(0x1234_5000));
        gpu.Bar0.Write(NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE_UPPER_PDB.ForAddress(0x1234_5000));
        gpu.Bar0.Write(new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(0).WithAllVa(true).WithTrigger(true));
        for (var i = 0; i < 3; i++)
        {
            Assert.True(gpu.Bar0.Read<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE>().Trigger);
            Assert.NotNull(gpu.Tlb.Lookup(0x1234_5000, 0x1000));
        }

        Assert.False(gpu.Bar0.Read<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE>().Trigger);
        Assert.Null(gpu.Tlb.Lookup(0x1234_5000, 0x1000));
        Assert.NotNull(gpu.Tlb.Lookup(0x9999_9000, 0x1000));
        Assert.Equal(1, gpu.VfPriv.InvalidatesCompleted);
    }

    [Fact]
    public void All_pdb_drops_everything()
    {
        var gpu = new SimulatedGpu(new SimulatedGpuOptions { InvalidatePolls = 0 });
        gpu.Tlb.Insert(Entry(0x1000, 0));
        gpu.Tlb.Insert(Entry(0x2000, 0));
        gpu.Bar0.Write(new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(0).WithAllVa(true).WithAllPdb(true).WithTrigger(true));
        Assert.False(gpu.Bar0.Read<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE>().Trigger);
        Assert.Equal(0, gpu.Tlb.Count);
    }

    [Fact]
    public void Never_completing_invalidate_keeps_trigger_and_entries_until_released()
    {
        var gpu = new SimulatedGpu();
        gpu.VfPriv.InvalidateNeverCompletes = true;
        gpu.Tlb.Insert(Entry(0x1000, 0));
        gpu.Bar0.Write(new NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE(0).WithAllPdb(true).WithTrigger(true));
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(gpu.Bar0.Read<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE>().Trigger);
        }

        Assert.Equal(1, gpu.Tlb.Count);
        gpu.VfPriv.InvalidateNeverCompletes = false;
        while (gpu.Bar0.Read<NV_VIRTUAL_FUNCTION_PRIV_MMU_INVALIDATE>().Trigger)
        {
        }

        Assert.Equal(0, gpu.Tlb.Count);
    }

    [Fact]
    public void Tlb_probes_every_page_size()
    {
        var tlb = new GmmuTlb();
        tlb.Insert(new TlbEntry(0x1000, 0x20_0000, 2UL << 20, 0x4000_0000, 0, false, false, false, 0));
        Assert.Equal(0x4000_0000UL, tlb.Lookup(0x1000, 0x2F_FFFF)!.PhysicalBase);
        Assert.Null(tlb.Lookup(0x1000, 0x40_0000));
        Assert.Equal(1, tlb.Hits);
        Assert.Equal(1, tlb.Misses);
    }
}
