using AdaMec.Core.Deployments;
using AdaMec.Core.Planning;
using Microsoft.Extensions.Time.Testing;

namespace AdaMec.Core.Tests.Deployments;

/// <summary>Every plan decision a measurement triggered keeps which measurement it was and its values before and after as fields.</summary>
public sealed class TriggerMeasurementTests
{
    private static readonly DeploymentModel Model = new("m1", 1000, [
        new DeploymentAtom("a0", 1e6, 1000, 2000, 100, 50, "s0"),
        new DeploymentAtom("a1", 1e6, 1000, 2000, 100, 50, "s1"),
    ]);

    private static readonly DeploymentInitiator Phone = new("phone", 10, null, null);

    [Fact]
    public void ContextChanged_MeasuredChangeThatMovesThePlan_RecordsMeasurementSourceBeforeAndAfter()
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", new DeploymentMachineOptions(), time);
        machine.Deploy(Model, Phone, 10_000, ["e1"]);
        MachineDriver.Settle(machine, time, edgeSpeed: 1, linkMbps: 1000);
        Assert.All(machine.Live, d => Assert.Equal("e1", d));
        Assert.Null(machine.History[^1].Measurement);

        time.Advance(TimeSpan.FromSeconds(30));
        machine.ContextChanged(ContextKind.Compute, "e1", "speed of e1 1.00x -> 100.00x", measurement: new TriggerMeasurement("e1", "speed", 1, 100));
        MachineDriver.Settle(machine, time, edgeSpeed: 100, linkMbps: 1000);

        var record = machine.History[^1];
        Assert.All(record.NewPlan, d => Assert.Equal("phone", d));
        Assert.Equal(new TriggerMeasurement("e1", "speed", 1, 100), record.Measurement);
    }

    [Fact]
    public void ContextChanged_SameMeasurementCoalesced_KeepsTheFirstBeforeAndTheLastAfter()
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", new DeploymentMachineOptions(), time);
        machine.Deploy(Model, Phone, 10_000, ["e1"]);
        MachineDriver.Settle(machine, time, edgeSpeed: 1, linkMbps: 1000);
        // The first measured change re-plans at once; changes within the interval after it wait and coalesce.
        machine.ContextChanged(ContextKind.Memory, "e1", "first", measurement: new TriggerMeasurement("e1", "availableMemoryMb", 900, 800));
        MachineDriver.Run(machine, Assert.IsType<ReplanWork>(machine.NextWork()), edgeSpeed: 1, linkMbps: 1000);

        machine.ContextChanged(ContextKind.Memory, "e1", "second", measurement: new TriggerMeasurement("e1", "availableMemoryMb", 800, 500));
        machine.ContextChanged(ContextKind.Memory, "e1", "third", measurement: new TriggerMeasurement("e1", "availableMemoryMb", 500, 300));
        var coalesced = Pending(machine, time);
        Assert.Equal(new TriggerMeasurement("e1", "availableMemoryMb", 800, 300), coalesced.Measurement);

        machine.ContextChanged(ContextKind.Memory, "e2", "another device", measurement: new TriggerMeasurement("e2", "availableMemoryMb", 700, 100));
        Assert.Equal(new TriggerMeasurement("e2", "availableMemoryMb", 700, 100), Pending(machine, time).Measurement);
    }

    [Fact]
    public void Operator_Replan_HasNoMeasurement()
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", new DeploymentMachineOptions(), time);
        machine.Deploy(Model, Phone, 10_000, ["e1"]);
        MachineDriver.Settle(machine, time, edgeSpeed: 1, linkMbps: 1000);
        machine.SetPin(["phone", "phone"]);
        MachineDriver.Settle(machine, time, edgeSpeed: 1, linkMbps: 1000);

        Assert.Null(machine.History[^1].Measurement);
    }

    [Fact]
    public void Coalesce_FiniteDropsWhatASourceWithoutAReadingSends()
    {
        Assert.Null(TriggerMeasurement.Finite(double.NaN));
        Assert.Equal(2.5, TriggerMeasurement.Finite(2.5));
        Assert.Null(TriggerMeasurement.Coalesce(new TriggerMeasurement("e1", "speed", 1, 2), null));
    }

    /// <summary>The queued re-plan, whenever it falls due.</summary>
    private static ReplanWork Pending(DeploymentMachine machine, FakeTimeProvider time)
    {
        var work = machine.NextWork();
        if (work is IdleWork { WakeAt: { } wake })
        {
            time.Advance(wake - time.GetUtcNow());
            work = machine.NextWork();
        }
        return Assert.IsType<ReplanWork>(work);
    }
}
