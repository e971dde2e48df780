namespace AdaMec.Core.Planning;

/// <summary>
/// The reference implementation of the cost model (docs/method.md), written for obviousness rather than
/// speed: it looks links and latencies up by id exactly as the formulas read. Strategies use their
/// own fast tables; tests and the CLI re-check every answer with this class, so a bug in a
/// strategy's arithmetic cannot hide behind the same bug here.
/// </summary>
public sealed class PlanEvaluator
{
    private readonly PlanningProblem _problem;
    private readonly Dictionary<(string From, string To), PlanningLink> _links;

    public PlanEvaluator(PlanningProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        _problem = problem;
        _links = problem.Links.ToDictionary(l => (l.From, l.To));
    }

    public GapWeights Weights { get; init; } = GapWeights.Default;

    /// <summary>xfer(b, d -> e) in ms; +infinity when there is no link d -> e.</summary>
    public double TransferMs(double bytes, string from, string to)
    {
        if (from == to) return 0;
        return _links.TryGetValue((from, to), out var link)
            ? link.LatencyMs + (bytes * 8 / (link.Mbps * 1000))
            : double.PositiveInfinity;
    }

    public PlanCost Evaluate(IReadOnlyList<int> assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var atoms = _problem.Atoms;
        var devices = _problem.Devices;
        if (assignment.Count != atoms.Count)
            throw new ArgumentException($"Expected a device for each of {atoms.Count} atoms, got {assignment.Count}.", nameof(assignment));
        var initiator = _problem.Initiator.Id;

        // T(x) = sum_i lat(a_i, x_i) + sum_{k=0..n} xfer(bytes_k, x_k -> x_{k+1}), x_0 = x_{n+1} = initiator,
        // accumulated in chain order (input, atom 1, its output, atom 2, ...).
        var latency = 0.0;
        var previous = initiator;
        var bytes = _problem.InputBytes;
        var memory = new double[devices.Count];
        var compute = new double[devices.Count];
        var moved = 0.0;
        for (var i = 0; i < atoms.Count; i++)
        {
            var device = devices[assignment[i]].Id;
            latency += TransferMs(bytes, previous, device);
            latency += atoms[i].LatencyMs[device];
            memory[assignment[i]] += atoms[i].MemoryBytes;
            compute[assignment[i]] += atoms[i].Flops;
            if (assignment[i] != _problem.Current[i]) moved += atoms[i].WeightBytes;
            previous = device;
            bytes = atoms[i].OutputBytes;
        }

        latency += TransferMs(bytes, previous, initiator);

        var memoryBudget = devices.Select(d => d.MemoryBudgetBytes ?? double.PositiveInfinity).ToArray();
        var computeBudget = devices.Select(d => d.ComputeBudgetFlops ?? double.PositiveInfinity).ToArray();
        var withinBudgets = true;
        for (var j = 0; j < devices.Count; j++)
        {
            withinBudgets &= memory[j] <= memoryBudget[j] && compute[j] <= computeBudget[j];
        }

        var gap = ConstraintGap.Compute(latency, _problem.LatencyRequirementMs, compute, computeBudget, memory, memoryBudget, Weights);
        return new PlanCost(latency, memory, compute, latency <= _problem.LatencyRequirementMs, withinBudgets, gap, moved);
    }
}
