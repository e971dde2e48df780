namespace AdaMec.Core.Planning.Strategies;

/// <summary>
/// DADS (Hu et al. 2019): the partition between the initiator and one edge device as a minimum
/// s-t cut, where cutting the source edge of an atom pays its edge execution time, cutting its sink
/// edge pays its initiator execution time, and cutting a chain edge pays the transfer in that
/// direction. Like the original it optimises latency only (budgets and the requirement are not in
/// the cut); among the per-edge-device cuts the best by the objective (docs/method.md) is returned.
/// </summary>
public sealed class DadsStrategy : IPlanningStrategy
{
    // Stands in for infinity (a missing link) so the max-flow arithmetic stays finite.
    private const double Unbounded = 1e18;

    public string Name => "dads";

    public string Description => "min-cut partition between the initiator and one edge device";

    public PlanResult Plan(PlanningProblem problem)
    {
        var tables = new CostTables(problem);
        var best = tables.Result(tables.LocalPlan());
        for (var edge = 0; edge < tables.D; edge++)
        {
            if (edge == tables.Initiator) continue;
            var candidate = tables.Result(MinCut(tables, edge));
            if (PlanOrder.Compare(candidate, best) < 0) best = candidate;
        }

        return best;
    }

    private static int[] MinCut(CostTables t, int edge)
    {
        // Nodes: 0 = source (initiator side), 1 = sink (edge side), 2 + i = atom i.
        var n = t.N;
        var size = n + 2;
        var capacity = new double[size * size];
        for (var i = 0; i < n; i++)
        {
            var v = 2 + i;
            var onEdge = t.Exec[(i * t.D) + edge];
            if (i == 0) onEdge += t.Transfer(0, t.Initiator, edge);
            if (i == n - 1) onEdge += t.Transfer(n, edge, t.Initiator);
            capacity[v] = Finite(onEdge); // source -> v: paid when v lands on the edge side
            capacity[(v * size) + 1] = Finite(t.Exec[(i * t.D) + t.Initiator]); // v -> sink: paid when v stays
            if (i + 1 < n)
            {
                capacity[(v * size) + v + 1] = Finite(t.Transfer(i + 1, t.Initiator, edge));
                capacity[((v + 1) * size) + v] = Finite(t.Transfer(i + 1, edge, t.Initiator));
            }
        }

        var onSourceSide = MaxFlowSourceSide(capacity, size);
        var x = new int[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = onSourceSide[2 + i] ? t.Initiator : edge;
        }

        return x;
    }

    private static double Finite(double value) => double.IsFinite(value) ? value : Unbounded;

    /// <summary>Edmonds-Karp; returns which nodes the source still reaches in the residual graph.</summary>
    private static bool[] MaxFlowSourceSide(double[] residual, int size)
    {
        var parent = new int[size];
        var queue = new Queue<int>();
        while (true)
        {
            Array.Fill(parent, -1);
            parent[0] = 0;
            queue.Clear();
            queue.Enqueue(0);
            while (queue.Count > 0 && parent[1] < 0)
            {
                var u = queue.Dequeue();
                for (var v = 0; v < size; v++)
                {
                    if (parent[v] < 0 && residual[(u * size) + v] > 1e-12)
                    {
                        parent[v] = u;
                        queue.Enqueue(v);
                    }
                }
            }

            if (parent[1] < 0) break;
            var bottleneck = double.PositiveInfinity;
            for (var v = 1; v != 0; v = parent[v])
            {
                bottleneck = Math.Min(bottleneck, residual[(parent[v] * size) + v]);
            }

            for (var v = 1; v != 0; v = parent[v])
            {
                residual[(parent[v] * size) + v] -= bottleneck;
                residual[(v * size) + parent[v]] += bottleneck;
            }
        }

        var reached = new bool[size];
        for (var v = 0; v < size; v++)
        {
            reached[v] = parent[v] >= 0;
        }

        return reached;
    }
}
