using System.Globalization;

namespace AdaMec.Core.Planning.Strategies;

/// <summary>
/// Enumerates all D^n assignments (depth-first, costs kept incrementally) and returns the exact
/// optimum of the objective (docs/method.md), or the exact least-gap plan when nothing is feasible. It is
/// the yardstick of the benchmark and refuses problems above <see cref="MaxPlans"/> plans rather
/// than running for hours.
/// </summary>
public sealed class ExhaustiveStrategy(long maxPlans = ExhaustiveStrategy.DefaultMaxPlans) : IPlanningStrategy
{
    /// <summary>2^21: about a tenth of a second here, and covers n = 20 on two devices.</summary>
    public const long DefaultMaxPlans = 1L << 21;

    public string Name => "exhaustive";

    public string Description => "exact enumeration of all D^n plans (refuses more than " + maxPlans.ToString(CultureInfo.InvariantCulture) + ")";

    public long MaxPlans => maxPlans;

    public static double PlanCount(PlanningProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return Math.Pow(problem.Devices.Count, problem.Atoms.Count);
    }

    public bool IsTractable(PlanningProblem problem) => PlanCount(problem) <= maxPlans;

    public PlanResult Plan(PlanningProblem problem)
    {
        if (!IsTractable(problem))
        {
            throw new StrategyRefusedException(string.Create(CultureInfo.InvariantCulture,
                $"exhaustive search refuses {problem.Devices.Count}^{problem.Atoms.Count} = {PlanCount(problem):0.###e0} plans (limit {maxPlans}); use the default strategy, which is exact on chains"));
        }

        var search = new Search(new CostTables(problem));
        search.Run(0, search.Tables.Initiator, 0, 0);
        return search.Tables.Result(search.Best, provenOptimal: true, explored: search.Leaves);
    }

    private sealed class Search(CostTables tables)
    {
        private readonly int[] _x = new int[tables.N];
        private readonly double[] _memory = new double[tables.D];
        private readonly double[] _compute = new double[tables.D];
        private bool _bestFeasible;
        private double _bestLatency = double.PositiveInfinity;
        private double _bestGap = double.PositiveInfinity;
        private double _bestMoved = double.PositiveInfinity;

        public CostTables Tables { get; } = tables;

        public int[] Best { get; } = tables.LocalPlan();

        public long Leaves { get; private set; }

        public void Run(int i, int previous, double latency, double moved)
        {
            var t = Tables;
            if (i == t.N)
            {
                Leaf(latency + t.Transfer(t.N, previous, t.Initiator), moved);
                return;
            }

            for (var d = 0; d < t.D; d++)
            {
                _x[i] = d;
                _memory[d] += t.Memory[i];
                _compute[d] += t.Flops[i];
                Run(i + 1, d, latency + t.Transfer(i, previous, d) + t.Exec[(i * t.D) + d], moved + t.MovedBytes(i, d));
                _memory[d] -= t.Memory[i];
                _compute[d] -= t.Flops[i];
            }
        }

        private void Leaf(double latency, double moved)
        {
            Leaves++;
            var t = Tables;
            var within = true;
            for (var j = 0; j < t.D && within; j++)
            {
                within = _memory[j] <= t.MemoryBudget[j] && _compute[j] <= t.ComputeBudget[j];
            }

            var feasible = within && latency <= t.Requirement;
            if (feasible)
            {
                if (_bestFeasible && PlanOrder.CompareFeasible(latency, moved, _bestLatency, _bestMoved) >= 0) return;
                _bestFeasible = true;
                Take(latency, 0, moved);
                return;
            }

            if (_bestFeasible) return;
            var gap = ConstraintGap.Compute(latency, t.Requirement, _compute, t.ComputeBudget, _memory, t.MemoryBudget, t.Weights);
            if (PlanOrder.Compare(false, latency, gap, moved, false, _bestLatency, _bestGap, _bestMoved) < 0) Take(latency, gap, moved);
        }

        private void Take(double latency, double gap, double moved)
        {
            _bestLatency = latency;
            _bestGap = gap;
            _bestMoved = moved;
            _x.CopyTo(Best, 0);
        }
    }
}
