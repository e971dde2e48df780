using AdaMec.Core.Planning;
using AdaMec.Core.Planning.Strategies;
using FsCheck.Xunit;

namespace AdaMec.Core.Tests.Planning;

/// <summary>
/// Properties over random problems (FsCheck draws the seed and the size; the generator turns them
/// into a realistic problem). Sizes stay tiny where a brute force is the oracle.
/// </summary>
public sealed class PlanningPropertyTests
{
    [Property(MaxTest = 60)]
    public bool Plan_ClaimedFeasible_IsFeasibleForTheIndependentEvaluator(int seed, byte atoms, byte devices)
    {
        var problem = PlanningProblemGenerator.Generate(seed, 1 + (atoms % 8), 1 + (devices % 4));
        var evaluator = new PlanEvaluator(problem);
        foreach (var name in PlanningStrategies.Names)
        {
            var result = PlanningStrategies.Create(name).Plan(problem);
            var cost = evaluator.Evaluate(result.Assignment);
            if (result.Feasible != cost.Feasible) return false;
            if (cost.Reachable && cost.LatencyMs != result.LatencyMs) return false;
        }

        return true;
    }

    [Property(MaxTest = 60)]
    public bool Exhaustive_TinyInstances_EqualsBruteForce(int seed, byte atoms, byte devices)
    {
        var problem = PlanningProblemGenerator.Generate(seed, 1 + (atoms % 5), 1 + (devices % 3));

        var exhaustive = new ExhaustiveStrategy().Plan(problem);
        var brute = BruteForce(problem);

        if (exhaustive.Feasible != brute.Feasible) return false;
        return brute.Feasible
            ? PlanOrder.LatencyEquals(exhaustive.LatencyMs, brute.LatencyMs) && exhaustive.WeightBytesMoved == brute.WeightBytesMoved
            : Math.Abs(exhaustive.ConstraintGap - brute.ConstraintGap) <= 1e-12 * Math.Max(1, brute.ConstraintGap);
    }

    [Property(MaxTest = 80)]
    public bool Dp_SmallInstances_MatchesExhaustiveOptimum(int seed, byte atoms, byte devices)
    {
        var problem = PlanningProblemGenerator.Generate(seed, 1 + (atoms % 9), 1 + (devices % 4));

        var exact = new ExhaustiveStrategy().Plan(problem);
        var dp = new ChainDpStrategy().Plan(problem);

        if (!exact.Feasible) return !dp.Feasible;
        return dp.Feasible && dp.LatencyMs <= exact.LatencyMs * 1.01;
    }

    [Property(MaxTest = 60)]
    public bool OffloadOrder_AnyTarget_EndsAtTargetMovingEachAtomOnce(int seed, byte atoms, byte devices, int targetSeed)
    {
        var problem = PlanningProblemGenerator.Generate(seed, 1 + (atoms % 12), 1 + (devices % 5));
        var random = new Random(targetSeed);
        var target = problem.Atoms.Select(_ => random.Next(problem.Devices.Count)).ToArray();

        var steps = OffloadOrder.Compute(problem, target);

        var live = problem.Current.ToArray();
        foreach (var step in steps)
        {
            var atom = problem.AtomIndexOf(step.Atom);
            if (problem.Devices[live[atom]].Id != step.From || live[atom] == target[atom]) return false;
            live[atom] = problem.DeviceIndexOf(step.To);
            if (live[atom] != target[atom]) return false;
        }

        var changed = problem.Atoms.Count(a => target[problem.AtomIndexOf(a.Id)] != problem.Current[problem.AtomIndexOf(a.Id)]);
        return live.SequenceEqual(target)
            && steps.Select(s => s.Atom).Distinct().Count() == steps.Count
            && steps.Count == changed
            && steps.Zip(steps.Skip(1)).All(p => p.First.CompletesAtMs <= p.Second.CompletesAtMs);
    }

    [Property(MaxTest = 40)]
    public bool Plan_RequirementBelowEveryPlan_ReturnsInfeasible(int seed, byte atoms, byte devices)
    {
        var generated = PlanningProblemGenerator.Generate(seed, 1 + (atoms % 10), 1 + (devices % 4));
        var tooStrict = ChainDpStrategy.UnconstrainedLatency(generated) * 0.9;
        var problem = PlanningProblem.Create(generated.InputBytes, tooStrict, generated.Devices, generated.Links, generated.Atoms);

        foreach (var name in PlanningStrategies.Names)
        {
            var strategy = PlanningStrategies.Create(name);
            if (strategy is ExhaustiveStrategy exhaustive && !exhaustive.IsTractable(problem)) continue;
            if (strategy.Plan(problem).Feasible) return false;
        }

        return true;
    }

    private static PlanResult BruteForce(PlanningProblem problem)
    {
        var evaluator = new PlanEvaluator(problem);
        var n = problem.Atoms.Count;
        var x = new int[n];
        PlanResult? best = null;
        while (true)
        {
            var cost = evaluator.Evaluate(x);
            var candidate = new PlanResult(x.ToArray(), cost.LatencyMs, cost.Feasible, cost.ConstraintGap, cost.WeightBytesMoved);
            if (best is null || PlanOrder.Compare(candidate, best) < 0) best = candidate;
            var i = 0;
            while (i < n && ++x[i] == problem.Devices.Count)
            {
                x[i++] = 0;
            }

            if (i == n) return best;
        }
    }
}
