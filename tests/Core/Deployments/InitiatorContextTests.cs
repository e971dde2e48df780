using AdaMec.Core.Deployments;
using Microsoft.Extensions.Time.Testing;

namespace AdaMec.Core.Tests.Deployments;

/// <summary>The initiator's own report (speed, memory) in the gathered context is what the plan is built on.</summary>
public sealed class InitiatorContextTests
{
    private const string Phone = "phone";

    private static readonly DeploymentModel Model = new("sha", 1000,
    [
        new DeploymentAtom("a0", 1e6, 400, 500, 100, 10, "s0"),
        new DeploymentAtom("a1", 1e6, 400, 700, 100, 20, "s1"),
    ]);

    private static (DeploymentMachine Machine, ReplanWork Work) Deployed()
    {
        var machine = new DeploymentMachine("dep", DeploymentSimulation.Options, new FakeTimeProvider());
        machine.Deploy(Model, new DeploymentInitiator(Phone, 4, 1e9, null), 200, ["edge1"]);
        return (machine, Assert.IsType<ReplanWork>(machine.NextWork()));
    }

    [Fact]
    public void PreparePlan_InitiatorReported_PlansWithItsMeasuredSpeedAndMemory()
    {
        var (machine, work) = Deployed();
        var reported = new DeviceContext(Phone, 2.5, null, null, 3000, [0, 1]);
        var edge = new DeviceContext("edge1", 1, null, null, -1, []);

        var problem = machine.PreparePlan(work, new ContextSnapshot([reported, edge], [])).Problem;

        Assert.Equal(10 * 2.5, problem.Atoms[0].LatencyMs[Phone], 9);
        Assert.Equal(20 * 2.5, problem.Atoms[1].LatencyMs[Phone], 9);
        // Free memory plus every atom (the initiator holds them all), under the declared budget.
        Assert.Equal(3000 + 500 + 700, problem.Initiator.MemoryBudgetBytes);
        Assert.Single(problem.Devices, d => d.Id == Phone);
    }

    [Fact]
    public void PreparePlan_NoReport_FallsBackToTheDeployTimeFacts()
    {
        var (machine, work) = Deployed();

        var problem = machine.PreparePlan(work, new ContextSnapshot([new DeviceContext("edge1", 1, null, null, -1, [])], [])).Problem;

        Assert.Equal(10 * 4, problem.Atoms[0].LatencyMs[Phone], 9);
        Assert.Equal(1e9, problem.Initiator.MemoryBudgetBytes);
    }
}
