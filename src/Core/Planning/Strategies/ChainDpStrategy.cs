namespace AdaMec.Core.Planning.Strategies;

/// <summary>
/// Exact planning that exploits the chain. Without budgets the optimum is a shortest path through
/// an atoms x devices layered graph: a backward dynamic programme H[i][d] = the least latency of
/// atoms i..n-1 with atom i on device d, output returned (ties: fewest weight bytes moved), O(n D^2).
/// When that plan breaks a memory or compute budget, a depth-first branch and bound over atoms in
/// chain order finds the budget-feasible optimum: H is an admissible bound (it is exact without
/// budgets), partial plans over a budget or past the requirement are cut, so are partial plans
/// whose remaining atoms cannot fit in the devices' remaining budgets, and children are tried best bound first so the first
/// leaf is usually already good. The search is exact unless it exceeds <see cref="NodeLimit"/>;
/// then it returns the best plan found with <c>ProvenOptimal = false</c>. With no feasible plan the
/// combination search minimises the constraint gap from the DP plan, the local plan and the current one.
/// </summary>
public sealed class ChainDpStrategy(int nodeLimit = ChainDpStrategy.DefaultNodeLimit) : IPlanningStrategy
{
    public const int DefaultNodeLimit = 200_000;

    public string Name => "dp";

    public string Description => "exact chain DP (atoms x devices) + branch and bound for budgets";

    public int NodeLimit => nodeLimit;

    /// <summary>The least latency of any plan, budgets and requirement ignored (the DP alone).</summary>
    public static double UnconstrainedLatency(PlanningProblem problem)
    {
        var t = new CostTables(problem);
        return t.Latency(new SuffixBound(t).BestPlan());
    }

    public PlanResult Plan(PlanningProblem problem)
    {
        var t = new CostTables(problem);
        var bound = new SuffixBound(t);
        var unconstrained = bound.BestPlan();
        var best = t.Result(unconstrained, provenOptimal: true, explored: t.N * t.D);
        if (best.Feasible) return best;

        // The DP plan has the least latency of all plans: if it misses the requirement, so does every plan.
        if (best.LatencyMs <= t.Requirement)
        {
            var search = new BranchAndBound(t, bound, nodeLimit);
            search.Run();
            if (search.Incumbent is { } incumbent)
                return t.Result(incumbent, provenOptimal: !search.Aborted, explored: search.Nodes);
        }

        var fallback = new CombinationSearch(t, AdamecStrategy.DefaultBeamWidth, maxRounds: 4 * t.N * t.D);
        return fallback.Run([unconstrained, t.LocalPlan(), t.Current.ToArray()]);
    }

    /// <summary>H[i][d] by backward DP, lexicographic in (latency, weight bytes moved).</summary>
    private sealed class SuffixBound
    {
        private readonly CostTables _t;

        public SuffixBound(CostTables t)
        {
            _t = t;
            Latency = new double[t.N * t.D];
            Moved = new double[t.N * t.D];
            Next = new int[t.N * t.D];
            for (var i = t.N - 1; i >= 0; i--)
            {
                for (var d = 0; d < t.D; d++)
                {
                    var cell = (i * t.D) + d;
                    var exec = t.Exec[cell];
                    var moved = t.MovedBytes(i, d);
                    if (i == t.N - 1)
                    {
                        Latency[cell] = exec + t.Transfer(t.N, d, t.Initiator);
                        Moved[cell] = moved;
                        Next[cell] = t.Initiator;
                        continue;
                    }

                    var bestLatency = double.PositiveInfinity;
                    var bestMoved = double.PositiveInfinity;
                    var bestNext = d;
                    for (var e = 0; e < t.D; e++)
                    {
                        var next = ((i + 1) * t.D) + e;
                        var latency = t.Transfer(i + 1, d, e) + Latency[next];
                        if (PlanOrder.CompareFeasible(latency, Moved[next], bestLatency, bestMoved) < 0)
                        {
                            (bestLatency, bestMoved, bestNext) = (latency, Moved[next], e);
                        }
                    }

                    Latency[cell] = exec + bestLatency;
                    Moved[cell] = moved + bestMoved;
                    Next[cell] = bestNext;
                }
            }
        }

        public double[] Latency { get; }

        public double[] Moved { get; }

        public int[] Next { get; }

        public int[] BestPlan()
        {
            var t = _t;
            var bestLatency = double.PositiveInfinity;
            var bestMoved = double.PositiveInfinity;
            var first = t.Initiator;
            for (var d = 0; d < t.D; d++)
            {
                var latency = t.Transfer(0, t.Initiator, d) + Latency[d];
                if (PlanOrder.CompareFeasible(latency, Moved[d], bestLatency, bestMoved) < 0)
                {
                    (bestLatency, bestMoved, first) = (latency, Moved[d], d);
                }
            }

            var x = new int[t.N];
            x[0] = first;
            for (var i = 1; i < t.N; i++)
            {
                x[i] = Next[((i - 1) * t.D) + x[i - 1]];
            }

            return x;
        }
    }

    private sealed class BranchAndBound
    {
        private const double Slack = 1e-9;
        private readonly CostTables _t;
        private readonly SuffixBound _h;
        private readonly int _limit;
        private readonly int[] _x;
        private readonly double[] _memory;
        private readonly double[] _compute;
        private readonly double[] _suffixMemory;
        private readonly double[] _suffixFlops;
        private readonly bool _memoryLimited;
        private readonly bool _computeLimited;
        private readonly double[] _childBound;
        private readonly int[] _childDevice;
        private double _freeMemory;
        private double _freeCompute;
        private double _incumbentLatency = double.PositiveInfinity;
        private double _incumbentMoved = double.PositiveInfinity;

        public BranchAndBound(CostTables t, SuffixBound h, int limit)
        {
            _t = t;
            _h = h;
            _limit = limit;
            _x = new int[t.N];
            _memory = new double[t.D];
            _compute = new double[t.D];
            _suffixMemory = new double[t.N + 1];
            _suffixFlops = new double[t.N + 1];
            for (var i = t.N - 1; i >= 0; i--)
            {
                _suffixMemory[i] = _suffixMemory[i + 1] + t.Memory[i];
                _suffixFlops[i] = _suffixFlops[i + 1] + t.Flops[i];
            }

            _memoryLimited = t.MemoryBudget.All(double.IsFinite);
            _computeLimited = t.ComputeBudget.All(double.IsFinite);
            _freeMemory = _memoryLimited ? t.MemoryBudget.Sum() : 0;
            _freeCompute = _computeLimited ? t.ComputeBudget.Sum() : 0;
            _childBound = new double[t.N * t.D];
            _childDevice = new int[t.N * t.D];
        }

        public int[]? Incumbent { get; private set; }

        public bool Aborted { get; private set; }

        public long Nodes { get; private set; }

        public void Run() => Visit(0, _t.Initiator, 0, 0);

        private void Visit(int i, int previous, double latency, double moved)
        {
            var t = _t;
            if (i == t.N)
            {
                // Same operations in the same order as CostTables.Latency: bit-identical.
                var total = latency + t.Transfer(t.N, previous, t.Initiator);
                if (total <= t.Requirement && (Incumbent is null || PlanOrder.CompareFeasible(total, moved, _incumbentLatency, _incumbentMoved) < 0))
                {
                    Incumbent = (int[])_x.Clone();
                    _incumbentLatency = total;
                    _incumbentMoved = moved;
                }

                return;
            }

            if (++Nodes > _limit)
            {
                Aborted = true;
                return;
            }

            // What is left must fit in what is free (only meaningful when every device has a budget).
            if (_memoryLimited && _suffixMemory[i] > _freeMemory * (1 + Slack)) return;
            if (_computeLimited && _suffixFlops[i] > _freeCompute * (1 + Slack)) return;
            var requirementCut = t.Requirement * (1 + Slack);
            var count = 0;
            var baseIndex = i * t.D;
            for (var d = 0; d < t.D; d++)
            {
                if (_memory[d] + t.Memory[i] > t.MemoryBudget[d] || _compute[d] + t.Flops[i] > t.ComputeBudget[d]) continue;
                var bound = latency + t.Transfer(i, previous, d) + _h.Latency[baseIndex + d];
                if (!(bound <= requirementCut)) continue; // also drops NaN/unreachable
                if (Incumbent is not null && PlanOrder.CompareFeasible(bound, moved + t.MovedBytes(i, d), _incumbentLatency, _incumbentMoved) >= 0) continue;

                // Insertion sort by bound: D is small.
                var slot = count++;
                while (slot > 0 && _childBound[baseIndex + slot - 1] > bound)
                {
                    _childBound[baseIndex + slot] = _childBound[baseIndex + slot - 1];
                    _childDevice[baseIndex + slot] = _childDevice[baseIndex + slot - 1];
                    slot--;
                }

                _childBound[baseIndex + slot] = bound;
                _childDevice[baseIndex + slot] = d;
            }

            for (var c = 0; c < count && !Aborted; c++)
            {
                var d = _childDevice[baseIndex + c];
                // The incumbent may have improved since the children were ranked.
                if (Incumbent is not null && PlanOrder.CompareFeasible(_childBound[baseIndex + c], moved + t.MovedBytes(i, d), _incumbentLatency, _incumbentMoved) >= 0) continue;
                _x[i] = d;
                _memory[d] += t.Memory[i];
                _compute[d] += t.Flops[i];
                if (_memoryLimited) _freeMemory -= t.Memory[i];
                if (_computeLimited) _freeCompute -= t.Flops[i];
                Visit(i + 1, d, latency + t.Transfer(i, previous, d) + t.Exec[baseIndex + d], moved + t.MovedBytes(i, d));
                _memory[d] -= t.Memory[i];
                _compute[d] -= t.Flops[i];
                if (_memoryLimited) _freeMemory += t.Memory[i];
                if (_computeLimited) _freeCompute += t.Flops[i];
            }
        }
    }
}
