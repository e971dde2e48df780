namespace AdaMec.Core.Planning;

/// <summary>
/// The objective order (docs/method.md): feasible before infeasible; among feasible plans the least
/// latency, then the fewest weight bytes moved from the current plan; among infeasible plans the
/// least constraint gap. Latencies within a relative 1e-9 count as equal so the weight-bytes tie
/// break is not defeated by summation order.
/// </summary>
public static class PlanOrder
{
    private const double RelativeTolerance = 1e-9;

    public static bool LatencyEquals(double a, double b)
    {
        if (a == b) return true;
        if (!double.IsFinite(a) || !double.IsFinite(b)) return false;
        return Math.Abs(a - b) <= RelativeTolerance * Math.Max(1, Math.Max(Math.Abs(a), Math.Abs(b)));
    }

    /// <summary>Negative when (latency a, moved a) is the better of two feasible plans.</summary>
    public static int CompareFeasible(double latencyA, double movedA, double latencyB, double movedB)
    {
        if (!LatencyEquals(latencyA, latencyB)) return latencyA < latencyB ? -1 : 1;
        return movedA.CompareTo(movedB);
    }

    /// <summary>Negative when plan a is better than plan b under the full objective.</summary>
    public static int Compare(bool feasibleA, double latencyA, double gapA, double movedA,
                              bool feasibleB, double latencyB, double gapB, double movedB)
    {
        if (feasibleA != feasibleB) return feasibleA ? -1 : 1;
        if (feasibleA) return CompareFeasible(latencyA, movedA, latencyB, movedB);
        if (gapA != gapB) return gapA < gapB ? -1 : 1;
        return CompareFeasible(latencyA, movedA, latencyB, movedB);
    }

    public static int Compare(PlanResult a, PlanResult b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Compare(a.Feasible, a.LatencyMs, a.ConstraintGap, a.WeightBytesMoved,
                       b.Feasible, b.LatencyMs, b.ConstraintGap, b.WeightBytesMoved);
    }
}
