using AdaMec.Core.Context;
using AdaMec.Client;
using AdaMec.Interfaces;

namespace AdaMec.Cluster.Tests;

/// <summary>The initiator measures itself as a device does and the planner plans with what it reports.</summary>
[Collection(SharedCluster.Name)]
public sealed class InitiatorSpeedTests(ThreeSiloCluster fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task LocalPasses_Timed_PlannerAndStatusShowTheMeasuredSpeedAndPlanWithIt()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        const string phone = "phone-self";
        await using var client = fixture.Client(o =>
        {
            o.DeviceId = phone;
            o.Emulation = true;
            o.SpeedFactor = 2; // EMULATION only: slows the local atoms, shown as such, never planned with directly
        });
        using var deployment = await client.DeployAsync(directory, 10_000, "self-" + Guid.NewGuid().ToString("N")[..6]);
        // Every atom stays here: every pass of every request is a local pass the client times.
        await deployment.PinAsync(Enumerable.Repeat(phone, manifest.Atoms.Count).ToArray());
        await deployment.WaitUntilSettledAsync(Deadline);

        // The deploy request carried the client's first reading: nothing timed yet.
        var first = (await deployment.GetStatusAsync()).Initiator;
        Assert.NotNull(first);
        Assert.Equal("prior", first.SpeedSource);
        Assert.Equal(2, first.EmulationSpeedFactor);

        // Requests until a report of timed passes arrives (reports go at most once a second).
        var input = Models.Input(manifest);
        var started = DateTime.UtcNow;
        InitiatorContext? reported = null;
        while (reported is not { SpeedSource: "measured" })
        {
            Assert.True(DateTime.UtcNow - started < Deadline, $"no measured initiator speed within {Deadline.TotalSeconds} s; last report {reported}");
            await deployment.InferAsync(input);
            reported = (await deployment.GetStatusAsync()).Initiator;
        }
        // Passes behind the reading: at least the meter's minimum; its window spans at least a second of passes.
        Assert.InRange(reported.SpeedSamples, DeviceSpeedMeter.MinSamples, DeviceSpeedMeter.MaxWindow);
        Assert.True(double.IsFinite(reported.Speed) && reported.Speed > 0, $"speed {reported.Speed}");
        Assert.NotEqual(0, reported.AvailableMemoryBytes); // own cgroup or /proc/meminfo: a number, or -1 where neither reads

        // The planner plans with it: the pinned all-local plan costs each atom's prediction times the measured speed.
        var record = await deployment.PinAsync(Enumerable.Repeat(phone, manifest.Atoms.Count).ToArray());
        var expected = manifest.Atoms.Sum(a => a.PredictedMs) * reported.Speed;
        Assert.Equal(expected, record.PredictedLatencyMs, expected * 1e-6);

        // `cluster status` shows it, with the declared factor only as emulation.
        var row = Assert.Single((await ClusterStatus.ReadAsync(fixture.Grains)).Deployments, d => d.Id == deployment.Id);
        Assert.Equal("measured", row.InitiatorSpeedSource);
        Assert.Equal(reported.Speed, row.InitiatorSpeed);
        Assert.Equal(reported.SpeedSamples, row.InitiatorSpeedSamples);
        Assert.Equal(2, row.InitiatorEmulationSpeedFactor);
    }

    [Fact]
    public async Task LocalPasses_EachAtomsFirstPassIsNotTimed_TheReportCountsOnlyLaterPasses()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        const string phone = "phone-cold";
        await using var client = fixture.Client(o => o.DeviceId = phone);
        using var deployment = await client.DeployAsync(directory, 10_000, "cold-" + Guid.NewGuid().ToString("N")[..6]);
        await deployment.PinAsync(Enumerable.Repeat(phone, manifest.Atoms.Count).ToArray());
        await deployment.WaitUntilSettledAsync(Deadline);
        var timedPerRequest = manifest.Atoms.Count(a => a.PredictedMs >= DeviceSpeedMeter.MinPredictedMs);
        Assert.True(timedPerRequest >= DeviceSpeedMeter.MinSamples, $"alexnet has {timedPerRequest} atoms the meter times");

        // A report goes with a request once the report period has passed. Requests A and B back to back,
        // then C a period later: A's report holds nothing timed (A ran every atom's first pass), C's holds
        // B's and C's passes. Timing first passes too would make A's report one request's passes, C's three.
        var input = Models.Input(manifest);
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await deployment.InferAsync(input);
        await deployment.InferAsync(input);
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await deployment.InferAsync(input);
        using var timeout = new CancellationTokenSource(Deadline);
        InitiatorContext? reported;
        while ((reported = (await deployment.GetStatusAsync()).Initiator) is null || reported.SpeedSamples < 2 * timedPerRequest)
            await Task.Delay(100, timeout.Token);
        Assert.Equal(2 * timedPerRequest, reported.SpeedSamples);
        Assert.Equal("measured", reported.SpeedSource);
    }
}
