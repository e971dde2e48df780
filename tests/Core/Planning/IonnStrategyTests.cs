using AdaMec.Core.Planning;
using AdaMec.Core.Planning.Strategies;

namespace AdaMec.Core.Tests.Planning;

/// <summary>The IONN-like baseline: a one-edge partition, offloaded in layer order.</summary>
public sealed class IonnStrategyTests
{
    [Fact]
    public void Plan_TwoEdgesEachBestForOneAtom_UsesOnlyTheInitiatorAndOneEdge()
    {
        // a1 is fastest on e1 and a2 on e2: dp splits across both edges, IONN keeps to one (e1: 1 + 30).
        var problem = ThreeDevices(new() { ["mobile"] = 50, ["e1"] = 1, ["e2"] = 40 }, new() { ["mobile"] = 50, ["e1"] = 30, ["e2"] = 1 });

        var ionn = new IonnStrategy().Plan(problem);
        var dp = new ChainDpStrategy().Plan(problem);

        Assert.Equal(PlanningTestData.Plan(problem, "e1", "e2"), dp.Assignment);
        Assert.Equal(PlanningTestData.Plan(problem, "e1", "e1"), ionn.Assignment);
        Assert.Equal(new PlanEvaluator(problem).Evaluate(ionn.Assignment).LatencyMs, ionn.LatencyMs);
    }

    [Fact]
    public void Plan_EdgeMemoryBudgetIgnoredByThePartition_FallsBackToTheFeasibleLocalPlan()
    {
        // IONN partitions on latency alone; its plan over e's budget loses to the feasible local plan.
        var problem = PlanningTestData.TwoAtoms(edgeMemoryBudget: 600);

        var result = new IonnStrategy().Plan(problem);

        Assert.Equal(PlanningTestData.Plan(problem, "mobile", "mobile"), result.Assignment);
        Assert.True(result.Feasible);
    }

    [Fact]
    public void Order_LaterAtomCheaperToShip_StillOffloadsInLayerOrder()
    {
        // a1 ships 16000 B (17 ms), a2 8000 B (9 ms): AdaMec's order takes a2 first, IONN's a1.
        var problem = PlanningProblem.Create(1000, 100,
            [new PlanningDevice("mobile", true), new PlanningDevice("edge")],
            [new PlanningLink("mobile", "edge", 8, 1), new PlanningLink("edge", "mobile", 8, 1)],
            [
                new PlanningAtom("a1", 100, 16000, 500, 30000, new Dictionary<string, double> { ["mobile"] = 10, ["edge"] = 2 }),
                new PlanningAtom("a2", 200, 8000, 700, 1000, new Dictionary<string, double> { ["mobile"] = 20, ["edge"] = 4 }),
            ]);
        var target = PlanningTestData.Plan(problem, "edge", "edge");

        var ionn = OffloadPolicies.For(new IonnStrategy()).Order(problem, target);
        var adamec = OffloadPolicies.For(new ChainDpStrategy()).Order(problem, target);

        Assert.Equal(["a1", "a2"], ionn.Select(s => s.Atom));
        Assert.Equal(["a2", "a1"], adamec.Select(s => s.Atom));
        Assert.Equal([17.0, 26.0], ionn.Select(s => s.CompletesAtMs));
        // Serving with what has arrived: a1 alone on the edge sends its 30000 B output back (1 + 30 ms),
        // slower than all local (30 ms) — the negative benefit the paper reports for IONN.
        Assert.Equal(2 + 2 + 31 + 20, ionn[0].PredictedLatencyMs, 9);
        Assert.True(ionn[0].PredictedLatencyMs > new PlanEvaluator(problem).Evaluate(problem.Current).LatencyMs);
    }

    [Fact]
    public void Decide_Ionn_CarriesTheLayerOrderIntoTheDecision()
    {
        var problem = ThreeDevices(new() { ["mobile"] = 50, ["e1"] = 1, ["e2"] = 40 }, new() { ["mobile"] = 50, ["e1"] = 30, ["e2"] = 1 }, firstWeightBytes: 100_000);

        var decision = Planner.Decide(problem, PlanningStrategies.Create("ionn"));

        Assert.Equal("ionn", decision.Strategy);
        Assert.Equal(["a1", "a2"], decision.OffloadOrder.Select(s => s.Atom));
    }

    private static PlanningProblem ThreeDevices(Dictionary<string, double> a1, Dictionary<string, double> a2, double firstWeightBytes = 1000)
    {
        string[] ids = ["mobile", "e1", "e2"];
        var links = ids.SelectMany(a => ids.Where(b => b != a).Select(b => new PlanningLink(a, b, 1000, 0))).ToList();
        return PlanningProblem.Create(100, 1000,
            [new PlanningDevice("mobile", true), new PlanningDevice("e1"), new PlanningDevice("e2")],
            links,
            [new PlanningAtom("a1", 1, firstWeightBytes, 1, 100, a1), new PlanningAtom("a2", 1, 1000, 1, 100, a2)]);
    }
}
