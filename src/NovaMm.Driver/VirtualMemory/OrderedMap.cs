namespace NovaMm.Driver.VirtualMemory;

/// <summary>
/// An ordered map with O(log n) insert, remove, floor and ceiling (a treap over node arrays). The BCL's
/// <see cref="SortedSet{T}"/> has no floor or ceiling, and the views that stand in for them (<c>GetViewBetween</c>)
/// count every element inside the view when they are built, which made every VA lookup linear in the number of
/// free ranges or mappings. Not thread-safe: the owner locks.
/// </summary>
/// <typeparam name="TKey">The key, ordered by <see cref="Comparer{T}.Default"/>.</typeparam>
/// <typeparam name="TValue">The value.</typeparam>
internal sealed class OrderedMap<TKey, TValue>
    where TKey : IComparable<TKey>
{
    private const int Nil = -1;
    private TKey[] _keys = new TKey[16];
    private TValue[] _values = new TValue[16];
    private int[] _left = new int[16];
    private int[] _right = new int[16];
    private uint[] _priority = new uint[16];
    private int _root = Nil;
    private int _freeHead = Nil;
    private int _used;
    private uint _seed = 0x9E37_79B9;

    /// <summary>Number of entries.</summary>
    public int Count { get; private set; }

    /// <summary>Adds <paramref name="key"/>; false (and no change) when it is already present.</summary>
    public bool TryAdd(TKey key, TValue value)
    {
        var node = NewNode(key, value);
        var added = true;
        _root = Insert(_root, node, ref added);
        if (!added)
        {
            FreeNode(node);
            return false;
        }

        Count++;
        return true;
    }

    /// <summary>Sets the value of <paramref name="key"/>, adding it when absent.</summary>
    public void Set(TKey key, TValue value)
    {
        var n = Find(key);
        if (n != Nil)
        {
            _values[n] = value;
        }
        else
        {
            TryAdd(key, value);
        }
    }

    /// <summary>Removes <paramref name="key"/>; false when it was absent.</summary>
    public bool Remove(TKey key)
    {
        var removed = false;
        _root = Delete(_root, key, ref removed);
        if (removed)
        {
            Count--;
        }

        return removed;
    }

    /// <summary>The value of <paramref name="key"/>.</summary>
    public bool TryGetValue(TKey key, out TValue value)
    {
        var n = Find(key);
        value = n == Nil ? default! : _values[n];
        return n != Nil;
    }

    /// <summary>The entry with the greatest key ≤ <paramref name="key"/>.</summary>
    public bool TryFloor(TKey key, out TKey found, out TValue value)
    {
        var best = Nil;
        for (var n = _root; n != Nil;)
        {
            var c = _keys[n].CompareTo(key);
            if (c <= 0)
            {
                best = n;
                if (c == 0)
                {
                    break;
                }

                n = _right[n];
            }
            else
            {
                n = _left[n];
            }
        }

        return Result(best, out found, out value);
    }

    /// <summary>The entry with the greatest key &lt; <paramref name="key"/>.</summary>
    public bool TryLower(TKey key, out TKey found, out TValue value)
    {
        var best = Nil;
        for (var n = _root; n != Nil;)
        {
            if (_keys[n].CompareTo(key) < 0)
            {
                best = n;
                n = _right[n];
            }
            else
            {
                n = _left[n];
            }
        }

        return Result(best, out found, out value);
    }

    /// <summary>The entry with the least key ≥ <paramref name="key"/>.</summary>
    public bool TryCeiling(TKey key, out TKey found, out TValue value)
    {
        var best = Nil;
        for (var n = _root; n != Nil;)
        {
            var c = _keys[n].CompareTo(key);
            if (c >= 0)
            {
                best = n;
                if (c == 0)
                {
                    break;
                }

                n = _left[n];
            }
            else
            {
                n = _right[n];
            }
        }

        return Result(best, out found, out value);
    }

    /// <summary>The entry with the least key &gt; <paramref name="key"/>.</summary>
    public bool TryHigher(TKey key, out TKey found, out TValue value)
    {
        var best = Nil;
        for (var n = _root; n != Nil;)
        {
            if (_keys[n].CompareTo(key) > 0)
            {
                best = n;
                n = _left[n];
            }
            else
            {
                n = _right[n];
            }
        }

        return Result(best, out found, out value);
    }

    /// <summary>Every entry in key order.</summary>
    public IEnumerable<(TKey Key, TValue Value)> InOrder()
    {
        var stack = new Stack<int>();
        var n = _root;
        while (n != Nil || stack.Count > 0)
        {
            while (n != Nil)
            {
                stack.Push(n);
                n = _left[n];
            }

            n = stack.Pop();
            yield return (_keys[n], _values[n]);
            n = _right[n];
        }
    }

    /// <summary>Removes every entry.</summary>
    public void Clear()
    {
        _root = Nil;
        _freeHead = Nil;
        _used = 0;
        Count = 0;
        Array.Clear(_values);
    }

    private bool Result(int node, out TKey found, out TValue value)
    {
        found = node == Nil ? default! : _keys[node];
        value = node == Nil ? default! : _values[node];
        return node != Nil;
    }

    private int Find(TKey key)
    {
        for (var n = _root; n != Nil;)
        {
            var c = key.CompareTo(_keys[n]);
            if (c == 0)
            {
                return n;
            }

            n = c < 0 ? _left[n] : _right[n];
        }

        return Nil;
    }

    private int Insert(int root, int node, ref bool added)
    {
        if (root == Nil)
        {
            return node;
        }

        var c = _keys[node].CompareTo(_keys[root]);
        if (c == 0)
        {
            added = false;
            return root;
        }

        if (c < 0)
        {
            _left[root] = Insert(_left[root], node, ref added);
            if (_priority[_left[root]] > _priority[root])
            {
                root = RotateRight(root);
            }
        }
        else
        {
            _right[root] = Insert(_right[root], node, ref added);
            if (_priority[_right[root]] > _priority[root])
            {
                root = RotateLeft(root);
            }
        }

        return root;
    }

    private int Delete(int root, TKey key, ref bool removed)
    {
        if (root == Nil)
        {
            return Nil;
        }

        var c = key.CompareTo(_keys[root]);
        if (c < 0)
        {
            _left[root] = Delete(_left[root], key, ref removed);
            return root;
        }

        if (c > 0)
        {
            _right[root] = Delete(_right[root], key, ref removed);
            return root;
        }

        removed = true;
        var merged = Merge(_left[root], _right[root]);
        FreeNode(root);
        return merged;
    }

    /// <summary>Joins two treaps whose keys are all ordered left &lt; right.</summary>
    private int Merge(int left, int right)
    {
        if (left == Nil)
        {
            return right;
        }

        if (right == Nil)
        {
            return left;
        }

        if (_priority[left] > _priority[right])
        {
            _right[left] = Merge(_right[left], right);
            return left;
        }

        _left[right] = Merge(left, _left[right]);
        return right;
    }

    private int RotateRight(int n)
    {
        var l = _left[n];
        _left[n] = _right[l];
        _right[l] = n;
        return l;
    }

    private int RotateLeft(int n)
    {
        var r = _right[n];
        _right[n] = _left[r];
        _left[r] = n;
        return r;
    }

    private int NewNode(TKey key, TValue value)
    {
        int n;
        if (_freeHead != Nil)
        {
            n = _freeHead;
            _freeHead = _left[n];
        }
        else
        {
            if (_used == _keys.Length)
            {
                var size = _keys.Length * 2;
                Array.Resize(ref _keys, size);
                Array.Resize(ref _values, size);
                Array.Resize(ref _left, size);
                Array.Resize(ref _right, size);
                Array.Resize(ref _priority, size);
            }

            n = _used++;
        }

        // xorshift32: a fixed seed keeps runs reproducible; priorities only shape the tree, never the answers.
        _seed ^= _seed << 13;
        _seed ^= _seed >> 17;
        _seed ^= _seed << 5;
        _keys[n] = key;
        _values[n] = value;
        _left[n] = Nil;
        _right[n] = Nil;
        _priority[n] = _seed;
        return n;
    }

    private void FreeNode(int n)
    {
        _values[n] = default!;
        _left[n] = _freeHead;
        _freeHead = n;
    }
}
