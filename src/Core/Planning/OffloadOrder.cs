namespace AdaMec.Core.Planning;

/// <summary>
/// The offloading order of paper §3.2.4 / Algorithm 1: from the current assignment to the target,
/// one atom at a time, so that the benefit arrives early and nothing is shipped twice.
/// <para>
/// Shipping an atom costs the time to send its weight bytes from the device that holds them now
/// (its current device: a device keeps what it runs) to its target device:
/// Σ over the hops (link latency + weightBytes·8 / (mbps·1000)) ms. The hops are a shortest path
/// (Dijkstra) over the device links, relaying only through devices the target plan uses, so a
/// missing direct link does not make a move impossible and no unused device is touched.
/// </para>
/// <para>
/// Algorithm 1 is Dijkstra over the search graph between the current and the target vertex. With
/// its two constraints (no detours through devices the target does not use; no atom moved twice)
/// every move goes straight to its target, so every current→target path costs the same total (the
/// sum of the shipping times) and distance alone cannot rank them; the paper's first principle —
/// cheapest move first, so edge devices join early — does. Dijkstra with cheapest-edge tie breaks
/// settles exactly the ascending-cost order, which is also the order that minimises the sum of the
/// atoms' arrival times (shortest processing time first). It is computed directly, in O(m log m),
/// instead of on the 2^m restricted graph. One refinement: a move whose half-switched plan would
/// cross a missing link is postponed while another move keeps the live plan reachable.
/// </para>
/// </summary>
public static class OffloadOrder
{
    public static IReadOnlyList<OffloadStep> Compute(PlanningProblem problem, IReadOnlyList<int> target)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(target);
        if (target.Count != problem.Atoms.Count)
            throw new ArgumentException($"Expected a device for each of {problem.Atoms.Count} atoms, got {target.Count}.", nameof(target));

        var evaluator = new PlanEvaluator(problem);
        var pending = Moves(problem, target);

        // Cheapest first; equal costs in chain order so the order is deterministic.
        pending.Sort((a, b) => a.Cost != b.Cost ? a.Cost.CompareTo(b.Cost) : a.Atom.CompareTo(b.Atom));

        var live = problem.Current.ToArray();
        var steps = new List<OffloadStep>(pending.Count);
        var elapsed = 0.0;
        while (pending.Count > 0)
        {
            var pick = 0;
            for (var p = 0; p < pending.Count; p++)
            {
                if (double.IsFinite(LatencyAfter(evaluator, live, pending[p].Atom, target))) { pick = p; break; }
            }

            var (atom, cost, route) = pending[pick];
            pending.RemoveAt(pick);
            var from = problem.Devices[live[atom]].Id;
            live[atom] = target[atom];
            elapsed += cost;
            steps.Add(new OffloadStep(problem.Atoms[atom].Id, from, problem.Devices[target[atom]].Id, cost, elapsed, evaluator.Evaluate(live).LatencyMs, route));
        }

        return steps;
    }

    /// <summary>
    /// IONN's order (Jeong et al. 2018, as the AdaMEC paper §5.1 describes it): the target's moves in layer
    /// (chain) order, front to back, each shipped along the same cheapest route as <see cref="Compute"/>;
    /// no reordering by cost or by whether the half-switched plan gains. Serving with whatever has arrived
    /// can therefore make a request slower for a while (an early atom on the edge, the next still on the
    /// initiator: the tensor crosses twice) — the "negative benefit" the paper measures for IONN.
    /// </summary>
    public static IReadOnlyList<OffloadStep> InChainOrder(PlanningProblem problem, IReadOnlyList<int> target)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(target);
        if (target.Count != problem.Atoms.Count)
            throw new ArgumentException($"Expected a device for each of {problem.Atoms.Count} atoms, got {target.Count}.", nameof(target));

        var evaluator = new PlanEvaluator(problem);
        var live = problem.Current.ToArray();
        var steps = new List<OffloadStep>();
        var elapsed = 0.0;
        foreach (var (atom, cost, route) in Moves(problem, target))
        {
            var from = problem.Devices[live[atom]].Id;
            live[atom] = target[atom];
            elapsed += cost;
            steps.Add(new OffloadStep(problem.Atoms[atom].Id, from, problem.Devices[target[atom]].Id, cost, elapsed, evaluator.Evaluate(live).LatencyMs, route));
        }

        return steps;
    }

    /// <summary>Every atom the target moves, in chain order, with its shipping cost and route.</summary>
    private static List<(int Atom, double Cost, IReadOnlyList<string> Route)> Moves(PlanningProblem problem, IReadOnlyList<int> target)
    {
        var allowed = new bool[problem.Devices.Count];
        foreach (var device in target) allowed[device] = true;
        var moves = new List<(int Atom, double Cost, IReadOnlyList<string> Route)>();
        for (var i = 0; i < target.Count; i++)
        {
            if (target[i] == problem.Current[i]) continue;
            var (cost, route) = ShippingRoute(problem, problem.Atoms[i].WeightBytes, problem.Current[i], target[i], allowed);
            moves.Add((i, cost, route));
        }

        return moves;
    }

    private static double LatencyAfter(PlanEvaluator evaluator, int[] live, int atom, IReadOnlyList<int> target)
    {
        var before = live[atom];
        live[atom] = target[atom];
        var latency = evaluator.Evaluate(live).LatencyMs;
        live[atom] = before;
        return latency;
    }

    /// <summary>Dijkstra over devices: the cheapest way to ship <paramref name="bytes"/> from one device to another.</summary>
    private static (double Cost, IReadOnlyList<string> Route) ShippingRoute(PlanningProblem problem, double bytes, int from, int to, bool[] allowed)
    {
        var count = problem.Devices.Count;
        var distance = new double[count];
        var previous = new int[count];
        var done = new bool[count];
        Array.Fill(distance, double.PositiveInfinity);
        Array.Fill(previous, -1);
        distance[from] = 0;
        var links = problem.Links.Select(l => (From: problem.DeviceIndexOf(l.From), To: problem.DeviceIndexOf(l.To), l.LatencyMs, l.Mbps)).ToArray();
        while (true)
        {
            var u = -1;
            for (var v = 0; v < count; v++)
            {
                if (!done[v] && double.IsFinite(distance[v]) && (u < 0 || distance[v] < distance[u])) u = v;
            }

            if (u < 0 || u == to) break;
            done[u] = true;
            foreach (var link in links)
            {
                if (link.From != u || (!allowed[link.To] && link.To != to)) continue;
                var cost = distance[u] + link.LatencyMs + (bytes * 8 / (link.Mbps * 1000));
                if (cost < distance[link.To])
                {
                    distance[link.To] = cost;
                    previous[link.To] = u;
                }
            }
        }

        if (!double.IsFinite(distance[to])) return (double.PositiveInfinity, []);
        var route = new List<string>();
        for (var v = to; v >= 0; v = previous[v])
        {
            route.Add(problem.Devices[v].Id);
        }

        route.Reverse();
        return (distance[to], route);
    }
}
