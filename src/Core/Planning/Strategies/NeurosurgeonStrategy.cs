namespace AdaMec.Core.Planning.Strategies;

/// <summary>
/// Neurosurgeon (Kang et al. 2017): one split point; atoms before it run on the initiator, the rest
/// on a single edge device, and the output comes back. Every split on every edge device is tried;
/// the best by the objective (docs/method.md) wins (so it does respect budgets, but only within its
/// two-device, single-split family).
/// </summary>
public sealed class NeurosurgeonStrategy : IPlanningStrategy
{
    public string Name => "neurosurgeon";

    public string Description => "best single split between the initiator and one edge device";

    public PlanResult Plan(PlanningProblem problem)
    {
        var tables = new CostTables(problem);
        var best = tables.Result(tables.LocalPlan());
        var x = new int[tables.N];
        for (var edge = 0; edge < tables.D; edge++)
        {
            if (edge == tables.Initiator) continue;
            for (var split = 0; split < tables.N; split++)
            {
                for (var i = 0; i < tables.N; i++)
                {
                    x[i] = i < split ? tables.Initiator : edge;
                }

                var candidate = tables.Result(x);
                if (PlanOrder.Compare(candidate, best) < 0) best = candidate;
            }
        }

        return best;
    }
}
