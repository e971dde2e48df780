using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AdaMec.Client;
using AdaMec.Core.Atoms;
using AdaMec.Runtime.Atoms;
using AdaMec.Interfaces;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec client`: a mobile-client simulator on the client library. Deploys an atoms folder, sends
/// N requests and prints one line per request (JSON with --json) and a summary line.
/// </summary>
internal static class ClientCommand
{
    public static Command Create()
    {
        var gateways = new Option<string[]>("--gateway") { Description = "gateway HOST:PORT (repeatable)", AllowMultipleArgumentsPerToken = true };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string: find gateways in the membership table" };
        var atoms = new Option<DirectoryInfo>("--atoms") { Description = "atoms folder written by `adamec partition`", Required = true };
        var requests = new Option<int>("--requests") { Description = "how many requests", DefaultValueFactory = _ => 10 };
        var interval = new Option<int>("--interval-ms") { Description = "pause between requests, ms", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "one JSON object per line" };
        var device = new Option<string>("--device") { Description = "this (initiator) device's id (default: mobile- and 8 random hex digits, so two clients never share a deployment)", DefaultValueFactory = _ => AdaMecClientOptions.NewDeviceId() };
        var latency = new Option<double>("--latency-ms") { Description = "latency requirement, ms", DefaultValueFactory = _ => 1000 };
        var speed = new Option<double>("--speed-factor") { Description = "how many times slower than the profiling machine this device is (planner input)", DefaultValueFactory = _ => 1 };
        var threads = new Option<int?>("--inference-threads") { Description = "libtorch threads for local atoms: the count the predictor was profiled at (default: libtorch's, one per core)" };
        var emulate = new Option<bool>("--emulate") { Description = "EMULATION: really slow local atoms by --speed-factor and shape the uplink" };
        var uplink = new Option<double?>("--emulate-uplink-mbps") { Description = "EMULATION: uplink bandwidth, Mbps" };
        var deployment = new Option<string?>("--deployment") { Description = "deployment id (default: DEVICE/FOLDER)" };
        var command = new Command("client", "Mobile-client simulator: deploy an atoms folder to a cluster and send requests")
        {
            gateways, postgres, atoms, requests, interval, json, device, latency, speed, threads, emulate, uplink, deployment,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var options = new AdaMecClientOptions
                {
                    DeviceId = parse.GetValue(device)!,
                    PostgresConnection = parse.GetValue(postgres),
                    SpeedFactor = parse.GetValue(speed),
                    InferenceThreads = parse.GetValue(threads),
                    Emulation = parse.GetValue(emulate),
                    EmulatedUplinkMbps = parse.GetValue(uplink),
                };
                foreach (var gateway in parse.GetValue(gateways) ?? []) options.Gateways.Add(gateway);
                if (options.Gateways.Count == 0 && options.PostgresConnection is null) options.Gateways.Add("127.0.0.1:30000");
                var count = parse.GetValue(requests);
                if (count < 1) throw new ArgumentException("--requests must be at least 1");
                return await RunAsync(options, parse.GetValue(atoms)!.FullName, parse.GetValue(latency), count, parse.GetValue(interval), parse.GetValue(json), parse.GetValue(deployment), cancellationToken);
            }
            catch (Exception e) when (e is ArgumentException or AtomFileException or AdaMecException or Orleans.Runtime.OrleansException or TimeoutException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return CliErrors.UserError;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(AdaMecClientOptions options, string atoms, double latencyMs, int requests, int intervalMs, bool json, string? deploymentId, CancellationToken cancellationToken)
    {
        await using var client = await AdaMecClient.ConnectAsync(options, cancellationToken: cancellationToken);
        using var deployment = await client.DeployAsync(atoms, latencyMs, deploymentId, cancellationToken);
        var planChanges = 0;
        deployment.PlanChanged += (_, _) => Interlocked.Increment(ref planChanges);
        var input = TensorCodec.RandomPayload(deployment.Manifest.InputShape, seed: 42);
        var latencies = new List<double>();
        var failed = 0;
        var started = Stopwatch.GetTimestamp();
        for (var n = 1; n <= requests; n++)
        {
            object line;
            try
            {
                var result = await deployment.InferAsync(input, cancellationToken);
                latencies.Add(result.LatencyMs);
                line = new { id = n, ok = true, latencyMs = Math.Round(result.LatencyMs, 2), assignment = result.Assignment, planVersion = result.PlanVersion, retries = result.Retries };
            }
            catch (Exception e) when (e is AdaMecException or Orleans.Runtime.OrleansException or TimeoutException)
            {
                failed++;
                line = new { id = n, ok = false, error = e.Message };
            }
            Console.WriteLine(json ? JsonSerializer.Serialize(line) : Describe(line));
            if (intervalMs > 0 && n < requests) await Task.Delay(intervalMs, cancellationToken);
        }
        latencies.Sort();
        var summary = new
        {
            summary = true,
            requests,
            ok = requests - failed,
            failed,
            medianMs = latencies.Count == 0 ? 0 : Math.Round(latencies[latencies.Count / 2], 2),
            p95Ms = latencies.Count == 0 ? 0 : Math.Round(latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(latencies.Count * 0.95) - 1)], 2),
            planChanges,
            finalAssignment = deployment.Plan.Assignment,
            seconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 2),
        };
        Console.WriteLine(json ? JsonSerializer.Serialize(summary) : Describe(summary));
        return failed == 0 ? 0 : 1;
    }

    private static string Describe(object line) =>
        string.Join("  ", line.GetType().GetProperties().Select(p => $"{p.Name}={Format(p.GetValue(line))}"));

    private static string Format(object? value) => value switch
    {
        IEnumerable<string> list => "[" + string.Join(",", list) + "]",
        double d => d.ToString("0.##", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
