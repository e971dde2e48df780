using AdaMec.Client;
using AdaMec.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// Three in-process silos standing for devices edge1, edge2 and edge3 (TestingHost names them
/// Primary, Secondary_1, Secondary_2; the configurator renames them to their device ids), each
/// with its own atom cache folder. The test client is the initiator "mobile".
/// These tests stay on Orleans' TestingHost rather than <see cref="DevCluster"/> (the demo's and the
/// benchmarks' cluster): they kill silos without a goodbye (KillSiloAsync), restart them and reach
/// into silo handles, which a cluster of plain hosts cannot do; the silos get the same services
/// (AddAdaMec, AddAdaMecStorage) AddAdaMecSilo gives a real one.
/// </summary>
public class ThreeSiloCluster : IAsyncLifetime
{
    public static readonly string[] Devices = ["edge1", "edge2", "edge3"];

    private readonly string _cacheRoot = Path.Combine(Path.GetTempPath(), "adamec-cluster-tests-" + Guid.NewGuid().ToString("N")[..8]);

    public TestCluster Cluster { get; private set; } = null!;

    public Models Models { get; } = new();

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(3);
        builder.Properties["AdaMecCacheRoot"] = _cacheRoot;
        builder.AddSiloBuilderConfigurator<DeviceSiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public AdaMecClient Client(Action<AdaMecClientOptions>? configure = null, int? maxMessageBodySize = null)
    {
        var options = new AdaMecClientOptions { DeviceId = "mobile" };
        configure?.Invoke(options);
        return AdaMecClient.Attach(Cluster.Client, options, maxMessageBodySize ?? 100 * 1024 * 1024);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await Cluster.StopAllSilosAsync();
        }
        finally
        {
            await Cluster.DisposeAsync();
            Models.Dispose();
            if (Directory.Exists(_cacheRoot)) Directory.Delete(_cacheRoot, recursive: true);
        }
    }

    internal static string DeviceOfSilo(string? siloName) => siloName switch
    {
        "Primary" => "edge1",
        "Secondary_1" => "edge2",
        "Secondary_2" => "edge3",
        _ => siloName ?? throw new InvalidOperationException("silo has no name"),
    };

    private sealed class DeviceSiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var device = DeviceOfSilo(siloBuilder.Configuration["Orleans:Name"]);
            var cacheRoot = siloBuilder.Configuration["AdaMecCacheRoot"]!;
            siloBuilder.AddAdaMec().AddAdaMecStorage();
            siloBuilder.Configure<SiloOptions>(o => o.SiloName = device);
            siloBuilder.Services.Configure<DeviceOptions>(o =>
            {
                o.Id = device;
                o.CacheDirectory = Path.Combine(cacheRoot, device);
            });
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SharedCluster : ICollectionFixture<ThreeSiloCluster>
{
    public const string Name = "three silos";
}
