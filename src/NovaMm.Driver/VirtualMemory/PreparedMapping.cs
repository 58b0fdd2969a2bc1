using NovaMm.Spec.Addresses;
using NovaMm.Spec.PageTables;

namespace NovaMm.Driver.VirtualMemory;

/// <summary>
/// A mapping after phase 1 (<see cref="Vmm.Prepare"/>): its VA is reserved and every page table it needs is allocated,
/// zeroed and installed. <see cref="Vmm.Execute"/> completes it; disposing it unexecuted cancels it (VA released, tables
/// it alone needed detached and freed) — nova's must-execute guard, made safe.
/// </summary>
public sealed class PreparedMapping : IDisposable
{
    internal PreparedMapping(Vmm owner, GpuVa va, MapRequest request, MmuLevel leaf, List<Vmm.Table> leafPins, Mapping[] replaced, int ptPages)
    {
        Owner = owner;
        Va = va;
        Request = request;
        Leaf = leaf;
        LeafPins = leafPins;
        Replaced = replaced;
        PtPagesAllocated = ptPages;
    }

    /// <summary>The reserved VA.</summary>
    public GpuVa Va { get; }

    /// <summary>What was asked for.</summary>
    public MapRequest Request { get; }

    /// <summary>Page-table pages this preparation allocated.</summary>
    public int PtPagesAllocated { get; }

    /// <summary>Live mappings this one will replace when executed.</summary>
    public IReadOnlyList<Mapping> Replaced { get; }

    /// <summary>Whether it has been executed or cancelled.</summary>
    public bool IsDone { get; internal set; }

    internal Vmm Owner { get; }

    internal MmuLevel Leaf { get; }

    internal List<Vmm.Table> LeafPins { get; }

    /// <summary>Cancels the preparation if it was not executed.</summary>
    public void Dispose() => Owner.Cancel(this);
}
