using System.Numerics;

namespace NovaMm.Driver.VirtualMemory;

/// <summary>Finding the run that holds a page, given each run's first page number (ascending, first entry 0).</summary>
internal static class RunSearch
{
    /// <summary>The index of the last entry of <paramref name="firstPages"/> (among the first <paramref name="runs"/>) at or below <paramref name="page"/>.</summary>
    public static int Of<T>(ReadOnlySpan<T> firstPages, int runs, T page)
        where T : INumber<T>
    {
        int lo = 0, hi = runs - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (firstPages[mid] <= page)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }
}
