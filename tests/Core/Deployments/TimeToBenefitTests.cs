using AdaMec.Core.Deployments;
using AdaMec.Core.Planning;
using Microsoft.Extensions.Time.Testing;

namespace AdaMec.Core.Tests.Deployments;

/// <summary>
/// Time-to-benefit: from the triggering change (the source's own observation time when it gave one)
/// to the first request served by the new plan, per decision and per atom switched.
/// </summary>
public sealed class TimeToBenefitTests
{
    private static readonly DeploymentModel Model = new("m1", 1000, [
        new DeploymentAtom("a0", 1e6, 1000, 2000, 100, 5, "s0"),
        new DeploymentAtom("a1", 1e6, 1000, 2000, 100, 5, "s1"),
    ]);

    private static readonly DeploymentInitiator Phone = new("phone", 1, null, null);

    [Fact]
    public void RequestsServed_AfterAPinMovesTwoAtoms_TimesEachAtomAndThePlanFromTheChange()
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", new DeploymentMachineOptions(), time);
        machine.Deploy(Model, Phone, 100, ["e1"]);
        MachineDriver.Settle(machine, time);
        var changedAt = time.GetUtcNow();
        machine.SetPin(["e1", "e1"]);
        time.Advance(TimeSpan.FromMilliseconds(10));
        MachineDriver.Run(machine, Assert.IsType<ReplanWork>(machine.NextWork()));
        time.Advance(TimeSpan.FromMilliseconds(100));
        MachineDriver.Run(machine, Assert.IsType<OffloadWork>(machine.NextWork())); // atom 0 switches at +110 ms
        var firstSwitch = machine.Version;
        time.Advance(TimeSpan.FromMilliseconds(40));
        machine.RequestsServed(firstSwitch, 1, 1); // a request on the half-moved plan: atom 0's benefit only
        time.Advance(TimeSpan.FromMilliseconds(60));
        MachineDriver.Run(machine, Assert.IsType<OffloadWork>(machine.NextWork())); // atom 1 switches at +210 ms
        var record = machine.History[^1];
        Assert.True(record.Completed);
        Assert.Null(record.TimeToBenefitMs);

        time.Advance(TimeSpan.FromMilliseconds(30));
        machine.RequestsServed(firstSwitch, 1, 1); // a request that started before the plan was wholly live
        Assert.Null(machine.History[^1].TimeToBenefitMs);
        time.Advance(TimeSpan.FromMilliseconds(20));
        var effects = machine.RequestsServed(machine.Version, 1, 1);
        time.Advance(TimeSpan.FromMilliseconds(500));
        machine.RequestsServed(machine.Version, 1, 1); // later requests change nothing

        record = machine.History[^1];
        Assert.True(effects.Persist);
        Assert.Equal(changedAt, record.ChangedAt);
        Assert.Equal(machine.Version, record.LiveVersion);
        Assert.Equal(260, record.TimeToBenefitMs);
        Assert.Equal([new AtomSwitch(0, "phone", "e1", firstSwitch, 110, 150), new AtomSwitch(1, "phone", "e1", firstSwitch + 1, 210, 260)], record.Switches);
    }

    [Fact]
    public void ContextChanged_ObservedBeforeItArrives_CountsFromTheObservationAndTheEarliestOfCoalescedChanges()
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", new DeploymentMachineOptions(), time);
        machine.Deploy(Model, Phone, 100, ["e1"]);
        machine.SetPin(["e1", "phone"]);
        MachineDriver.Settle(machine, time);
        machine.SetPin(null);
        MachineDriver.Settle(machine, time);
        var observed = time.GetUtcNow() - TimeSpan.FromMilliseconds(300);

        machine.ContextChanged(ContextKind.Budgets, "e1", "budgets of e1", observed);
        machine.ContextChanged(ContextKind.Budgets, "e1", "budgets of e1 again", observed + TimeSpan.FromMilliseconds(200));
        machine.ContextChanged(ContextKind.Budgets, "e1", "a clock ahead of ours", time.GetUtcNow() + TimeSpan.FromHours(1));

        var work = Assert.IsType<ReplanWork>(machine.NextWork());
        Assert.Equal(observed, work.ChangedAt);
    }

    [Fact]
    public void RequestsServed_DecisionThatMovesNothing_HasNoTimeToBenefit()
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", new DeploymentMachineOptions(), time);
        machine.Deploy(Model, Phone, 100, ["e1"]);
        MachineDriver.Settle(machine, time);
        machine.SetPin([.. machine.Live]);
        MachineDriver.Settle(machine, time);

        machine.RequestsServed(machine.Version, 1, 1);

        Assert.Empty(machine.History[^1].Switches);
        Assert.Null(machine.History[^1].TimeToBenefitMs);
    }

    [Fact]
    public void Restore_KeepsTimesAndStillTimesTheFirstRequestAfterTheResume()
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", new DeploymentMachineOptions(), time);
        machine.Deploy(Model, Phone, 100, ["e1"]);
        MachineDriver.Settle(machine, time);
        machine.SetPin(["e1", "e1"]);
        time.Advance(TimeSpan.FromMilliseconds(50));
        MachineDriver.Settle(machine, time);

        var restored = DeploymentMachine.Restore("d", new DeploymentMachineOptions(), time, Model, machine.Save(), ["e1"]);
        time.Advance(TimeSpan.FromMilliseconds(25));
        restored.RequestsServed(restored.Version, 1, 1);

        var record = restored.History.Last(h => h.Switches.Count > 0);
        Assert.Equal(75, record.TimeToBenefitMs);
        Assert.All(record.Switches, s => Assert.Equal(75, s.ServedMs));
    }
}
