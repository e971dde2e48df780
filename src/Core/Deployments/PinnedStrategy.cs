using AdaMec.Core.Planning;

namespace AdaMec.Core.Deployments;

/// <summary>An operator's fixed assignment (device id per atom), evaluated with the same cost model as every strategy.</summary>
public sealed class PinnedStrategy(IReadOnlyList<string> devices) : IPlanningStrategy
{
    public string Name => "pinned";

    public string Description => "The assignment an operator pinned";

    public PlanResult Plan(PlanningProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var assignment = devices.Select(problem.DeviceIndexOf).ToArray();
        var cost = new PlanEvaluator(problem).Evaluate(assignment);
        return new PlanResult(assignment, cost.LatencyMs, cost.Feasible, cost.ConstraintGap, cost.WeightBytesMoved);
    }
}
