using System.Globalization;
using AdaMec.Cli.Rendering;
using AdaMec.Client;
using AdaMec.Grains;
using AdaMec.Runtime.Atoms;
using AdaMec.Interfaces;
using Microsoft.Extensions.Logging;

namespace AdaMec.Cli.Commands;

/// <summary>
/// The cluster half of `adamec demo`: three silos in this process on loopback, a phone client,
/// deploy, infer, change the context, lose a device. Speeds and links are EMULATED.
/// </summary>
internal static class ClusterDemo
{
    private static readonly (string Device, double Speed)[] Edges = [("edge1", 1.0), ("edge2", 1.5), ("edge3", 2.0)];
    private const string Phone = "phone";
    private const double PhoneSpeed = 6;
    private const double LinkMbps = 200;
    private const double LinkLatencyMs = 2;

    // threads: the libtorch thread count atoms run with, the predictor's profiling count, so the planner's estimates hold.
    public static async Task<int> RunAsync(string directory, int step, int steps, int threads)
    {
        var cache = Path.Combine(directory, "device-caches");
        Console.WriteLine($"== {step}/{steps} start a cluster: three silos on loopback in this process, one per device");
        Console.WriteLine($"   EMULATION (one machine stands in for a testbed): {Phone} runs atoms {PhoneSpeed}x slower than this machine;");
        Console.WriteLine($"   {string.Join(", ", Edges.Select(e => $"{e.Device} {e.Speed}x"))}; every link shaped to {LinkMbps} Mbps + {LinkLatencyMs} ms;");
        Console.WriteLine($"   atoms run with {threads} libtorch thread(s), as the predictor was profiled.");
        var silos = Edges.Select(e => new DevSilo(e.Device, new Dictionary<string, string?>
        {
            ["Device:SpeedFactor"] = e.Speed.ToString(CultureInfo.InvariantCulture),
            ["Device:InferenceThreads"] = threads.ToString(CultureInfo.InvariantCulture),
            ["Emulation:Enabled"] = "true",
            ["Emulation:LinkMbps"] = LinkMbps.ToString(CultureInfo.InvariantCulture),
            ["Emulation:LinkLatencyMs"] = LinkLatencyMs.ToString(CultureInfo.InvariantCulture),
        })).ToList();
        // Silo logs are off in the demo; ADAMEC_DEMO_LOGS=1 writes warnings and AdaMec's information to stderr.
        Action<ILoggingBuilder>? logging = Environment.GetEnvironmentVariable("ADAMEC_DEMO_LOGS") == "1"
            ? l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning).AddFilter("AdaMec", LogLevel.Information)
            : null;
        await using var cluster = await DevCluster.StartAsync(silos, cache, "adamec-demo", logging);
        foreach (var (device, gateway) in cluster.Devices.Zip(cluster.Gateways)) Console.WriteLine($"   silo {device}: gateway {gateway}");

        var options = new AdaMecClientOptions
        {
            DeviceId = Phone,
            ClusterId = "adamec-demo",
            SpeedFactor = PhoneSpeed,
            InferenceThreads = threads,
            Emulation = true,
            EmulatedUplinkMbps = LinkMbps,
            EmulatedUplinkLatencyMs = LinkLatencyMs,
        };
        foreach (var gateway in cluster.Gateways) options.Gateways.Add(gateway);
        await using var client = await AdaMecClient.ConnectAsync(options);

        Console.WriteLine();
        Console.WriteLine($"== {step + 1}/{steps} deploy from the atoms folder and infer: atoms move out one by one as they become resident");
        using var deployment = await client.DeployAsync(directory, 1000, "demo");
        var input = TensorCodec.RandomPayload(deployment.Manifest.InputShape, seed: 7);
        using var chain = AtomChain.Load(directory);
        var local = chain.Run(input);
        static CliTable NewTable() => new("request", "latency ms", "plan v", "where each atom ran", "max rel. diff vs local");
        var table = NewTable();
        void Flush()
        {
            table.Write(CliConsole.Out);
            table = NewTable();
        }
        var n = 0;
        async Task Infer(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var r = await deployment.InferAsync(input);
                table.Add(++n, r.LatencyMs, r.PlanVersion, string.Join(" ", r.Assignment), TensorCodec.RelativeDifference(r.Output, local).ToString("0.0e0", CultureInfo.InvariantCulture));
            }
        }
        await Infer(2);
        await deployment.WaitUntilSettledAsync(TimeSpan.FromSeconds(60));
        await Infer(3);
        Flush();

        Console.WriteLine();
        Console.WriteLine($"== {step + 2}/{steps} change the context and watch the planner");
        Console.WriteLine($"   a) the {Phone}'s links drop to 1 Mbps (declared)");
        var before = (await deployment.GetStatusAsync()).Replans;
        foreach (var (edge, _) in Edges)
        {
            await client.Cluster.GetGrain<ILinkGrain>(GrainKeys.Link(Phone, edge)).DeclareAsync(1, 20);
            await client.Cluster.GetGrain<ILinkGrain>(GrainKeys.Link(edge, Phone)).DeclareAsync(1, 20);
        }
        await deployment.WaitForAsync(s => s.Replans > before && !s.Migrating && s.Live.Assignment.SequenceEqual(s.Target), TimeSpan.FromSeconds(60));
        await Infer(2);
        Flush();
        Console.WriteLine("   b) links back to measured values, latency requirement 60 ms");
        foreach (var (edge, _) in Edges)
        {
            await client.Cluster.GetGrain<ILinkGrain>(GrainKeys.Link(Phone, edge)).ClearDeclarationAsync();
            await client.Cluster.GetGrain<ILinkGrain>(GrainKeys.Link(edge, Phone)).ClearDeclarationAsync();
        }
        await deployment.SetLatencyRequirementAsync(60);
        await deployment.WaitUntilSettledAsync(TimeSpan.FromSeconds(60));
        await Infer(2);
        Flush();
        var busiest = deployment.Plan.Assignment.Where(d => d != Phone && d != Edges[0].Device).GroupBy(d => d).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault() ?? Edges[1].Device;
        Console.WriteLine("   plan history so far (planner grain):");
        await PrintHistory(deployment);
        Console.WriteLine($"   c) device {busiest} shuts down while requests flow");
        var flowing = Task.Run(() => Infer(4));
        await cluster.StopSiloAsync(busiest);
        await flowing;
        await deployment.WaitForAsync(s => !s.Devices.Contains(busiest) && !s.Migrating && s.Live.Assignment.SequenceEqual(s.Target), TimeSpan.FromSeconds(60));
        await Infer(2);
        Flush();
        Console.WriteLine();
        Console.WriteLine("   plan history after the device left (a planner that lived on it starts afresh):");
        await PrintHistory(deployment);
        Console.WriteLine("Every request above returned the model's output (max relative difference to the local run in the last column).");
        return 0;
    }

    private static async Task PrintHistory(Client.Deployment deployment)
    {
        var history = new CliTable("#", "trigger", "new plan", "predicted ms", "decide ms", "bytes moved", "feasible");
        foreach (var r in await deployment.GetHistoryAsync())
            history.Add(r.Sequence, r.Trigger.Length > 48 ? r.Trigger[..48] + "…" : r.Trigger, string.Join(" ", r.NewPlan), r.PredictedLatencyMs, r.DecisionTimeMs, r.BytesMoved, r.Feasible);
        history.Write(CliConsole.Out);
    }
}
