using AdaMec.Core.Partitioning;
using AdaMec.Core.Planning;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Runtime.Tests.Zoo;

public sealed class ZooPlanningProblemsTests
{
    [Theory]
    [InlineData("googlenet")]
    [InlineData("vgg16")]
    public void Atoms_Table4Contexts_DefaultPlannerMatchesEvaluator(string model)
    {
        var atoms = ZooPlanningProblems.Atoms(model, new FlopsLatencyModel());
        var graph = ModelZoo.Graph(model);

        Assert.Equal(graph.TotalFlops, atoms.Sum(a => a.Flops));
        foreach (var context in PaperContexts.Table4)
        {
            var problem = PaperContexts.ToProblem(context, atoms, graph.InputShape.Bytes);
            var decision = Planner.Decide(problem);
            var cost = new PlanEvaluator(problem).Evaluate(decision.Result.Assignment);

            Assert.Equal(cost.Feasible, decision.Result.Feasible);
            Assert.Equal(cost.LatencyMs, decision.Result.LatencyMs, 6);
        }
    }
}
