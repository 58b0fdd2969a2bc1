using System.Runtime.CompilerServices;

namespace NovaMm.Driver.Buddy;

/// <summary>The depth-first work list of the range walks (the kernel's <c>tmp_link</c> list used as a stack).</summary>
internal sealed class BlockStack
{
    private BuddyBlock[] _items = new BuddyBlock[64];
    private int _count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(BuddyBlock b)
    {
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[_count++] = b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public BuddyBlock? Pop() => _count == 0 ? null : _items[--_count];

    /// <summary>Empties the stack (references are overwritten by later pushes; the blocks are alive anyway).</summary>
    public void Clear() => _count = 0;
}
