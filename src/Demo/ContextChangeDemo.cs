using System.Globalization;
using AdaMec.Client;
using AdaMec.Grains;
using AdaMec.Interfaces;
using AdaMec.Runtime.Atoms;
using Microsoft.Extensions.Logging;

namespace AdaMec.Demo;

/// <summary>Settings of the <see cref="ContextChangeDemo"/>; the defaults are what `adamec demo` runs.</summary>
public sealed record ContextChangeDemoSettings
{
    /// <summary>The atoms folder (written by partitioning) to deploy.</summary>
    public required string AtomsDirectory { get; init; }

    /// <summary>libtorch threads atoms run with: the count the predictor was profiled at, so the planner's estimates hold.</summary>
    /// <value>The default value is 1.</value>
    public int Threads { get; init; } = 1;

    /// <summary>Number of the demo's first cluster step (the local steps before it are the caller's).</summary>
    /// <value>The default value is 1.</value>
    public int FirstStep { get; init; } = 1;

    /// <summary>How many steps the whole demo has, for "step n of m".</summary>
    /// <value>The default value is 3 (this scenario alone).</value>
    public int Steps { get; init; } = 3;

    /// <summary>Silo logging; null: silent.</summary>
    public Action<ILoggingBuilder>? Logging { get; init; }

    /// <summary>How long to wait for the planner to settle after each change.</summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan Patience { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The cluster half of `adamec demo`: three silos in this process on loopback, a phone client,
/// deploy, infer, change the context (links drop, a latency requirement), lose a device while
/// requests flow. Speeds and links are EMULATED. Reports what happens as <see cref="DemoEvent"/>s.
/// </summary>
public static class ContextChangeDemo
{
    private static readonly (string Device, double Speed)[] Edges = [("edge1", 1.0), ("edge2", 1.5), ("edge3", 2.0)];

    /// <summary>The initiator's device id.</summary>
    public const string Phone = "phone";

    private const double PhoneSpeed = 6;
    private const double LinkMbps = 200;
    private const double LinkLatencyMs = 2;
    private const string ClusterId = "adamec-demo";

    /// <summary>Runs the scenario, handing every event to <paramref name="report"/> as it happens.</summary>
    public static async Task RunAsync(ContextChangeDemoSettings settings, Action<DemoEvent> report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(report);
        var directory = settings.AtomsDirectory;
        var threads = settings.Threads;
        var step = settings.FirstStep;
        var silos = Edges.Select(e => new DevSilo(e.Device, new Dictionary<string, string?>
        {
            ["Device:SpeedFactor"] = e.Speed.ToString(CultureInfo.InvariantCulture),
            ["Device:InferenceThreads"] = threads.ToString(CultureInfo.InvariantCulture),
            ["Emulation:Enabled"] = "true",
            ["Emulation:LinkMbps"] = LinkMbps.ToString(CultureInfo.InvariantCulture),
            ["Emulation:LinkLatencyMs"] = LinkLatencyMs.ToString(CultureInfo.InvariantCulture),
        })).ToList();
        report(new DemoStep(step, settings.Steps, "start a cluster: three silos on loopback in this process, one per device",
        [
            $"EMULATION (one machine stands in for a testbed): {Phone} runs atoms {PhoneSpeed}x slower than this machine;",
            $"{string.Join(", ", Edges.Select(e => $"{e.Device} {e.Speed}x"))}; every link shaped to {LinkMbps} Mbps + {LinkLatencyMs} ms;",
            $"atoms run with {threads} libtorch thread(s), as the predictor was profiled.",
        ]));
        await using var cluster = await DevCluster.StartAsync(silos, Path.Combine(directory, "device-caches"), ClusterId, settings.Logging, cancellationToken: cancellationToken);
        foreach (var (device, gateway) in cluster.Devices.Zip(cluster.Gateways)) report(new DemoNote($"silo {device}: gateway {gateway}"));

        var options = new AdaMecClientOptions
        {
            DeviceId = Phone,
            ClusterId = ClusterId,
            SpeedFactor = PhoneSpeed,
            InferenceThreads = threads,
            Emulation = true,
            EmulatedUplinkMbps = LinkMbps,
            EmulatedUplinkLatencyMs = LinkLatencyMs,
        };
        foreach (var gateway in cluster.Gateways) options.Gateways.Add(gateway);
        await using var client = await AdaMecClient.ConnectAsync(options, cancellationToken: cancellationToken);

        report(new DemoStep(step + 1, settings.Steps, "deploy from the atoms folder and infer: atoms move out one by one as they become resident", []));
        using var deployment = await client.DeployAsync(directory, 1000, "demo", cancellationToken);
        var input = TensorCodec.RandomPayload(deployment.Manifest.InputShape, seed: 7);
        byte[] local;
        using (var chain = AtomChain.Load(directory)) local = chain.Run(input);
        var batch = new List<DemoRequest>();
        void Flush()
        {
            report(new DemoRequests(batch.ToArray()));
            batch.Clear();
        }
        var n = 0;
        async Task Infer(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var r = await deployment.InferAsync(input, cancellationToken);
                lock (batch) batch.Add(new DemoRequest(Interlocked.Increment(ref n), r.LatencyMs, r.PlanVersion, r.Assignment, TensorCodec.RelativeDifference(r.Output, local)));
            }
        }
        await Infer(2);
        await deployment.WaitUntilSettledAsync(settings.Patience, cancellationToken);
        await Infer(3);
        Flush();

        report(new DemoStep(step + 2, settings.Steps, "change the context and watch the planner", []));
        report(new DemoNote($"a) the {Phone}'s links drop to 1 Mbps (declared)"));
        var before = (await deployment.GetStatusAsync()).Replans;
        foreach (var (edge, _) in Edges)
        {
            await client.Cluster.GetGrain<ILinkGrain>(GrainKeys.Link(Phone, edge)).DeclareAsync(1, 20);
            await client.Cluster.GetGrain<ILinkGrain>(GrainKeys.Link(edge, Phone)).DeclareAsync(1, 20);
        }
        await deployment.WaitForAsync(s => s.Replans > before && !s.Migrating && s.Live.Assignment.SequenceEqual(s.Target), settings.Patience, cancellationToken);
        await Infer(2);
        Flush();
        report(new DemoNote("b) links back to measured values, latency requirement 60 ms"));
        foreach (var (edge, _) in Edges)
        {
            await client.Cluster.GetGrain<ILinkGrain>(GrainKeys.Link(Phone, edge)).ClearDeclarationAsync();
            await client.Cluster.GetGrain<ILinkGrain>(GrainKeys.Link(edge, Phone)).ClearDeclarationAsync();
        }
        await deployment.SetLatencyRequirementAsync(60);
        await deployment.WaitUntilSettledAsync(settings.Patience, cancellationToken);
        await Infer(2);
        Flush();
        var busiest = deployment.Plan.Assignment.Where(d => d != Phone && d != Edges[0].Device).GroupBy(d => d).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault() ?? Edges[1].Device;
        report(new DemoHistory("plan history so far (planner grain):", await deployment.GetHistoryAsync()));
        report(new DemoNote($"c) device {busiest} shuts down while requests flow"));
        var flowing = Task.Run(() => Infer(4), cancellationToken);
        await cluster.StopSiloAsync(busiest, cancellationToken);
        await flowing;
        await deployment.WaitForAsync(s => !s.Devices.Contains(busiest) && !s.Migrating && s.Live.Assignment.SequenceEqual(s.Target), settings.Patience, cancellationToken);
        await Infer(2);
        Flush();
        report(new DemoHistory("plan history after the device left (a planner that lived on it starts afresh):", await deployment.GetHistoryAsync()));
        report(new DemoNote("Every request above returned the model's output (max relative difference to the local run in the last column)."));
    }
}
