using AdaMec.Interfaces;

namespace AdaMec.Cluster.Tests;

/// <summary>Context grains on a cluster that collects idle activations after a few seconds.</summary>
public sealed class DurableContextTests(CollectingCluster fixture) : IClassFixture<CollectingCluster>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ContextGrains_CollectedWhileIdle_KeepBudgetsDeclarationsAndSubscriptions()
    {
        const string phone = "phone-gc";
        var (directory, _) = Models.Shared.Get("alexnet");
        // No edge has memory for an atom, and the link to edge2 is fast: once edge2 gets memory back,
        // a slow phone is better off there.
        foreach (var edge in ThreeSiloCluster.Devices) await Device(edge).SetBudgetsAsync(new DeviceBudgets(0, null));
        await Link(phone, "edge2").DeclareAsync(1000, 0.5);
        await Link("edge2", phone).DeclareAsync(1000, 0.5);
        await using var client = fixture.Client(o =>
        {
            o.DeviceId = phone;
            o.Emulation = true; // a phone really 50x slower: the planner plans with what it measures
            o.SpeedFactor = 50;
        });
        using var deployment = await client.DeployAsync(directory, 10_000, "gc-" + Guid.NewGuid().ToString("N")[..6]);
        var local = await deployment.WaitUntilSettledAsync(Settle);
        Assert.All(local.Live.Assignment, d => Assert.Equal(phone, d));

        await WaitCollectedAsync("DeviceGrain", "edge2");
        await WaitCollectedAsync("LinkGrain", GrainKeys.Link(phone, "edge2"));

        // Fresh activations read what the collected ones stored.
        var link = await Link(phone, "edge2").GetAsync();
        Assert.Equal(("declared", 1000.0), (link.Source, link.Mbps));
        Assert.Equal(0, (await Device("edge2").GetStatusAsync()).Budgets.MemoryBudgetBytes);
        Assert.Equal(1, await fixture.ActivationsAsync("DeviceGrain", "edge2")); // the count sees a live activation
        await WaitCollectedAsync("DeviceGrain", "edge2");

        // The planner's subscription outlived the activation: a budget change still re-plans.
        var before = (await deployment.GetStatusAsync()).Replans;
        await Device("edge2").SetBudgetsAsync(new DeviceBudgets(null, null));
        var offloaded = await deployment.WaitForAsync(s => s.Replans > before && !s.Migrating && s.Live.Assignment.Contains("edge2") && s.Live.Assignment.SequenceEqual(s.Target), Settle);
        var history = await deployment.GetHistoryAsync();
        Assert.Contains(history, r => r.Trigger.Contains("budgets of edge2", StringComparison.Ordinal) && r.NewPlan.Contains("edge2"));

        // So did its lease on the link: a collapse declared on a collected link grain re-plans too.
        await WaitCollectedAsync("LinkGrain", GrainKeys.Link(phone, "edge2"));
        await Link(phone, "edge2").DeclareAsync(0.001, 500);
        await Link("edge2", phone).DeclareAsync(0.001, 500);
        await deployment.WaitForAsync(s => s.Replans > offloaded.Replans && !s.Migrating && s.Live.Assignment.All(d => d == phone), Settle);
        history = await deployment.GetHistoryAsync();
        // Both declarations land within the planner's per-kind rate limit for measured context, so one
        // re-plan may answer both: its trigger names whichever arrived last.
        Assert.Contains(history, r => (r.Trigger.Contains($"link {phone}->edge2", StringComparison.Ordinal) || r.Trigger.Contains($"link edge2->{phone}", StringComparison.Ordinal))
            && r.NewPlan.All(d => d == phone));
    }

    [Fact]
    public async Task Context_NaNNegativeOrLeaselessValues_AreRefusedByNameAndNothingIsStored()
    {
        var device = Device("edge1");
        var budgets = (await device.GetStatusAsync()).Budgets;
        var memory = await Assert.ThrowsAsync<AdaMecException>(() => device.SetBudgetsAsync(new DeviceBudgets(-1, null)));
        Assert.Equal(AdaMecErrorCode.InvalidContext, memory.Code);
        Assert.Contains("budgets of device edge1: memoryBudgetBytes", memory.Message, StringComparison.Ordinal);
        var compute = await Assert.ThrowsAsync<AdaMecException>(() => device.SetBudgetsAsync(new DeviceBudgets(null, double.NaN)));
        Assert.Contains("budgets of device edge1: computeBudgetFlops", compute.Message, StringComparison.Ordinal);
        var lease = await Assert.ThrowsAsync<AdaMecException>(() => device.SubscribeAsync(new ContextSubscription("d", TimeSpan.Zero)));
        Assert.Contains("subscription to device edge1: lease:", lease.Message, StringComparison.Ordinal);
        Assert.Equal(budgets, (await device.GetStatusAsync()).Budgets);

        var link = Link("bad-x", "bad-y");
        var bandwidth = await Assert.ThrowsAsync<AdaMecException>(() => link.DeclareAsync(double.NaN, 1));
        Assert.Equal(AdaMecErrorCode.InvalidContext, bandwidth.Code);
        Assert.Contains("declaration of link bad-x->bad-y: mbps:", bandwidth.Message, StringComparison.Ordinal);
        var latency = await Assert.ThrowsAsync<AdaMecException>(() => link.DeclareAsync(10, -1));
        Assert.Contains("declaration of link bad-x->bad-y: latencyMs:", latency.Message, StringComparison.Ordinal);
        var noDeployment = await Assert.ThrowsAsync<AdaMecException>(() => link.SubscribeAsync(new ContextSubscription(" ", TimeSpan.FromMinutes(1))));
        Assert.Contains("deployment: missing", noDeployment.Message, StringComparison.Ordinal);

        // Stored state is what counts: after collection the link still has nothing declared.
        await WaitCollectedAsync("LinkGrain", GrainKeys.Link("bad-x", "bad-y"));
        Assert.Equal("probing", (await link.GetAsync()).Source);
    }

    private async Task WaitCollectedAsync(string grainClass, string key)
    {
        var deadline = DateTime.UtcNow + Settle;
        while (await fixture.ActivationsAsync(grainClass, key) > 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{grainClass} {key} was not collected within {Settle}");
            await Task.Delay(250);
        }
    }

    private IDeviceGrain Device(string id) => fixture.Grains.GetGrain<IDeviceGrain>(id);

    private ILinkGrain Link(string from, string to) => fixture.Grains.GetGrain<ILinkGrain>(GrainKeys.Link(from, to));
}
