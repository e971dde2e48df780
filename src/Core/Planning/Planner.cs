using System.Diagnostics;

namespace AdaMec.Core.Planning;

/// <summary>Runs a strategy, times it, re-checks its plan and derives the offloading order (the strategy's <see cref="IOffloadPolicy"/>).</summary>
public static class Planner
{
    public static PlanDecision Decide(PlanningProblem problem, IPlanningStrategy? strategy = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        strategy ??= PlanningStrategies.Default;
        var started = Stopwatch.GetTimestamp();
        var result = strategy.Plan(problem);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var cost = new PlanEvaluator(problem).Evaluate(result.Assignment);
        return new PlanDecision(strategy.Name, problem, result, cost, elapsed, OffloadPolicies.For(strategy).Order(problem, result.Assignment));
    }
}
