using AdaMec.Client;
using AdaMec.Interfaces;

namespace AdaMec.Cluster.Tests;

/// <summary>Has its own three-silo cluster: it stops one.</summary>
public sealed class SiloLossTests : IClassFixture<ThreeSiloCluster>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private readonly ThreeSiloCluster _fixture;

    public SiloLossTests(ThreeSiloCluster fixture) => _fixture = fixture;

    [Fact]
    public async Task SiloStops_WhileRequestsFlow_PlannerReplansAndNoRequestIsLostOrHangs()
    {
        var (directory, manifest) = Models.Shared.Get("resnet18");
        await using var client = _fixture.Client();
        using var deployment = await client.DeployAsync(directory, 10_000, "loss-" + Guid.NewGuid().ToString("N")[..6]);
        var n = manifest.Atoms.Count;
        await deployment.PinAsync(Enumerable.Range(0, n).Select(i => i % 2 == 0 ? "edge3" : "edge2").ToArray());
        await deployment.WaitUntilSettledAsync(Settle);

        var input = Models.Input(manifest);
        var expected = Models.WholeModelOutput(manifest, input);
        using var stop = new CancellationTokenSource();
        var results = new List<InferenceResult>();
        var failures = new List<Exception>();
        var sent = 0;
        var requests = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                sent++;
                try { results.Add(await deployment.InferAsync(input).WaitAsync(TimeSpan.FromSeconds(60))); }
                catch (Exception e) { failures.Add(e); }
            }
        });
        PlannerStatus after;
        DateTimeOffset stoppedAt;
        try
        {
            await WaitForResultsAsync(results, 3);

            stoppedAt = DateTimeOffset.UtcNow;
            await _fixture.Cluster.StopSiloAsync("edge3");
            after = await deployment.WaitForAsync(s => !s.Devices.Contains("edge3") && !s.Migrating && s.Live.Assignment.SequenceEqual(s.Target), Settle);
            var seen = results.Count;
            await WaitForResultsAsync(results, seen + 3);
        }
        finally
        {
            // Also when a wait above fails: no request may outlive the deployment it runs on.
            stop.Cancel();
            await requests;
        }

        Assert.Empty(failures);
        Assert.Equal(sent, results.Count);
        Assert.All(results, r => Assert.True(Models.RelativeDifference(r.Output, expected) <= 1e-5, $"request {r.Id} on [{string.Join(",", r.Assignment)}]"));
        Assert.DoesNotContain("edge3", after.Live.Assignment);
        var history = await deployment.GetHistoryAsync();
        // Either the planner saw edge3 leave, or the planner lived on edge3 and the client deployed again.
        Assert.Contains(history, r => r.At >= stoppedAt.AddSeconds(-1) && (r.Trigger.Contains("-edge3", StringComparison.Ordinal) || r.Trigger == "deploy"));
    }

    private static async Task WaitForResultsAsync(List<InferenceResult> results, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (results.Count < count) await Task.Delay(20, timeout.Token);
    }
}
