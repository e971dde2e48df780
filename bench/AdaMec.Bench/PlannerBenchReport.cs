namespace AdaMec.Bench;

/// <summary>
/// One strategy on one group of instances. Quality is T(strategy) / T(exhaustive) over the
/// instances where exhaustive ran and found a feasible plan; a strategy that returns an infeasible
/// plan there counts as <see cref="MissedFeasible"/> and not within 1%.
/// <see cref="FalseClaims"/> counts plans claimed feasible that the independent evaluator rejects;
/// <see cref="ProvenOptimalRate"/> is the share of answers the strategy itself proved optimal.
/// </summary>
public sealed record StrategyCell(
    string Group,
    int Atoms,
    int Devices,
    string Strategy,
    int Instances,
    int Refused,
    double? MedianMs,
    double? P99Ms,
    double? FeasibleRate,
    int Compared,
    double? QualityMedian,
    double? QualityWorst,
    double? WithinOnePercent,
    int MissedFeasible,
    double? VersusBestMedian,
    int FalseClaims,
    double? ProvenOptimalRate);

/// <summary>Totals per strategy: the figures the default strategy is chosen on.</summary>
public sealed record StrategySummary(
    string Strategy,
    double? TargetZoneMedianMs,
    double? TargetZoneP99Ms,
    int Compared,
    double? WithinOnePercent,
    int MissedFeasible,
    double? FeasibleRate,
    int FalseClaims);

public sealed record PlannerBenchReport(
    PlannerBenchOptions Options,
    string Machine,
    IReadOnlyList<StrategyCell> Cells,
    IReadOnlyList<StrategySummary> Summary);
