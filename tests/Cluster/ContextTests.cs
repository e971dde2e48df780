using AdaMec.Interfaces;

namespace AdaMec.Cluster.Tests;

[Collection(SharedCluster.Name)]
public sealed class ContextTests(ThreeSiloCluster fixture)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Bandwidth_LinksToEdgesCollapse_PlannerReplansBackToTheInitiator()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        // A slow phone: the planner offloads when links are fast.
        await using var client = fixture.Client(o =>
        {
            o.DeviceId = "phone-bw";
            o.Emulation = true; // a phone really 50x slower: the planner plans with what it measures
            o.SpeedFactor = 50;
        });
        using var deployment = await client.DeployAsync(directory, 10_000, "bw-" + Guid.NewGuid().ToString("N")[..6]);
        var offloaded = await deployment.WaitForAsync(s => !s.Migrating && s.Live.Assignment.Any(d => d != "phone-bw") && s.Live.Assignment.SequenceEqual(s.Target), Settle);
        var replansBefore = offloaded.Replans;

        foreach (var edge in ThreeSiloCluster.Devices)
        {
            await Link("phone-bw", edge).DeclareAsync(0.001, 500);
            await Link(edge, "phone-bw").DeclareAsync(0.001, 500);
        }
        var local = await deployment.WaitForAsync(s => s.Replans > replansBefore && s.Live.Assignment.All(d => d == "phone-bw") && !s.Migrating, Settle);

        var history = await deployment.GetHistoryAsync();
        Assert.Contains(history, r => r.Trigger.StartsWith("context: link", StringComparison.Ordinal) && r.NewPlan.All(d => d == "phone-bw"));
        Assert.All(local.Live.Assignment, d => Assert.Equal("phone-bw", d));
    }

    [Fact]
    public async Task PredictionGap_RequestsFarFasterThanPredicted_RecalibratesTheLivePlansDeviceAndLinksAndSaysSoInTheHistory()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        await using var client = fixture.Client(o => o.DeviceId = "phone-gap");
        using var deployment = await client.DeployAsync(directory, 10_000, "gap-" + Guid.NewGuid().ToString("N")[..6]);
        // Links declared far slower than loopback is: the plan predicts ~2 s a request that takes a few ms
        // (the first ones, with atoms still cold on a loaded machine, took up to 0.85 s).
        await Link("phone-gap", "edge1").DeclareAsync(1000, 1000);
        await Link("edge1", "phone-gap").DeclareAsync(1000, 1000);
        await deployment.PinAsync(Enumerable.Repeat("edge1", manifest.Atoms.Count).ToArray());
        var settled = await deployment.WaitForAsync(s => !s.Migrating && s.Live.Assignment.All(d => d == "edge1"), Settle);
        Assert.True(settled.Live.PredictedLatencyMs >= 2000, $"predicted {settled.Live.PredictedLatencyMs} ms");

        var input = Models.Input(manifest);
        using var timeout = new CancellationTokenSource(Settle);
        PlanRecord? gap = null;
        while (gap is null)
        {
            var result = await deployment.InferAsync(input, timeout.Token);
            Assert.True(result.LatencyMs < settled.Live.PredictedLatencyMs * 0.8, $"a request took {result.LatencyMs} ms: no gap to see");
            gap = (await deployment.GetHistoryAsync()).FirstOrDefault(r => r.Trigger.StartsWith("prediction gap", StringComparison.Ordinal));
        }

        var numbers = System.Text.RegularExpressions.Regex.Match(gap.Trigger, @"^prediction gap: predicted ([0-9.]+) ms, measured ([0-9.]+) ms");
        Assert.True(numbers.Success, gap.Trigger);
        var (predicted, measured) = (double.Parse(numbers.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), double.Parse(numbers.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(predicted >= 2000 && measured < predicted * 0.8, gap.Trigger);
        Assert.Contains("recalibrating devices edge1, links phone-gap->edge1,edge1->phone-gap", gap.Trigger, StringComparison.Ordinal);
        Assert.Equal(settled.Live.Assignment, gap.NewPlan); // the pin holds
        // The same numbers as typed fields (the trigger text rounds them to 0.1 ms).
        Assert.Equal("requestLatencyMs", gap.Measurement);
        Assert.Equal(deployment.Id, gap.MeasurementSource);
        Assert.InRange(gap.MeasuredBefore!.Value, predicted - 0.051, predicted + 0.051);
        Assert.InRange(gap.MeasuredAfter!.Value, measured - 0.051, measured + 0.051);
    }

    [Fact]
    public async Task Probes_BothDirectionsOfALinkAtOnce_EachMeasures()
    {
        // Each device's probe grain measures one direction while relaying the other's payloads: before relays
        // interleaved, the two waited on each other until the 30 s response timeout and both probes failed.
        for (var round = 0; round < 3; round++)
        {
            var estimates = await Task.WhenAll(
                Link("edge1", "edge2").ProbeAsync(),
                Link("edge2", "edge1").ProbeAsync());
            Assert.All(estimates, e => Assert.True(e.Samples > 0 && e.Source == "measured", $"{e.From}->{e.To}: {e.Source}, {e.Samples} samples"));
        }
    }

    [Fact]
    public async Task Context_NaNOrNegativeValues_AreRejectedWithAClearError()
    {
        var link = Link("x", "y");
        Assert.Equal(AdaMecErrorCode.InvalidContext, (await Assert.ThrowsAsync<AdaMecException>(() => link.DeclareAsync(double.NaN, 1))).Code);
        Assert.Equal(AdaMecErrorCode.InvalidContext, (await Assert.ThrowsAsync<AdaMecException>(() => link.DeclareAsync(-5, 1))).Code);
        Assert.Equal(AdaMecErrorCode.InvalidContext, (await Assert.ThrowsAsync<AdaMecException>(() => link.DeclareAsync(10, double.PositiveInfinity))).Code);
        var device = fixture.Grains.GetGrain<IDeviceGrain>("edge1");
        var error = await Assert.ThrowsAsync<AdaMecException>(() => device.SetBudgetsAsync(new DeviceBudgets(-1, null)));
        Assert.Contains("budgets of device edge1: memoryBudgetBytes", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<AdaMecException>(() => device.SetBudgetsAsync(new DeviceBudgets(null, double.NaN)));

        var (directory, _) = Models.Shared.Get("alexnet");
        await using var client = fixture.Client();
        using var deployment = await client.DeployAsync(directory, 100, "ctx-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.Equal(AdaMecErrorCode.InvalidContext, (await Assert.ThrowsAsync<AdaMecException>(() => deployment.SetLatencyRequirementAsync(double.NaN))).Code);
        Assert.Equal(AdaMecErrorCode.InvalidContext, (await Assert.ThrowsAsync<AdaMecException>(() => deployment.SetLatencyRequirementAsync(-1))).Code);
        Assert.Equal(AdaMecErrorCode.InvalidContext, (await Assert.ThrowsAsync<AdaMecException>(() => client.DeployAsync(directory, 0, "ctx-zero"))).Code);
    }

    [Fact]
    public async Task Errors_UnknownDeploymentOrDevice_AreReportedByName()
    {
        var missing = await Assert.ThrowsAsync<AdaMecException>(() => fixture.Grains.GetGrain<IPlannerGrain>("no-such-deployment").GetPlanAsync());
        Assert.Equal(AdaMecErrorCode.UnknownDeployment, missing.Code);
        Assert.Contains("no-such-deployment", missing.Message, StringComparison.Ordinal);

        var atom = fixture.Grains.GetGrain<IAtomGrain>(GrainKeys.Atom("d", 0, "edge9"));
        var device = await Assert.ThrowsAsync<AdaMecException>(() => atom.IsResidentAsync());
        Assert.Equal(AdaMecErrorCode.UnknownDevice, device.Code);
        Assert.Contains("edge9", device.Message, StringComparison.Ordinal);

        var (directory, manifest) = Models.Shared.Get("alexnet");
        await using var client = fixture.Client();
        using var deployment = await client.DeployAsync(directory, 10_000, "err-" + Guid.NewGuid().ToString("N")[..6]);
        var pin = await Assert.ThrowsAsync<AdaMecException>(() => deployment.PinAsync(Enumerable.Repeat("edge9", manifest.Atoms.Count).ToArray()));
        Assert.Equal(AdaMecErrorCode.UnknownDevice, pin.Code);
    }

    [Fact]
    public async Task Tensor_OverTheMessageLimit_FailsFastWithAClearErrorInsteadOfATimeout()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        // A 200 kB message limit: AlexNet's 602 kB input cannot travel.
        await using var client = fixture.Client(maxMessageBodySize: 200_000);
        using var deployment = await client.DeployAsync(directory, 10_000, "big-" + Guid.NewGuid().ToString("N")[..6]);
        await deployment.PinAsync(Enumerable.Repeat("edge1", manifest.Atoms.Count).ToArray());
        await deployment.WaitUntilSettledAsync(Settle);

        var error = await Assert.ThrowsAsync<AdaMecException>(() => deployment.InferAsync(Models.Input(manifest)));
        Assert.Equal(AdaMecErrorCode.TensorTooLarge, error.Code);
        Assert.Contains("602,112 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxMessageBodySize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eviction_AskedForByThePlanner_IsNotReportedAsTheDevicesOwn()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        await using var client = fixture.Client();
        using var deployment = await client.DeployAsync(directory, 10_000, "asked-" + Guid.NewGuid().ToString("N")[..6]);
        await deployment.PinAsync(Enumerable.Repeat("edge2", manifest.Atoms.Count).ToArray());
        await deployment.WaitUntilSettledAsync(Settle);
        var device = fixture.Grains.GetGrain<IDeviceGrain>("edge2");
        var key = GrainKeys.Atom(deployment.Id, 0, "edge2");
        Assert.Contains(key, (await device.GetStatusAsync()).ResidentAtoms);

        // What a planner does after moving an atom away: the atom drops itself and releases its slot.
        await fixture.Grains.GetGrain<IAtomGrain>(key).EvictAsync();
        var deadline = DateTime.UtcNow + Settle;
        DeviceStatus status;
        while ((status = await device.GetStatusAsync()).ResidentAtoms.Contains(key))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{key} was never released");
            await Task.Delay(50);
        }
        Assert.DoesNotContain(key, status.Evicted);
    }

    private ILinkGrain Link(string from, string to) => fixture.Grains.GetGrain<ILinkGrain>(GrainKeys.Link(from, to));
}
