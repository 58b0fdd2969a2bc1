namespace NovaMm.Hardware.Mmu;

/// <summary>
/// The GMMU's fault log: the model's stand-in for the MMU fault buffer. Faults are appended in the order they happen,
/// numbered from 1; the log keeps the newest <see cref="Capacity"/> entries and counts the ones it had to drop.
/// Thread-safe: one lock guards the queue and the counters.
/// </summary>
public sealed class FaultLog
{
    /// <summary>Default number of faults kept.</summary>
    public const int DefaultCapacity = 4096;

    private readonly Queue<MmuFault> _faults = new();
    private readonly Lock _lock = new();
    private long _total;
    private long _dropped;

    /// <summary>Creates a log that keeps the newest <paramref name="capacity"/> faults.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="capacity"/> is not positive.</exception>
    public FaultLog(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>How many faults the log keeps.</summary>
    public int Capacity { get; }

    /// <summary>Faults currently in the log.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _faults.Count;
            }
        }
    }

    /// <summary>Faults recorded since the GPU was built (including dropped and cleared ones).</summary>
    public long TotalRecorded
    {
        get
        {
            lock (_lock)
            {
                return _total;
            }
        }
    }

    /// <summary>Faults dropped because the log was full.</summary>
    public long Dropped
    {
        get
        {
            lock (_lock)
            {
                return _dropped;
            }
        }
    }

    /// <summary>The newest fault, or null when the log is empty.</summary>
    public MmuFault? Last
    {
        get
        {
            lock (_lock)
            {
                return _faults.Count == 0 ? null : _faults.Last();
            }
        }
    }

    /// <summary>Appends <paramref name="fault"/> (numbered with the next <see cref="MmuFault.Sequence"/>) and returns the logged copy.</summary>
    public MmuFault Record(MmuFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        lock (_lock)
        {
            _total++;
            var logged = fault with { Sequence = _total };
            if (_faults.Count == Capacity)
            {
                _faults.Dequeue();
                _dropped++;
            }

            _faults.Enqueue(logged);
            return logged;
        }
    }

    /// <summary>A copy of the faults in the log, oldest first.</summary>
    public IReadOnlyList<MmuFault> Snapshot()
    {
        lock (_lock)
        {
            return [.. _faults];
        }
    }

    /// <summary>Returns the faults in the log, oldest first, and empties it.</summary>
    public IReadOnlyList<MmuFault> Drain()
    {
        lock (_lock)
        {
            MmuFault[] all = [.. _faults];
            _faults.Clear();
            return all;
        }
    }

    /// <summary>Empties the log (<see cref="TotalRecorded"/> keeps counting).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _faults.Clear();
        }
    }
}
