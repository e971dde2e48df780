using AdaMec.Client;
using AdaMec.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// Three in-process silos for edge1..edge3, like <see cref="ThreeSiloCluster"/>, with settings other
/// tests must not see: a short idle collection age, or a device whose memory probe reads
/// cgroup-shaped files the test controls.
/// </summary>
public abstract class ContextCluster : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "adamec-context-tests-" + Guid.NewGuid().ToString("N")[..8]);
    private AdaMecClient _connection = null!;

    public DevCluster Cluster { get; private set; } = null!;

    /// <summary>The connected test client's grain factory, for tests that talk to grains directly.</summary>
    public IClusterClient Grains => _connection.Cluster;

    /// <summary>Idle age after which the silos collect activations; null: Orleans' default.</summary>
    protected virtual TimeSpan? CollectionAge => null;

    /// <summary>Whether edge3's memory probe reads <see cref="FakeCgroup"/> instead of the machine.</summary>
    protected virtual bool FakeEdge3Memory => false;

    /// <summary>How often devices check memory pressure.</summary>
    public TimeSpan PressureCheck { get; } = TimeSpan.FromMilliseconds(100);

    /// <summary>cgroup v2 files edge3 reads when <see cref="FakeEdge3Memory"/>.</summary>
    public FakeCgroupV2 FakeCgroup { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        FakeCgroup = new FakeCgroupV2(Path.Combine(_root, "edge3-root"));
        // Plenty of room until a test squeezes it.
        FakeCgroup.Set(limitBytes: 8L << 30, usageBytes: 1L << 30);
        var silos = ThreeSiloCluster.Devices.Select(device => new DevSilo(device, Configure: silo => Configure(silo, device))).ToArray();
        Cluster = await DevCluster.StartAsync(silos, Path.Combine(_root, "cache"), "adamec-context-" + Guid.NewGuid().ToString("N")[..8]);
        _connection = await Cluster.ConnectClientAsync("mobile");
    }

    public AdaMecClient Client(Action<AdaMecClientOptions>? configure = null)
    {
        var options = new AdaMecClientOptions { DeviceId = "mobile" };
        configure?.Invoke(options);
        return AdaMecClient.Attach(Grains, options, _connection.MaxMessageBodySize);
    }

    /// <summary>Activations of grain class <paramref name="grainClass"/> whose key is <paramref name="key"/>, across the cluster.</summary>
    public async Task<int> ActivationsAsync(string grainClass, string key)
    {
        var stats = await Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return stats.Count(s => s.GrainType.Contains(grainClass, StringComparison.Ordinal) && s.GrainId.Key.ToString() == key);
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_connection is not null) await _connection.DisposeAsync();
        }
        finally
        {
            if (Cluster is not null) await Cluster.DisposeAsync();
            if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
        }
    }

    private void Configure(ISiloBuilder silo, string device)
    {
        var probeRoot = FakeEdge3Memory && device == "edge3" ? FakeCgroup.Root : null;
        var check = PressureCheck;
        silo.Services.Configure<DeviceOptions>(o =>
        {
            o.MemoryPressureCheck = check;
            if (probeRoot is not null) o.ProbeRoot = probeRoot;
        });
        if (CollectionAge is { } age)
        {
            silo.Configure<GrainCollectionOptions>(o =>
            {
                o.CollectionAge = age;
                o.CollectionQuantum = TimeSpan.FromSeconds(1);
            });
        }
    }
}

/// <summary>Collects idle activations after 3 s (checked every second).</summary>
public sealed class CollectingCluster : ContextCluster
{
    protected override TimeSpan? CollectionAge => TimeSpan.FromSeconds(3);
}

/// <summary>edge3's available memory comes from <see cref="ContextCluster.FakeCgroup"/>.</summary>
public sealed class MemoryPressureCluster : ContextCluster
{
    protected override bool FakeEdge3Memory => true;
}

/// <summary>cgroup v2 memory files under a fake root (sys/fs/cgroup/memory.max, memory.current).</summary>
public sealed class FakeCgroupV2(string root)
{
    public string Root { get; } = root;

    public void Set(long limitBytes, long usageBytes)
    {
        var folder = Path.Combine(Root, "sys", "fs", "cgroup");
        Directory.CreateDirectory(folder);
        // Usage first: a probe reading between the two writes sees the old limit with the new usage at worst.
        File.WriteAllText(Path.Combine(folder, "memory.current"), usageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
        File.WriteAllText(Path.Combine(folder, "memory.max"), limitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
    }
}
