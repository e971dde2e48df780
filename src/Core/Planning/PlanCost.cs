namespace AdaMec.Core.Planning;

/// <summary>
/// Everything the cost model says about one plan. Per-device arrays are indexed like
/// <see cref="PlanningProblem.Devices"/>.
/// </summary>
public sealed record PlanCost(
    double LatencyMs,
    IReadOnlyList<double> MemoryBytes,
    IReadOnlyList<double> ComputeFlops,
    bool MeetsLatency,
    bool WithinBudgets,
    double ConstraintGap,
    double WeightBytesMoved)
{
    public bool Feasible => MeetsLatency && WithinBudgets;

    public bool Reachable => double.IsFinite(LatencyMs);
}
