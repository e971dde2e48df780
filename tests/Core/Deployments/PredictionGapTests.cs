using AdaMec.Core.Deployments;
using AdaMec.Core.Planning;
using Microsoft.Extensions.Time.Testing;

namespace AdaMec.Core.Tests.Deployments;

/// <summary>
/// Predictions held against outcomes: requests on the settled live plan that stray from its predicted
/// latency by more than the threshold, in every report for the window, queue a re-plan that first
/// recalibrates the devices and links the live plan uses; the history names the gap.
/// </summary>
public sealed class PredictionGapTests
{
    private static readonly DeploymentModel Model = new("m1", 1000, [
        new DeploymentAtom("a0", 1e6, 1000, 2000, 100, 5, "s0"),
        new DeploymentAtom("a1", 1e6, 1000, 2000, 100, 5, "s1"),
        new DeploymentAtom("a2", 1e6, 1000, 2000, 100, 5, "s2"),
    ]);

    private static readonly DeploymentMachineOptions Options = new()
    {
        PredictionGapThreshold = 0.2,
        PredictionGapWindow = TimeSpan.FromSeconds(5),
        PredictionGapReports = 3,
        RecalibrationCooldown = TimeSpan.FromSeconds(60),
    };

    [Fact]
    public void RequestsServed_SustainedGapBeyondTheThreshold_RecalibratesWhatTheLivePlanUsesAndRecordsIt()
    {
        var (machine, time) = Pinned(["e1", "e2", "phone"]);
        var predicted = machine.PredictedLatencyMs;
        var startedAt = time.GetUtcNow();

        var queued = Report(machine, time, predicted * 1.5, seconds: 6);

        Assert.Equal(6, queued); // the report at +5 s fills the window
        var work = Assert.IsType<ReplanWork>(machine.NextWork());
        Assert.Equal(ReplanCause.PredictionGap, work.Cause);
        Assert.Equal(startedAt, work.ChangedAt);
        Assert.Equal(["e1", "e2"], work.Recalibrate!.Devices);
        Assert.Equal([("phone", "e1"), ("e1", "e2"), ("e2", "phone")], work.Recalibrate.Links);
        MachineDriver.Run(machine, work);
        var record = machine.History[^1];
        Assert.StartsWith(FormattableString.Invariant($"prediction gap: predicted {predicted:0.0} ms, measured {predicted * 1.5:0.0} ms (+50%"), record.Trigger, StringComparison.Ordinal);
        Assert.Contains("recalibrating devices e1,e2, links phone->e1,e1->e2,e2->phone", record.Trigger, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1.19)] // within the threshold
    [InlineData(0.81)]
    public void RequestsServed_GapWithinTheThreshold_QueuesNothing(double ratio)
    {
        var (machine, time) = Pinned(["e1", "e1", "phone"]);

        Assert.Equal(0, Report(machine, time, machine.PredictedLatencyMs * ratio, seconds: 20));
        Assert.IsType<IdleWork>(machine.NextWork());
    }

    [Fact]
    public void RequestsServed_OneReportBackWithinTheThreshold_StartsTheWindowAgain()
    {
        var (machine, time) = Pinned(["e1", "e1", "phone"]);
        var predicted = machine.PredictedLatencyMs;

        Assert.Equal(0, Report(machine, time, predicted * 0.5, seconds: 4));
        machine.RequestsServed(machine.Version, 10, predicted);
        Assert.Equal(0, Report(machine, time, predicted * 0.5, seconds: 5));
        Assert.Equal(1, Report(machine, time, predicted * 0.5, seconds: 1)); // five seconds after the streak began again
    }

    [Fact]
    public void RequestsServed_RequestsOfAnOlderPlanOrWhileMigrating_AreNotHeldAgainstThePrediction()
    {
        var (machine, time) = Pinned(["e1", "e1", "phone"]);
        var predicted = machine.PredictedLatencyMs;
        for (var s = 0; s < 10; s++)
        {
            machine.RequestsServed(machine.Version - 1, 10, predicted * 3);
            time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.IsType<IdleWork>(machine.NextWork());

        machine.SetPin(["e2", "e2", "e2"]);
        MachineDriver.Run(machine, machine.NextWork()); // decided; atoms not moved yet
        Assert.True(machine.Migrating);
        Assert.Equal(0, Report(machine, time, predicted * 3, seconds: 10));
    }

    [Fact]
    public void RequestsServed_GapPersistsAfterARecalibration_WaitsForTheCooldown()
    {
        var (machine, time) = Pinned(["e1", "e1", "phone"]);
        var predicted = machine.PredictedLatencyMs;
        Report(machine, time, predicted * 2, seconds: 6);
        MachineDriver.Settle(machine, time);
        var recalibrations = machine.History.Count(h => h.Trigger.StartsWith("prediction gap", StringComparison.Ordinal));

        Report(machine, time, machine.PredictedLatencyMs * 2, seconds: 50);
        Assert.Equal(recalibrations, machine.History.Count(h => h.Trigger.StartsWith("prediction gap", StringComparison.Ordinal)));
        Report(machine, time, machine.PredictedLatencyMs * 2, seconds: 15);
        MachineDriver.Settle(machine, time);

        Assert.Equal(1, recalibrations);
        Assert.Equal(2, machine.History.Count(h => h.Trigger.StartsWith("prediction gap", StringComparison.Ordinal)));
    }

    /// <summary>One report a second on the live plan for <paramref name="seconds"/>; returns the report (0-based second + 1) that queued a recalibration, or 0.</summary>
    private static int Report(DeploymentMachine machine, FakeTimeProvider time, double medianMs, int seconds)
    {
        var queued = 0;
        for (var s = 0; s < seconds; s++)
        {
            machine.RequestsServed(machine.Version, 10, medianMs);
            if (queued == 0 && machine.NextWork() is ReplanWork { Cause: ReplanCause.PredictionGap }) queued = s + 1;
            time.Advance(TimeSpan.FromSeconds(1));
        }
        return queued;
    }

    private static (DeploymentMachine Machine, FakeTimeProvider Time) Pinned(string[] pin)
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", Options, time);
        machine.Deploy(Model, new DeploymentInitiator("phone", 1, null, null), 1000, ["e1", "e2"]);
        machine.SetPin(pin);
        MachineDriver.Settle(machine, time);
        Assert.Equal(pin, machine.Live);
        return (machine, time);
    }
}
