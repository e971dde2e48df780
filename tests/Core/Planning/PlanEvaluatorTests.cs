using AdaMec.Core.Planning;

namespace AdaMec.Core.Tests.Planning;

public sealed class PlanEvaluatorTests
{
    // Hand-computed for PlanningTestData.TwoAtoms: a transfer of B bytes costs 1 + B/1000 ms.
    [Theory]
    [InlineData("mobile", "mobile", 30)] // 10 + 20, nothing crosses a link
    [InlineData("edge", "edge", 10)]     // in 2 + a1 2 + a2 4 + out 2
    [InlineData("mobile", "edge", 20)]   // a1 10 + 3000 B 4 + a2 4 + out 2
    [InlineData("edge", "mobile", 28)]   // in 2 + a1 2 + 3000 B 4 + a2 20
    public void Evaluate_TwoAtoms_MatchesHandComputedLatency(string first, string second, double expected)
    {
        var problem = PlanningTestData.TwoAtoms();

        var cost = new PlanEvaluator(problem).Evaluate(PlanningTestData.Plan(problem, first, second));

        Assert.Equal(expected, cost.LatencyMs, 12);
        Assert.True(cost.Feasible);
        Assert.Equal(0, cost.ConstraintGap);
    }

    [Fact]
    public void Evaluate_OverMemoryBudget_IsInfeasibleWithNormalisedGap()
    {
        var problem = PlanningTestData.TwoAtoms(edgeMemoryBudget: 600);

        var cost = new PlanEvaluator(problem).Evaluate(PlanningTestData.Plan(problem, "mobile", "edge"));

        Assert.Equal([500, 700], cost.MemoryBytes.Select(m => m));
        Assert.True(cost.MeetsLatency);
        Assert.False(cost.WithinBudgets);
        Assert.False(cost.Feasible);
        Assert.Equal(100.0 / 600, cost.ConstraintGap, 12); // (700 - 600) / 600
    }

    [Fact]
    public void Evaluate_OverComputeBudgetAndLatency_CombinesBothTerms()
    {
        var problem = PlanningTestData.TwoAtoms(requirementMs: 25, edgeComputeBudget: 100);

        var cost = new PlanEvaluator(problem).Evaluate(PlanningTestData.Plan(problem, "edge", "mobile"));

        // Compute on edge is a1's 100 FLOPs: within. Latency 28 > 25: (3 / 25)^2.
        Assert.Equal(0.12, cost.ConstraintGap, 12);
        var both = new PlanEvaluator(problem).Evaluate(PlanningTestData.Plan(problem, "edge", "edge"));
        Assert.Equal(300, both.ComputeFlops[1]);
        Assert.Equal(2.0, both.ConstraintGap, 12); // latency 10 meets 25; compute (300 - 100) / 100
    }

    [Fact]
    public void Evaluate_MissingReturnLink_IsUnreachable()
    {
        var full = PlanningTestData.TwoAtoms();
        var problem = PlanningProblem.Create(full.InputBytes, full.LatencyRequirementMs, full.Devices, [full.Links[0]], full.Atoms);

        var cost = new PlanEvaluator(problem).Evaluate(PlanningTestData.Plan(problem, "mobile", "edge"));

        Assert.True(double.IsPositiveInfinity(cost.LatencyMs));
        Assert.False(cost.Reachable);
        Assert.False(cost.Feasible);
        Assert.True(double.IsPositiveInfinity(cost.ConstraintGap));
    }

    [Fact]
    public void Evaluate_MovedAtoms_CountsTheirWeightBytes()
    {
        var problem = PlanningTestData.TwoAtoms(current: new Dictionary<string, string> { ["a2"] = "edge" });

        var cost = new PlanEvaluator(problem).Evaluate(PlanningTestData.Plan(problem, "edge", "mobile"));

        Assert.Equal(8000 + 16000, cost.WeightBytesMoved);
    }
}
