using System.Diagnostics;
using AdaMec.Client;
using AdaMec.Core.Partitioning;
using AdaMec.Grains;
using AdaMec.Runtime.Atoms;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace AdaMec.Operations.Tests;

/// <summary>
/// Three silos (edge1..edge3) in this process, AlexNet partitioned into atoms, a phone client with a
/// deployment pinned so its first three atoms run on three different silos. edge1's host records
/// traces into <see cref="Spans"/>: activity listeners are process-wide, so it sees every silo's and
/// the client's spans, which are told apart by their device attribute.
/// </summary>
public sealed class OperationsCluster : IAsyncLifetime
{
    public static readonly string[] Devices = ["edge1", "edge2", "edge3"];

    private readonly string _root = Directory.CreateTempSubdirectory("adamec-operations-").FullName;
    private readonly List<Activity> _spans = [];

    public DevCluster Cluster { get; private set; } = null!;

    /// <summary>Each silo's HTTP base address (operator page, /metrics, /healthz, /dashboard).</summary>
    public Dictionary<string, Uri> Http { get; } = [];

    public AdaMecClient Client { get; private set; } = null!;

    public Deployment Deployment { get; private set; } = null!;

    public string[] Pin { get; private set; } = [];

    public byte[] Input { get; private set; } = [];

    /// <summary>A copy of the spans exported so far.</summary>
    public Activity[] Spans
    {
        get
        {
            lock (_spans) return [.. _spans];
        }
    }

    public async Task InitializeAsync()
    {
        var atoms = Path.Combine(_root, "mobilenet_v2");
        var manifest = ModelPartitioning.Partition("mobilenet_v2", atoms, new FlopsLatencyModel());
        Action<Orleans.Hosting.ISiloBuilder> traced = silo => silo.Services.AddOpenTelemetry()
            .WithTracing(t => t.AddProcessor(new SimpleActivityExportProcessor(new LockedExporter(_spans))));
        var silos = Devices.Select((device, i) =>
        {
            var port = LoopbackPorts.Free();
            Http[device] = new Uri($"http://127.0.0.1:{port}/");
            return new DevSilo(device, new Dictionary<string, string?> { ["Http:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) }, i == 0 ? traced : null);
        }).ToArray();
        Cluster = await DevCluster.StartAsync(silos, Path.Combine(_root, "cache"), "adamec-ops-" + Guid.NewGuid().ToString("N")[..8]);
        // The phone has (almost) no compute budget: unpinned, the planner must place every atom on a silo (the browser test relies on it).
        var options = new AdaMecClientOptions { DeviceId = "phone", ClusterId = Cluster.ClusterId, ComputeBudgetFlops = 1 };
        options.Gateways.Add(Cluster.Gateways[0]);
        Client = await AdaMecClient.ConnectAsync(options);
        Deployment = await Client.DeployAsync(atoms, latencyRequirementMs: 5_000, deploymentId: "phone/mobilenet_v2");
        Pin = Enumerable.Range(0, manifest.Atoms.Count).Select(i => Devices[Math.Min(i, Devices.Length - 1)]).ToArray();
        await PinAsync(Pin);
        Input = TensorCodec.RandomPayload(manifest.InputShape, seed: 7);
    }

    /// <summary>Sends requests until the phone has reported latency to the cluster at least once (it reports at most once a second).</summary>
    public async Task ServeAndReportAsync()
    {
        await Deployment.InferAsync(Input);
        await Task.Delay(1_100);
        await Deployment.InferAsync(Input);
    }

    /// <summary>Pins the deployment and waits until that exact plan is live (a pin is carried out by the planner's work loop, not within the call).</summary>
    public async Task PinAsync(string[] pin)
    {
        await Deployment.PinAsync(pin);
        await Deployment.WaitForAsync(s => !s.Migrating && s.Live.Assignment.SequenceEqual(pin), TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        Deployment?.Dispose();
        if (Client is not null) await Client.DisposeAsync();
        if (Cluster is not null) await Cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>The in-memory exporter's job, with a lock: silos and the client stop spans on many threads.</summary>
    private sealed class LockedExporter(List<Activity> spans) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            lock (spans)
            {
                foreach (var activity in batch) spans.Add(activity);
            }
            return ExportResult.Success;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class OperationsClusterDefinition : ICollectionFixture<OperationsCluster>
{
    public const string Name = "operations cluster";
}
