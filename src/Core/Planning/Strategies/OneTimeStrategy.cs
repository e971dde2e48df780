namespace AdaMec.Core.Planning.Strategies;

/// <summary>
/// One-time offloading (the AdaMEC paper's §5.1 baseline): the same plan as <c>dp</c>, but made live only once
/// every atom it moves has arrived (<see cref="OffloadSwitching.WholePlan"/>). Until then requests keep running
/// on the old live plan — on-device at the start — rather than waiting, so none is lost and none hangs; the
/// cost shows as the time before any benefit arrives.
/// </summary>
public sealed class OneTimeStrategy : IPlanningStrategy, IOffloadPolicy
{
    private readonly ChainDpStrategy _planner = new();

    public string Name => "onetime";

    public string Description => "one-time offloading: the dp plan, live only once every moved atom has arrived";

    public OffloadSwitching Switching => OffloadSwitching.WholePlan;

    public IReadOnlyList<OffloadStep> Order(PlanningProblem problem, IReadOnlyList<int> target) => OffloadPolicies.WholePlanFirst.Order(problem, target);

    public PlanResult Plan(PlanningProblem problem) => _planner.Plan(problem);
}
