using AdaMec.Client;

namespace AdaMec.Cluster.Tests;

[Collection(SharedCluster.Name)]
public sealed class RequestRunnerTests(ThreeSiloCluster fixture)
{
    [Fact]
    public async Task RunAsync_PinnedAndChecked_EveryRequestRunsWherePinnedAndMatchesTheLocalChain()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        await using var client = fixture.Client();
        var pin = DistributedInferenceTests.RoundRobin(manifest.Atoms.Count);
        var records = new List<RequestRecord>();
        var run = new RequestRun(directory, 10_000, 3) { DeploymentId = "runner-" + Guid.NewGuid().ToString("N")[..6], Pin = pin, Check = true };

        var summary = await RequestRunner.RunAsync(client, run, records.Add);

        Assert.Equal([1, 2, 3], records.Select(r => r.Id));
        Assert.All(records, r =>
        {
            Assert.True(r.Ok, r.Error);
            Assert.Equal(pin, r.Assignment);
            Assert.NotNull(r.MaxRelDiff);
            Assert.True(r.MaxRelDiff <= 1e-5, $"request {r.Id}: relative difference {r.MaxRelDiff}");
        });
        Assert.Equal((3, 3, 0), (summary.Requests, summary.Ok, summary.Failed));
        Assert.Equal(pin, summary.FinalAssignment);
        Assert.True(summary.MedianMs > 0 && summary.P95Ms >= summary.MedianMs, $"median {summary.MedianMs}, p95 {summary.P95Ms}");
    }

    [Fact]
    public async Task RunAsync_NotChecked_RecordsHaveNoDifference()
    {
        var (directory, _) = Models.Shared.Get("alexnet");
        await using var client = fixture.Client();
        var records = new List<RequestRecord>();

        await RequestRunner.RunAsync(client, new RequestRun(directory, 10_000, 1) { DeploymentId = "runner-" + Guid.NewGuid().ToString("N")[..6] }, records.Add);

        var record = Assert.Single(records);
        Assert.True(record.Ok, record.Error);
        Assert.Null(record.MaxRelDiff);
    }

    [Fact]
    public async Task RunAsync_PinOfWrongLength_ThrowsNamingPinAndSendsNothing()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        await using var client = fixture.Client();
        var records = new List<RequestRecord>();
        var run = new RequestRun(directory, 10_000, 1) { DeploymentId = "runner-" + Guid.NewGuid().ToString("N")[..6], Pin = ["edge1"] };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => RequestRunner.RunAsync(client, run, records.Add));

        Assert.Contains("--pin names 1 devices", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{manifest.Atoms.Count} atoms", error.Message, StringComparison.Ordinal);
        Assert.Empty(records);
    }

    [Theory]
    [InlineData(new double[0], 0, 0)]
    [InlineData(new[] { 5.0 }, 5, 5)]
    [InlineData(new[] { 4.0, 1, 3, 2 }, 3, 4)]
    public void Percentiles_Latencies_MedianIsUpperMiddleAndP95IsNearestRank(double[] latencies, double median, double p95)
    {
        Assert.Equal((median, p95), RequestRunSummary.Percentiles(latencies));
    }
}
