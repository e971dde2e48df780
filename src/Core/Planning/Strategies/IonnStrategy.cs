namespace AdaMec.Core.Planning.Strategies;

/// <summary>
/// IONN-like incremental offloading (Jeong et al. 2018; the AdaMEC paper's §5.1 baseline): the partition is
/// the latency-optimal assignment between the initiator and ONE edge device, any number of cut points
/// (a two-state dynamic programme over the chain, per edge device), chosen on latency alone like the
/// original (budgets are not in the partition; among the per-edge plans and the local plan the objective
/// picks, so a plan over a budget is reported infeasible, never hidden). What makes it IONN is how the plan
/// goes live (<see cref="IOffloadPolicy"/>): atoms are uploaded in layer order, front to back, and each
/// serves as soon as it arrives — without asking whether that half-uploaded plan is faster.
/// </summary>
public sealed class IonnStrategy : IPlanningStrategy, IOffloadPolicy
{
    public string Name => "ionn";

    public string Description => "IONN-like: latency-optimal initiator/one-edge partition, atoms uploaded in layer order and used as they arrive";

    public OffloadSwitching Switching => OffloadSwitching.EachAtom;

    public IReadOnlyList<OffloadStep> Order(PlanningProblem problem, IReadOnlyList<int> target) => OffloadPolicies.LayerOrder.Order(problem, target);

    public PlanResult Plan(PlanningProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var tables = new CostTables(problem);
        var best = tables.Result(tables.LocalPlan());
        for (var edge = 0; edge < tables.D; edge++)
        {
            if (edge == tables.Initiator) continue;
            var candidate = tables.Result(TwoDevicePlan(tables, edge));
            if (PlanOrder.Compare(candidate, best) < 0) best = candidate;
        }

        return best;
    }

    /// <summary>The least-latency plan using only the initiator and <paramref name="edge"/> (Viterbi over the chain, two states).</summary>
    private static int[] TwoDevicePlan(CostTables t, int edge)
    {
        int[] states = [t.Initiator, edge];
        var n = t.N;
        // cost[i, s]: least latency of atoms 0..i with atom i on states[s] (input sent from the initiator).
        var cost = new double[n, 2];
        var from = new int[n, 2];
        for (var s = 0; s < 2; s++)
        {
            cost[0, s] = t.Transfer(0, t.Initiator, states[s]) + t.Exec[states[s]];
        }

        for (var i = 1; i < n; i++)
        {
            for (var s = 0; s < 2; s++)
            {
                var exec = t.Exec[(i * t.D) + states[s]];
                cost[i, s] = double.PositiveInfinity;
                for (var p = 0; p < 2; p++)
                {
                    var c = cost[i - 1, p] + t.Transfer(i, states[p], states[s]) + exec;
                    if (c < cost[i, s])
                    {
                        cost[i, s] = c;
                        from[i, s] = p;
                    }
                }
            }
        }

        var last = 0;
        var bestEnd = double.PositiveInfinity;
        for (var s = 0; s < 2; s++)
        {
            var c = cost[n - 1, s] + t.Transfer(n, states[s], t.Initiator);
            if (c < bestEnd)
            {
                bestEnd = c;
                last = s;
            }
        }

        var x = new int[n];
        for (var i = n - 1; i >= 0; i--)
        {
            x[i] = states[last];
            last = from[i, last];
        }

        return x;
    }
}
