using AdaMec.Core.Deployments;
using AdaMec.Core.Planning;
using Microsoft.Extensions.Time.Testing;

namespace AdaMec.Core.Tests.Deployments;

/// <summary>
/// How the baselines make a plan live on the deployment machine: IONN switches each atom as it arrives, in
/// layer order; one-time offloading keeps serving the old plan until every atom has arrived, then switches once.
/// </summary>
public sealed class OffloadSwitchingTests
{
    // a0 is the heavier atom to ship: AdaMec's cheapest-first order takes a1 first, IONN's layer order a0.
    private static readonly DeploymentModel Model = new("m1", 1000, [
        new DeploymentAtom("a0", 1e6, 50_000, 2000, 100, 5, "s0"),
        new DeploymentAtom("a1", 1e6, 1000, 2000, 100, 5, "s1"),
    ]);

    // Ten times slower than the edge: every plan worth having moves both atoms to e1.
    private static readonly DeploymentInitiator Phone = new("phone", 10, null, null);

    [Theory]
    [InlineData("ionn", 0)]
    [InlineData("dp", 1)]
    public void Offload_Strategy_TakesItsOrderAndSwitchesEachAtomOnArrival(string strategy, int first)
    {
        var (machine, _) = Planned(strategy);

        var step = Assert.IsType<OffloadWork>(machine.NextWork());
        Assert.Equal(first, step.Atom);
        var version = machine.Version;
        var effects = machine.AtomResident(step.Atom, step.To, 1000);

        // Incremental: the arrived atom serves at once, the other still on the phone.
        Assert.NotNull(effects.Notify);
        Assert.Equal(version + 1, machine.Version);
        Assert.Equal("e1", machine.Live[first]);
        Assert.Equal("phone", machine.Live[1 - first]);
        Assert.Equal(1 - first, Assert.IsType<OffloadWork>(machine.NextWork()).Atom);
    }

    [Fact]
    public void Offload_OneTime_KeepsTheOldPlanUntilEveryAtomArrivedThenSwitchesOnce()
    {
        var (machine, time) = Planned("onetime");
        var version = machine.Version;

        var step = Assert.IsType<OffloadWork>(machine.NextWork());
        var effects = machine.AtomResident(step.Atom, step.To, 1000);

        Assert.Null(effects.Notify);
        Assert.Equal(["phone", "phone"], machine.Live);
        Assert.Equal(version, machine.Version);
        Assert.True(machine.Migrating);
        Assert.Equal(1000, machine.History[^1].BytesMoved);

        time.Advance(TimeSpan.FromMilliseconds(50));
        var last = Assert.IsType<OffloadWork>(machine.NextWork());
        Assert.NotEqual(step.Atom, last.Atom);
        effects = machine.AtomResident(last.Atom, last.To, 1000);

        Assert.NotNull(effects.Notify);
        Assert.Equal(["e1", "e1"], machine.Live);
        Assert.Equal(version + 1, machine.Version);
        var record = machine.History[^1];
        Assert.True(record.Completed);
        Assert.Equal(2000, record.BytesMoved);
        Assert.All(record.Switches, s => Assert.Equal(version + 1, s.Version));
        Assert.Equal(2, record.Switches.Count);
        Assert.IsType<IdleWork>(machine.NextWork());
    }

    [Fact]
    public void Offload_OneTimeDeviceLeavesBeforeTheSwitch_DropsTheHeldAtomAndStaysOnThePhone()
    {
        var (machine, _) = Planned("onetime");
        var step = Assert.IsType<OffloadWork>(machine.NextWork());
        machine.AtomResident(step.Atom, step.To, 1000);

        machine.MembershipChanged([]);
        var replan = Assert.IsType<ReplanWork>(machine.NextWork());
        Decide(machine, replan);

        Assert.Equal(["phone", "phone"], machine.Live);
        Assert.Equal(["phone", "phone"], machine.Target);
        Assert.False(machine.Migrating);
    }

    [Fact]
    public void Save_OneTimeWithAHeldAtom_RestoresAMachineThatShipsItAgain()
    {
        var (machine, time) = Planned("onetime");
        var step = Assert.IsType<OffloadWork>(machine.NextWork());
        machine.AtomResident(step.Atom, step.To, 1000);

        var restored = DeploymentMachine.Restore("d", new DeploymentMachineOptions { Strategy = "onetime" }, time, Model, machine.Save(), ["e1"]);

        // The held copy is not remembered as moved: after the resume re-plan it is offered again.
        Assert.DoesNotContain(step.Atom, restored.Save().Moved);
    }

    private static (DeploymentMachine Machine, FakeTimeProvider Time) Planned(string strategy)
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", new DeploymentMachineOptions { Strategy = strategy }, time);
        machine.Deploy(Model, Phone, 1000, ["e1"]);
        Decide(machine, Assert.IsType<ReplanWork>(machine.NextWork()));
        Assert.Equal(["e1", "e1"], machine.Target);
        return (machine, time);
    }

    private static void Decide(DeploymentMachine machine, ReplanWork replan)
    {
        var devices = machine.Devices.Select(d => new DeviceContext(d, 1, null, null, 1_000_000_000, [])).ToArray();
        var all = machine.Devices.Append(machine.Initiator.DeviceId).ToArray();
        var links = all.SelectMany(f => all.Where(t => t != f).Select(t => new LinkContext(f, t, 100, 1))).ToArray();
        var request = machine.PreparePlan(replan, new ContextSnapshot(devices, links));
        machine.Decided(request, Planner.Decide(request.Problem, request.Strategy));
    }
}
