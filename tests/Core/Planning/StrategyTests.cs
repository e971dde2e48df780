using AdaMec.Core.Planning;
using AdaMec.Core.Planning.Strategies;

namespace AdaMec.Core.Tests.Planning;

public sealed class StrategyTests
{
    public static TheoryData<string> AllStrategies => new(PlanningStrategies.Names);

    [Theory]
    [InlineData("dp", "edge", "edge", 10)]
    [InlineData("adamec", "edge", "edge", 10)]
    [InlineData("exhaustive", "edge", "edge", 10)]
    [InlineData("neurosurgeon", "edge", "edge", 10)]
    [InlineData("dads", "edge", "edge", 10)]
    [InlineData("local", "mobile", "mobile", 30)]
    [InlineData("ionn", "edge", "edge", 10)]
    [InlineData("onetime", "edge", "edge", 10)]
    public void Plan_TwoAtomsNoBudgets_FindsExpectedPlan(string strategy, string first, string second, double latency)
    {
        var problem = PlanningTestData.TwoAtoms();

        var result = PlanningStrategies.Create(strategy).Plan(problem);

        Assert.Equal(PlanningTestData.Plan(problem, first, second), result.Assignment);
        Assert.Equal(latency, result.LatencyMs, 12);
        Assert.True(result.Feasible);
    }

    [Theory]
    [InlineData("dp", "edge", "mobile", 28)]
    [InlineData("adamec", "edge", "mobile", 28)]
    [InlineData("exhaustive", "edge", "mobile", 28)]
    [InlineData("neurosurgeon", "mobile", "mobile", 30)] // a single split cannot leave a2 behind
    public void Plan_EdgeMemoryBudget_RespectsIt(string strategy, string first, string second, double latency)
    {
        var problem = PlanningTestData.TwoAtoms(edgeMemoryBudget: 600);

        var result = PlanningStrategies.Create(strategy).Plan(problem);

        Assert.Equal(PlanningTestData.Plan(problem, first, second), result.Assignment);
        Assert.Equal(latency, result.LatencyMs, 12);
        Assert.True(result.Feasible);
    }

    [Fact]
    public void Plan_DadsIgnoresBudgets_ReportsItsPlanInfeasible()
    {
        var problem = PlanningTestData.TwoAtoms(edgeMemoryBudget: 600);

        var result = new DadsStrategy().Plan(problem);

        // The min cut is latency-only; among its per-device cuts and the local plan the objective
        // prefers the feasible local plan.
        Assert.Equal(PlanningTestData.Plan(problem, "mobile", "mobile"), result.Assignment);
        Assert.True(result.Feasible);
    }

    [Theory]
    [MemberData(nameof(AllStrategies))]
    public void Plan_NoFeasiblePlan_ReturnsInfeasibleWithoutThrowing(string strategy)
    {
        // Requirement 25 with edge memory 600: every plan is too slow or over budget.
        var problem = PlanningTestData.TwoAtoms(requirementMs: 25, edgeMemoryBudget: 600);

        var result = PlanningStrategies.Create(strategy).Plan(problem);

        Assert.False(result.Feasible);
        Assert.False(new PlanEvaluator(problem).Evaluate(result.Assignment).Feasible);
    }

    [Theory]
    [InlineData("dp")]
    [InlineData("exhaustive")]
    [InlineData("adamec")]
    public void Plan_NoFeasiblePlan_ReturnsLeastGapPlan(string strategy)
    {
        // Gaps: (edge, mobile) 0.12 < (mobile, edge) 0.167 < (mobile, mobile) 0.2 < (edge, edge) 1.
        var problem = PlanningTestData.TwoAtoms(requirementMs: 25, edgeMemoryBudget: 600);

        var result = PlanningStrategies.Create(strategy).Plan(problem);

        Assert.Equal(PlanningTestData.Plan(problem, "edge", "mobile"), result.Assignment);
        Assert.Equal(0.12, result.ConstraintGap, 12);
    }

    [Theory]
    [InlineData("dp")]
    [InlineData("exhaustive")]
    [InlineData("adamec")]
    public void Plan_EqualLatencyDevices_KeepsTheCurrentOne(string strategy)
    {
        // edge1 and edge2 are interchangeable; the atoms already sit on edge2, so moving them to
        // edge1 would ship weights for nothing.
        var latency = new Dictionary<string, double> { ["mobile"] = 50, ["edge1"] = 5, ["edge2"] = 5 };
        string[] ids = ["mobile", "edge1", "edge2"];
        var links = ids.SelectMany(a => ids.Where(b => b != a).Select(b => new PlanningLink(a, b, 100, 1))).ToList();
        var problem = PlanningProblem.Create(100, 1000,
            [new PlanningDevice("mobile", true), new PlanningDevice("edge1"), new PlanningDevice("edge2")],
            links,
            [new PlanningAtom("a1", 1, 1000, 1, 100, latency), new PlanningAtom("a2", 1, 1000, 1, 100, latency)],
            new Dictionary<string, string> { ["a1"] = "edge2", ["a2"] = "edge2" });

        var result = PlanningStrategies.Create(strategy).Plan(problem);

        Assert.Equal(PlanningTestData.Plan(problem, "edge2", "edge2"), result.Assignment);
        Assert.Equal(0, result.WeightBytesMoved);
    }

    [Fact]
    public void Plan_ExhaustiveAboveLimit_RefusesClearly()
    {
        var problem = PlanningProblemGenerator.Generate(1, 22, 2);

        var error = Assert.Throws<StrategyRefusedException>(() => new ExhaustiveStrategy().Plan(problem));

        Assert.Contains("refuses 2^22", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_DpUnderTightBudgets_ProvesOptimalityAgainstExhaustive()
    {
        // Budget-bound instances exercise the branch and bound rather than the plain DP.
        var checkedCount = 0;
        for (var seed = 0; checkedCount < 20 && seed < 500; seed++)
        {
            var problem = PlanningProblemGenerator.Generate(seed, 8, 3);
            var unconstrained = ChainDpStrategy.UnconstrainedLatency(problem);
            var exact = new ExhaustiveStrategy().Plan(problem);
            if (!exact.Feasible || PlanOrder.LatencyEquals(exact.LatencyMs, unconstrained)) continue;
            checkedCount++;

            var dp = new ChainDpStrategy().Plan(problem);

            Assert.True(dp.Feasible, $"seed {seed}");
            Assert.True(PlanOrder.LatencyEquals(exact.LatencyMs, dp.LatencyMs), $"seed {seed}: dp {dp.LatencyMs} vs {exact.LatencyMs}");
            Assert.True(dp.ProvenOptimal);
        }

        Assert.Equal(20, checkedCount);
    }

    [Fact]
    public void Create_UnknownName_ListsTheChoices()
    {
        var error = Assert.Throws<ArgumentException>(() => PlanningStrategies.Create("magic"));

        Assert.Contains("dp, adamec", error.Message, StringComparison.Ordinal);
    }
}
