using AdaMec.Client;
using AdaMec.Grains;
using AdaMec.Interfaces;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// A device that joins after the deploy: the planner has the initiator probe the links between them
/// (a link grain cannot probe a link with a client end) instead of planning on the default link.
/// </summary>
public sealed class JoinedDeviceLinkTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "adamec-join-tests-" + Guid.NewGuid().ToString("N")[..8]);
    private DevCluster _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await DevCluster.StartAsync([new DevSilo("edge1")], Path.Combine(_root, "cache"), "adamec-join-" + Guid.NewGuid().ToString("N")[..8]);

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task DeviceJoinsAfterTheDeploy_InitiatorLinksToItAreProbedBeforeThePlannerPlansOnThem()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        await using var client = await _cluster.ConnectClientAsync("mobile");
        using var deployment = await client.DeployAsync(directory, 10_000, "join-" + Guid.NewGuid().ToString("N")[..6]);
        // Pinned away from the newcomer: no weights or tensors will cross its links, so only a probe can measure them.
        await deployment.PinAsync(Enumerable.Repeat("edge1", manifest.Atoms.Count).ToArray());
        await deployment.WaitUntilSettledAsync(Deadline);
        var up = client.Cluster.GetGrain<ILinkGrain>(GrainKeys.Link("mobile", "edge2"));
        var down = client.Cluster.GetGrain<ILinkGrain>(GrainKeys.Link("edge2", "mobile"));
        Assert.Equal("probing", (await up.GetAsync()).Source);

        await _cluster.JoinAsync(new DevSilo("edge2"));

        // The membership change re-plans; its context gather asks the initiator to probe first.
        var started = DateTime.UtcNow;
        LinkEstimate upEstimate, downEstimate;
        while (true)
        {
            (upEstimate, downEstimate) = (await up.GetAsync(), await down.GetAsync());
            if (upEstimate.Source == "measured" && downEstimate.Source == "measured") break;
            Assert.True(DateTime.UtcNow - started < Deadline, $"links with the joined device not measured within {Deadline.TotalSeconds} s: {upEstimate}, {downEstimate}");
            await Task.Delay(200);
        }
        Assert.True(upEstimate.Samples >= 2 && downEstimate.Samples >= 2, $"{upEstimate}, {downEstimate}");
        Assert.True(double.IsFinite(upEstimate.Mbps) && upEstimate.Mbps > 0 && double.IsFinite(downEstimate.Mbps) && downEstimate.Mbps > 0);
        // Requests still run on the pinned plan.
        var result = await deployment.InferAsync(Models.Input(manifest));
        Assert.True(Models.RelativeDifference(result.Output, Models.WholeModelOutput(manifest, Models.Input(manifest))) <= 1e-5);
    }
}
