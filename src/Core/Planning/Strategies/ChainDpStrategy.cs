namespace AdaMec.Core.Planning.Strategies;

/// <summary>
/// Exact planning that exploits the chain. Without budgets the optimum is a shortest path through
/// an atoms x devices layered graph: a backward dynamic programme H[i][d] = the least latency of
/// atoms i..n-1 with atom i on device d, output returned (ties: fewest weight bytes moved), O(n D^2).
/// When that plan breaks a memory or compute budget, a depth-first branch and bound over atoms in
/// chain order finds the budget-feasible optimum: H is an admissible bound (it is exact without
/// budgets), a Lagrangian version of H that prices memory and FLOPs per device tightens it (the
/// prices come from a few subgradient steps at the root, which also yield feasible starting plans),
/// partial plans over a budget or past the requirement are cut, so are partial plans whose
/// remaining atoms cannot fit in the devices' remaining budgets, and children are tried best bound first so the first
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
            var prices = new LagrangianBound(t);
            var search = new BranchAndBound(t, bound, prices, nodeLimit);
            if (prices.Incumbent is { } start) search.Offer(start, t.Latency(start), t.Moved(start));
            // A dual bound above the requirement proves that no plan meets it within the budgets.
            if (!prices.ProvesInfeasible) search.Run();
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

    /// <summary>
    /// Lagrangian relaxation of the budgets: with prices p (ms per byte, ms per FLOP) per budgeted
    /// device, min_x [T(x) + sum_j p_j (usage_j(x) - budget_j)] is a lower bound on every
    /// budget-feasible plan, computed by the same chain DP on priced execution costs. The prices
    /// come from Polyak subgradient steps on normalised usage. In the search the bound of a partial
    /// plan is partial + transfer + H_p[i][d] - sum_j p_j * free_j, since the rest of a feasible
    /// plan uses at most what is free.
    /// </summary>
    private sealed class LagrangianBound
    {
        private const int Rounds = 30;
        private readonly CostTables _t;

        public LagrangianBound(CostTables t)
        {
            _t = t;
            MemoryPrice = new double[t.D];
            FlopPrice = new double[t.D];
            Suffix = new double[t.N * t.D];
            var memoryScale = t.MemoryBudget.Select(b => double.IsFinite(b) ? Math.Max(b, 1) : 0).ToArray();
            var flopScale = t.ComputeBudget.Select(b => double.IsFinite(b) ? Math.Max(b, 1) : 0).ToArray();
            var memoryNu = new double[t.D];
            var flopNu = new double[t.D];
            var suffix = new double[t.N * t.D];
            var next = new int[t.N * t.D];
            var x = new int[t.N];
            var memory = new double[t.D];
            var flops = new double[t.D];
            var best = double.NegativeInfinity;
            var theta = 1.0;
            for (var round = 0; round < Rounds; round++)
            {
                var memoryPrice = new double[t.D];
                var flopPrice = new double[t.D];
                for (var j = 0; j < t.D; j++)
                {
                    memoryPrice[j] = memoryScale[j] > 0 ? memoryNu[j] / memoryScale[j] : 0;
                    flopPrice[j] = flopScale[j] > 0 ? flopNu[j] / flopScale[j] : 0;
                }

                var value = Solve(memoryPrice, flopPrice, suffix, next, x);
                if (value > best)
                {
                    best = value;
                    Array.Copy(memoryPrice, MemoryPrice, t.D);
                    Array.Copy(flopPrice, FlopPrice, t.D);
                    Array.Copy(suffix, Suffix, suffix.Length);
                }
                else
                {
                    theta *= 0.6;
                }

                Array.Clear(memory);
                Array.Clear(flops);
                for (var i = 0; i < t.N; i++)
                {
                    memory[x[i]] += t.Memory[i];
                    flops[x[i]] += t.Flops[i];
                }

                var norm = 0.0;
                var within = true;
                for (var j = 0; j < t.D; j++)
                {
                    var gm = memoryScale[j] > 0 ? (memory[j] - t.MemoryBudget[j]) / memoryScale[j] : 0;
                    var gf = flopScale[j] > 0 ? (flops[j] - t.ComputeBudget[j]) / flopScale[j] : 0;
                    within &= gm <= 0 && gf <= 0;
                    // Projected: a price at zero with slack stays at zero and does not steer the step.
                    if (gm > 0 || memoryNu[j] > 0) norm += gm * gm;
                    if (gf > 0 || flopNu[j] > 0) norm += gf * gf;
                    memory[j] = gm;
                    flops[j] = gf;
                }

                if (within)
                {
                    var latency = t.Latency(x);
                    if (latency <= t.Requirement && (Incumbent is null || PlanOrder.CompareFeasible(latency, 0, IncumbentLatency, 0) < 0))
                    {
                        Incumbent = (int[])x.Clone();
                        IncumbentLatency = latency;
                    }
                }

                var target = Math.Min(t.Requirement, IncumbentLatency);
                if (norm == 0 || !(target > value) || theta < 1e-4) break;
                var step = theta * (target - value) / norm;
                for (var j = 0; j < t.D; j++)
                {
                    memoryNu[j] = Math.Max(0, memoryNu[j] + (step * memory[j]));
                    flopNu[j] = Math.Max(0, flopNu[j] + (step * flops[j]));
                }
            }

            RootBound = best;
        }

        public double[] MemoryPrice { get; }

        public double[] FlopPrice { get; }

        /// <summary>H_p[i][d]: priced least latency of atoms i..n-1 with atom i on d.</summary>
        public double[] Suffix { get; }

        public double RootBound { get; }

        public int[]? Incumbent { get; private set; }

        public double IncumbentLatency { get; private set; } = double.PositiveInfinity;

        public bool ProvesInfeasible => RootBound > _t.Requirement * (1 + 1e-9);

        /// <summary>Priced DP; returns the Lagrangian value and leaves its minimiser in <paramref name="x"/>.</summary>
        private double Solve(double[] memoryPrice, double[] flopPrice, double[] suffix, int[] next, int[] x)
        {
            var t = _t;
            for (var i = t.N - 1; i >= 0; i--)
            {
                for (var d = 0; d < t.D; d++)
                {
                    var cell = (i * t.D) + d;
                    var own = t.Exec[cell] + (memoryPrice[d] * t.Memory[i]) + (flopPrice[d] * t.Flops[i]);
                    if (i == t.N - 1)
                    {
                        suffix[cell] = own + t.Transfer(t.N, d, t.Initiator);
                        continue;
                    }

                    var bestValue = double.PositiveInfinity;
                    var bestNext = d;
                    for (var e = 0; e < t.D; e++)
                    {
                        var value = t.Transfer(i + 1, d, e) + suffix[((i + 1) * t.D) + e];
                        if (value < bestValue)
                        {
                            (bestValue, bestNext) = (value, e);
                        }
                    }

                    suffix[cell] = own + bestValue;
                    next[cell] = bestNext;
                }
            }

            var total = double.PositiveInfinity;
            for (var d = 0; d < t.D; d++)
            {
                var value = t.Transfer(0, t.Initiator, d) + suffix[d];
                if (value < total)
                {
                    total = value;
                    x[0] = d;
                }
            }

            for (var i = 1; i < t.N; i++)
            {
                x[i] = next[((i - 1) * t.D) + x[i - 1]];
            }

            for (var j = 0; j < t.D; j++)
            {
                if (memoryPrice[j] > 0) total -= memoryPrice[j] * t.MemoryBudget[j];
                if (flopPrice[j] > 0) total -= flopPrice[j] * t.ComputeBudget[j];
            }

            return total;
        }
    }

    private sealed class BranchAndBound
    {
        private const double Slack = 1e-9;
        private readonly CostTables _t;
        private readonly SuffixBound _h;
        private readonly LagrangianBound _priced;
        private readonly int _limit;
        private double _credit; // sum_j price_j * free_j: what the rest of a feasible plan may still use
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

        public BranchAndBound(CostTables t, SuffixBound h, LagrangianBound priced, int limit)
        {
            _t = t;
            _h = h;
            _priced = priced;
            for (var j = 0; j < t.D; j++)
            {
                if (priced.MemoryPrice[j] > 0) _credit += priced.MemoryPrice[j] * t.MemoryBudget[j];
                if (priced.FlopPrice[j] > 0) _credit += priced.FlopPrice[j] * t.ComputeBudget[j];
            }

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

        /// <summary>A known feasible plan to start from (prunes from the first node on).</summary>
        public void Offer(int[] plan, double latency, double moved)
        {
            if (latency > _t.Requirement) return;
            if (Incumbent is not null && PlanOrder.CompareFeasible(latency, moved, _incumbentLatency, _incumbentMoved) >= 0) return;
            Incumbent = (int[])plan.Clone();
            _incumbentLatency = latency;
            _incumbentMoved = moved;
        }

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
                var arrive = latency + t.Transfer(i, previous, d);
                var bound = Math.Max(arrive + _h.Latency[baseIndex + d], arrive + _priced.Suffix[baseIndex + d] - _credit);
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
                var spent = (_priced.MemoryPrice[d] * t.Memory[i]) + (_priced.FlopPrice[d] * t.Flops[i]);
                _credit -= spent;
                Visit(i + 1, d, latency + t.Transfer(i, previous, d) + t.Exec[baseIndex + d], moved + t.MovedBytes(i, d));
                _memory[d] -= t.Memory[i];
                _compute[d] -= t.Flops[i];
                if (_memoryLimited) _freeMemory += t.Memory[i];
                if (_computeLimited) _freeCompute += t.Flops[i];
                _credit += spent;
            }
        }
    }
}
