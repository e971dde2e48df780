using AdaMec.Core.Planning;

namespace AdaMec.Core.Tests.Planning;

public sealed class OffloadOrderTests
{
    [Fact]
    public void Compute_TwoMoves_CheapestFirstWithTimeToBenefit()
    {
        var problem = PlanningTestData.TwoAtoms();

        var steps = OffloadOrder.Compute(problem, PlanningTestData.Plan(problem, "edge", "edge"));

        // a1 ships 8000 B: 1 + 8 = 9 ms; a2 ships 16000 B: 1 + 16 = 17 ms.
        Assert.Equal(["a1", "a2"], steps.Select(s => s.Atom));
        Assert.Equal([9.0, 17.0], steps.Select(s => s.TransferMs));
        Assert.Equal([9.0, 26.0], steps.Select(s => s.CompletesAtMs));
        Assert.Equal([28.0, 10.0], steps.Select(s => s.PredictedLatencyMs));
        Assert.All(steps, s => Assert.Equal(["mobile", "edge"], s.Route));
    }

    [Fact]
    public void Compute_TargetEqualsCurrent_NothingToMove()
    {
        var problem = PlanningTestData.TwoAtoms();

        Assert.Empty(OffloadOrder.Compute(problem, problem.Current));
    }

    [Fact]
    public void Compute_NoDirectLink_RelaysOnlyThroughDevicesTheTargetUses()
    {
        // a2 sits on e1 and goes to e2; e1 -> e2 is missing. The target uses mobile, so the weights
        // go e1 -> mobile -> e2; e3 would be cheaper but the target does not use it.
        var latency = new Dictionary<string, double> { ["mobile"] = 5, ["e1"] = 5, ["e2"] = 1, ["e3"] = 5 };
        var problem = PlanningProblem.Create(100, 1000,
            [new PlanningDevice("mobile", true), new PlanningDevice("e1"), new PlanningDevice("e2"), new PlanningDevice("e3")],
            [
                new PlanningLink("e1", "mobile", 8, 1), new PlanningLink("mobile", "e2", 8, 1),
                new PlanningLink("e2", "mobile", 8, 1), new PlanningLink("mobile", "e1", 8, 1),
                new PlanningLink("e1", "e3", 800, 0), new PlanningLink("e3", "e2", 800, 0),
            ],
            [new PlanningAtom("a1", 1, 1000, 1, 100, latency), new PlanningAtom("a2", 1, 1000, 1, 100, latency)],
            new Dictionary<string, string> { ["a2"] = "e1" });

        var steps = OffloadOrder.Compute(problem, PlanningTestData.Plan(problem, "mobile", "e2"));

        var step = Assert.Single(steps);
        Assert.Equal(["e1", "mobile", "e2"], step.Route);
        Assert.Equal(4.0, step.TransferMs, 12); // two hops of 1 + 1000 * 8 / 8000
    }
}
