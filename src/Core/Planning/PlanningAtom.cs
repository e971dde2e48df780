namespace AdaMec.Core.Planning;

/// <summary>
/// One atom of the chain as the planner sees it: its costs, not its operators. <see cref="LatencyMs"/>
/// holds the predicted execution time on every device of the problem, keyed by device id.
/// </summary>
public sealed record PlanningAtom(
    string Id,
    double Flops,
    double WeightBytes,
    double MemoryBytes,
    double OutputBytes,
    IReadOnlyDictionary<string, double> LatencyMs);
