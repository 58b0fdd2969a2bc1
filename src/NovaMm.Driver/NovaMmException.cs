namespace NovaMm.Driver;

/// <summary>Why a driver operation failed at run time (the kernel's errno, named).</summary>
public enum ErrorCode
{
    /// <summary>The device is missing, unknown or not answering (ENODEV).</summary>
    NoDevice,

    /// <summary>An argument was rejected (EINVAL).</summary>
    InvalidArgument,

    /// <summary>No free space of the kind asked for (ENOSPC).</summary>
    NoSpace,

    /// <summary>Out of memory for bookkeeping or page tables (ENOMEM).</summary>
    NoMemory,

    /// <summary>The hardware did not complete in time (ETIMEDOUT).</summary>
    TimedOut,

    /// <summary>The range is in use (EBUSY / EEXIST).</summary>
    Busy,

    /// <summary>Nothing is mapped there (ENOENT).</summary>
    NotMapped,

    /// <summary>The device answered something inconsistent (EIO).</summary>
    Io,
}

/// <summary>
/// A run-time failure of the driver (docs/architecture.md, Errors): carries an <see cref="ErrorCode"/>. The
/// operation that throws it leaves every structure exactly as it was before the call.
/// </summary>
public class NovaMmException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NovaMmException(ErrorCode code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    /// <summary>The error class.</summary>
    public ErrorCode Code { get; }
}
