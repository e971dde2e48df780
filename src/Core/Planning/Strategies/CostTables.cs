namespace AdaMec.Core.Planning.Strategies;

/// <summary>
/// The cost model compiled to flat arrays by device and atom index, for the strategies' inner
/// loops. Same formulas and the same summation order as <see cref="PlanEvaluator"/>, so both give
/// bit-identical latencies; the evaluator stays the independent check.
/// </summary>
internal sealed class CostTables
{
    private readonly double[] _transfer; // (k * D + from) * D + to, for boundary k = 0..n

    public CostTables(PlanningProblem problem, GapWeights? weights = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        Problem = problem;
        N = problem.Atoms.Count;
        D = problem.Devices.Count;
        Initiator = problem.InitiatorIndex;
        Requirement = problem.LatencyRequirementMs;
        Weights = weights ?? GapWeights.Default;
        Exec = new double[N * D];
        Memory = new double[N];
        Flops = new double[N];
        WeightBytes = new double[N];
        Current = problem.Current.ToArray();
        for (var i = 0; i < N; i++)
        {
            var atom = problem.Atoms[i];
            for (var d = 0; d < D; d++)
            {
                Exec[(i * D) + d] = atom.LatencyMs[problem.Devices[d].Id];
            }

            Memory[i] = atom.MemoryBytes;
            Flops[i] = atom.Flops;
            WeightBytes[i] = atom.WeightBytes;
        }

        MemoryBudget = problem.Devices.Select(d => d.MemoryBudgetBytes ?? double.PositiveInfinity).ToArray();
        ComputeBudget = problem.Devices.Select(d => d.ComputeBudgetFlops ?? double.PositiveInfinity).ToArray();
        HasBudgets = MemoryBudget.Any(double.IsFinite) || ComputeBudget.Any(double.IsFinite);

        var linkLatency = new double[D * D];
        var linkMbps = new double[D * D];
        Array.Fill(linkLatency, double.PositiveInfinity);
        Array.Fill(linkMbps, 1);
        foreach (var link in problem.Links)
        {
            var index = (problem.DeviceIndexOf(link.From) * D) + problem.DeviceIndexOf(link.To);
            linkLatency[index] = link.LatencyMs;
            linkMbps[index] = link.Mbps;
        }

        _transfer = new double[(N + 1) * D * D];
        for (var k = 0; k <= N; k++)
        {
            var bytes = k == 0 ? problem.InputBytes : problem.Atoms[k - 1].OutputBytes;
            for (var from = 0; from < D; from++)
            {
                for (var to = 0; to < D; to++)
                {
                    var index = (from * D) + to;
                    _transfer[(k * D * D) + index] = from == to ? 0 : linkLatency[index] + (bytes * 8 / (linkMbps[index] * 1000));
                }
            }
        }
    }

    public PlanningProblem Problem { get; }

    public int N { get; }

    public int D { get; }

    public int Initiator { get; }

    public double Requirement { get; }

    public GapWeights Weights { get; }

    /// <summary>lat(a_i, d) at [i * D + d].</summary>
    public double[] Exec { get; }

    public double[] Memory { get; }

    public double[] Flops { get; }

    public double[] WeightBytes { get; }

    public double[] MemoryBudget { get; }

    public double[] ComputeBudget { get; }

    public bool HasBudgets { get; }

    public int[] Current { get; }

    /// <summary>
    /// Transfer time over boundary k (k = 0: the input into atom 0; k = i + 1: atom i's output)
    /// from device <paramref name="from"/> to device <paramref name="to"/>.
    /// </summary>
    public double Transfer(int k, int from, int to) => _transfer[(((k * D) + from) * D) + to];

    public double MovedBytes(int atom, int device) => device == Current[atom] ? 0 : WeightBytes[atom];

    public double Latency(ReadOnlySpan<int> x)
    {
        var latency = 0.0;
        var previous = Initiator;
        for (var i = 0; i < N; i++)
        {
            latency += Transfer(i, previous, x[i]);
            latency += Exec[(i * D) + x[i]];
            previous = x[i];
        }

        return latency + Transfer(N, previous, Initiator);
    }

    public double Moved(ReadOnlySpan<int> x)
    {
        var moved = 0.0;
        for (var i = 0; i < N; i++)
        {
            moved += MovedBytes(i, x[i]);
        }

        return moved;
    }

    /// <summary>Full evaluation of a plan into a <see cref="PlanResult"/>.</summary>
    public PlanResult Result(ReadOnlySpan<int> x, bool provenOptimal = false, long explored = 0)
    {
        var latency = Latency(x);
        Span<double> memory = stackalloc double[D];
        Span<double> compute = stackalloc double[D];
        memory.Clear();
        compute.Clear();
        for (var i = 0; i < N; i++)
        {
            memory[x[i]] += Memory[i];
            compute[x[i]] += Flops[i];
        }

        var within = true;
        for (var j = 0; j < D; j++)
        {
            within &= memory[j] <= MemoryBudget[j] && compute[j] <= ComputeBudget[j];
        }

        var gap = ConstraintGap.Compute(latency, Requirement, compute, ComputeBudget, memory, MemoryBudget, Weights);
        return new PlanResult(x.ToArray(), latency, within && latency <= Requirement, gap, Moved(x), provenOptimal, explored);
    }

    /// <summary>Everything on the initiator: always reachable, since nothing crosses a link.</summary>
    public int[] LocalPlan()
    {
        var x = new int[N];
        Array.Fill(x, Initiator);
        return x;
    }
}
