using System.Collections.Concurrent;
using AdaMec.Client;
using AdaMec.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// Three in-process silos standing for devices edge1, edge2 and edge3, started by <see cref="DevCluster"/>
/// (the cluster the demo and the benchmarks run on, each silo built as adamec-silo builds it), each with
/// its own atom cache folder. The test client is the initiator "mobile", connected through all three
/// gateways so a test may stop any silo.
/// The fixtures in ContextClusters.cs and PlannerDurabilityTests' cluster (a killed silo, a test grain
/// storage, fast probes through the DevSilo.Configure hook) run on DevCluster too; no test uses TestingHost.
/// </summary>
public class ThreeSiloCluster : IAsyncLifetime
{
    public static readonly string[] Devices = ["edge1", "edge2", "edge3"];

    private readonly string _cacheRoot = Path.Combine(Path.GetTempPath(), "adamec-cluster-tests-" + Guid.NewGuid().ToString("N")[..8]);
    private AdaMecClient _connection = null!;

    public DevCluster Cluster { get; private set; } = null!;

    /// <summary>The connected test client's grain factory, for tests that talk to grains directly.</summary>
    public IClusterClient Grains => _connection.Cluster;

    public async Task InitializeAsync()
    {
        // Grain state in a store every silo of this cluster shares, as PostgreSQL would be: Orleans' memory
        // storage keeps state in storage grains spread over the silos, and tests here stop silos.
        var store = new ConcurrentDictionary<string, (string ETag, BinaryData Data)>();
        Cluster = await DevCluster.StartAsync(
            Devices.Select(d => new DevSilo(d, Configure: silo => silo.Services.AddGrainStorage(AdaMecStorage.Name,
                (sp, _) => new SurvivingGrainStorage(sp.GetRequiredService<IGrainStorageSerializer>(), store)))).ToArray(),
            _cacheRoot, "adamec-tests-" + Guid.NewGuid().ToString("N")[..8]);
        _connection = await Cluster.ConnectClientAsync("mobile");
    }

    /// <summary>An initiator over the fixture's connection (disposing it leaves the connection open).</summary>
    public AdaMecClient Client(Action<AdaMecClientOptions>? configure = null, int? maxMessageBodySize = null)
    {
        var options = new AdaMecClientOptions { DeviceId = "mobile" };
        configure?.Invoke(options);
        return AdaMecClient.Attach(Grains, options, maxMessageBodySize ?? _connection.MaxMessageBodySize);
    }

    /// <summary>The folder <paramref name="device"/>'s silo caches weight files in.</summary>
    public string CacheOf(string device) => Path.Combine(_cacheRoot, device);

    public async Task DisposeAsync()
    {
        try
        {
            if (_connection is not null) await _connection.DisposeAsync();
        }
        finally
        {
            if (Cluster is not null) await Cluster.DisposeAsync();
            if (Directory.Exists(_cacheRoot)) Directory.Delete(_cacheRoot, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SharedCluster : ICollectionFixture<ThreeSiloCluster>
{
    public const string Name = "three silos";
}
