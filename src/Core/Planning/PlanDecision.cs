namespace AdaMec.Core.Planning;

/// <summary>
/// What the planner decided: the strategy's plan, its cost re-checked by <see cref="PlanEvaluator"/>,
/// how long the decision took (the strategy alone, not the offloading order), and the order to
/// offload atoms in.
/// </summary>
public sealed record PlanDecision(
    string Strategy,
    PlanningProblem Problem,
    PlanResult Result,
    PlanCost Cost,
    double DecisionTimeMs,
    IReadOnlyList<OffloadStep> OffloadOrder)
{
    public bool Feasible => Cost.Feasible;

    public IReadOnlyList<int> Assignment => Result.Assignment;
}
