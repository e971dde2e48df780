namespace AdaMec.Core.Planning;

/// <summary>
/// A strategy's answer, with the cost the strategy itself computed. <see cref="PlanEvaluator"/> is
/// the independent check of these claims. <see cref="ProvenOptimal"/> is true only when the
/// strategy proved no better plan exists (exhaustive, or the exact DP finishing its search).
/// </summary>
public sealed record PlanResult(
    IReadOnlyList<int> Assignment,
    double LatencyMs,
    bool Feasible,
    double ConstraintGap,
    double WeightBytesMoved,
    bool ProvenOptimal = false,
    long ExploredStates = 0);
