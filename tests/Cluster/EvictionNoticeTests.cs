using AdaMec.Client;
using AdaMec.Interfaces;
using Xunit.Abstractions;

namespace AdaMec.Cluster.Tests;

/// <summary>edge3's memory is squeezed through cgroup-shaped files; it has no memory budget.</summary>
public sealed class EvictionNoticeTests(MemoryPressureCluster fixture, ITestOutputHelper output) : IClassFixture<MemoryPressureCluster>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task MemoryPressure_DeviceWithoutBudget_EvictsAndThePlannerReplansWithinASecond()
    {
        const string phone = "phone-mp";
        var (directory, manifest) = Models.Shared.Get("alexnet");
        // Only edge3 can take atoms, and a slow phone wants them there. Declared links: measured ones
        // would move with every request and re-plan for reasons of their own.
        await Device("edge1").SetBudgetsAsync(new DeviceBudgets(0, null));
        await Device("edge2").SetBudgetsAsync(new DeviceBudgets(0, null));
        await Link(phone, "edge3").DeclareAsync(1000, 0.5);
        await Link("edge3", phone).DeclareAsync(1000, 0.5);
        await using var client = fixture.Client(o =>
        {
            o.DeviceId = phone;
            o.Emulation = true; // a phone really 50x slower: the planner plans with what it measures
            o.SpeedFactor = 50;
        });
        using var deployment = await client.DeployAsync(directory, 10_000, "mp-" + Guid.NewGuid().ToString("N")[..6]);
        var offloaded = await deployment.WaitForAsync(s => !s.Migrating && s.Live.Assignment.Contains("edge3") && s.Live.Assignment.SequenceEqual(s.Target), Settle);
        Assert.Null((await Device("edge3").GetStatusAsync()).Budgets.MemoryBudgetBytes);
        var onEdge3 = Enumerable.Range(0, manifest.Atoms.Count).Where(i => offloaded.Live.Assignment[i] == "edge3").ToArray();

        var input = Models.Input(manifest);
        var expected = Models.WholeModelOutput(manifest, input);
        using var stop = new CancellationTokenSource();
        var results = new List<InferenceResult>();
        var failures = new List<Exception>();
        var requests = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { results.Add(await deployment.InferAsync(input).WaitAsync(TimeSpan.FromSeconds(60))); }
                catch (Exception e) { failures.Add(e); }
            }
        });

        PlanRecord replan;
        DateTimeOffset squeezed;
        try
        {
            while (results.Count < 2 && failures.Count == 0) await Task.Delay(20);
            var before = (await deployment.GetHistoryAsync()).Count;
            squeezed = DateTimeOffset.UtcNow;
            fixture.FakeCgroup.Set(limitBytes: 8L << 30, usageBytes: (8L << 30) - (1L << 20)); // 1 MiB free
            replan = await FirstEvictionRecordAfterAsync(deployment, before);
            await deployment.WaitForAsync(s => !s.Migrating && !s.Live.Assignment.Contains("edge3") && s.Live.Assignment.SequenceEqual(s.Target), Settle);
            var settled = results.Count;
            while (results.Count < settled + 3 && failures.Count == 0) await Task.Delay(20);
        }
        finally
        {
            stop.Cancel();
            await requests;
            fixture.FakeCgroup.Set(limitBytes: 8L << 30, usageBytes: 1L << 30);
        }

        output.WriteLine($"re-planned {(replan.At - squeezed).TotalMilliseconds:0} ms after the squeeze ({replan.Trigger}); {results.Count} requests, {results.Count(r => r.Retries > 0)} retried, {results.Count(r => r.RanLocallyAfterFailure)} ran locally after a failure");
        // The planner heard of the eviction (it was not asked for) and re-planned within a second of the squeeze.
        Assert.True(replan.At - squeezed < TimeSpan.FromSeconds(1), $"re-planned {(replan.At - squeezed).TotalMilliseconds:0} ms after the squeeze ({replan.Trigger})");
        var status = await Device("edge3").GetStatusAsync();
        Assert.Contains(GrainKeys.Atom(deployment.Id, onEdge3[0], "edge3"), status.Evicted);
        Assert.DoesNotContain(status.ResidentAtoms, k => k.StartsWith(deployment.Id + "/", StringComparison.Ordinal));

        // Every request answered correctly, and once the new plan is live nothing runs on a fallback:
        // the live plan no longer names an evicted atom.
        Assert.Empty(failures);
        Assert.All(results, r => Assert.True(Models.RelativeDifference(r.Output, expected) <= 1e-5, $"request {r.Id} on [{string.Join(",", r.Assignment)}]"));
        Assert.All(results.TakeLast(3), r => Assert.Equal((0, false), (r.Retries, r.RanLocallyAfterFailure)));
    }

    private static async Task<PlanRecord> FirstEvictionRecordAfterAsync(Deployment deployment, int count)
    {
        var deadline = DateTime.UtcNow + Settle;
        while (true)
        {
            var history = await deployment.GetHistoryAsync();
            if (history.Skip(count).FirstOrDefault(r => r.Trigger.Contains("evict", StringComparison.OrdinalIgnoreCase)) is { } record) return record;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no re-plan for an eviction after the squeeze; since then: {string.Join("; ", history.Skip(count).Select(r => r.Trigger))}");
            await Task.Delay(20);
        }
    }

    private IDeviceGrain Device(string id) => fixture.Grains.GetGrain<IDeviceGrain>(id);

    private ILinkGrain Link(string from, string to) => fixture.Grains.GetGrain<ILinkGrain>(GrainKeys.Link(from, to));
}
