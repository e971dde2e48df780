using AdaMec.Client;
using AdaMec.Grains;
using AdaMec.Interfaces;

namespace AdaMec.Cluster.Tests;

/// <summary>The development cluster the demo and `bench cluster` run on: silos built as adamec-silo builds them.</summary>
public sealed class DevClusterTests : IAsyncLifetime
{
    private readonly string _cache = Directory.CreateTempSubdirectory("adamec-devcluster-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task DevCluster_TwoDevices_ServeStatusAndReportTheOneLeft()
    {
        var silos = new[] { new DevSilo("dev-a"), new DevSilo("dev-b", new Dictionary<string, string?> { ["Device:SpeedFactor"] = "2.5" }) };
        await using var cluster = await DevCluster.StartAsync(silos, _cache, "devcluster-" + Guid.NewGuid().ToString("N")[..8]);
        var options = new AdaMecClientOptions { DeviceId = "dev-phone", ClusterId = cluster.ClusterId };
        options.Gateways.Add(cluster.Gateways[0]);
        await using var client = await AdaMecClient.ConnectAsync(options);

        var b = await client.Cluster.GetGrain<IDeviceGrain>("dev-b").GetStatusAsync();
        Assert.Equal(2.5, b.SpeedFactor);
        var before = await ClusterStatus.ReadAsync(client.Cluster);
        Assert.Equal(["dev-a", "dev-b"], before.Devices.Select(d => d.Id));
        Assert.Equal(2, before.Links.Count);

        await cluster.StopSiloAsync("dev-b");

        Assert.Equal(["dev-a"], cluster.Devices);
        var after = await ClusterStatus.ReadAsync(client.Cluster);
        Assert.Equal(["dev-a"], after.Devices.Select(d => d.Id));
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_cache, recursive: true);
        return Task.CompletedTask;
    }
}
