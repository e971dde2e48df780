using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AdaMec.Client;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec client`: a mobile-client simulator on the client library. Deploys an atoms folder, sends
/// N requests and prints one line per request (JSON with --json) and a summary line. Exit 1 when a
/// request failed.
/// </summary>
internal static class ClientCommand
{
    /// <summary>Where the connection string comes from when --postgres is not given.</summary>
    internal const string PostgresEnvironmentVariable = "ADAMEC_CLIENT_POSTGRES";

    public static Command Create()
    {
        var gateways = new Option<string[]>("--gateway") { Description = "gateway HOST:PORT (repeatable; with neither this nor a PostgreSQL connection: 127.0.0.1:30000, the gateway of a silo started with its defaults)", AllowMultipleArgumentsPerToken = true };
        var postgres = new Option<string?>("--postgres")
        {
            // No DefaultValueFactory: help would print the environment's connection string, password and all.
            Description = $"PostgreSQL connection string: find gateways in the membership table (when absent: the {PostgresEnvironmentVariable} environment variable, which keeps a password off the command line)",
        };
        var clusterId = new Option<string>("--cluster-id") { Description = "Orleans cluster id", DefaultValueFactory = _ => "adamec" };
        var atoms = new Option<DirectoryInfo>("--atoms") { Description = "atoms folder written by `adamec partition`", Required = true };
        var requests = new Option<int>("--requests") { Description = "how many requests", DefaultValueFactory = _ => 10 };
        var interval = new Option<int>("--interval-ms") { Description = "pause between requests, ms", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "one JSON object per line" };
        var device = new Option<string>("--device") { Description = "this (initiator) device's id (default: mobile- and 8 random hex digits, so two clients never share a deployment)", DefaultValueFactory = _ => AdaMecClientOptions.NewDeviceId() };
        var latency = new Option<double>("--latency-ms") { Description = "latency requirement, ms", DefaultValueFactory = _ => 1000 };
        var speed = new Option<double>("--speed-factor") { Description = "EMULATION: with --emulate, how many times slower the local atoms are made (not a planner input: the planner plans with the speed the client measures of its own atom passes)", DefaultValueFactory = _ => 1 };
        var threads = new Option<int?>("--inference-threads") { Description = "libtorch threads for local atoms: the count the predictor was profiled at (default: libtorch's, one per core)" };
        var emulate = new Option<bool>("--emulate") { Description = "EMULATION: really slow local atoms by --speed-factor and shape the uplink" };
        var uplink = new Option<double?>("--emulate-uplink-mbps") { Description = "EMULATION: uplink bandwidth, Mbps, with --emulate (absent: transfers are delayed by the uplink latency only)" };
        var deployment = new Option<string?>("--deployment") { Description = "deployment id (default: DEVICE/FOLDER)" };
        var pin = new Option<string?>("--pin") { Description = "pin the deployment's plan: one device per atom, comma-separated (edge1,edge2,...); waits until it is live (absent: the planner places the atoms)" };
        var keyFile = new Option<FileInfo?>("--cluster-key-file") { Description = "cluster credential (adamec keygen credential) when the silos require one; an initiator credential also sets --device (absent: calls carry no credential, which a cluster with a key refuses)" };
        var backend = new Option<string>("--backend") { Description = "what runs this client's local atoms: torch (TorchSharp), onnx (ONNX Runtime) or auto (torch where libtorch loads, else onnx)", DefaultValueFactory = _ => AdaMec.Runtime.Execution.ExecutionBackends.Auto };
        backend.AcceptOnlyFromAmong([.. AdaMec.Runtime.Execution.ExecutionBackends.Names]);
        var check = new Option<bool>("--check") { Description = "compare every response with the local chain; each line gains maxRelDiff" };
        var command = new Command("client", "Mobile-client simulator: deploy an atoms folder to a cluster and send requests")
        {
            gateways, postgres, clusterId, atoms, requests, interval, json, device, latency, speed, threads, emulate, uplink, deployment, pin, check, keyFile, backend,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new AdaMecClientOptions
            {
                DeviceId = parse.GetValue(device)!,
                PostgresConnection = parse.GetValue(postgres) ?? (Environment.GetEnvironmentVariable(PostgresEnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null),
                ClusterId = parse.GetValue(clusterId)!,
                SpeedFactor = parse.GetValue(speed),
                InferenceThreads = parse.GetValue(threads),
                Backend = parse.GetValue(backend)!,
                Emulation = parse.GetValue(emulate),
                EmulatedUplinkMbps = parse.GetValue(uplink),
                ClusterKeyFile = parse.GetValue(keyFile)?.FullName,
            };
            // An initiator credential names its device: it is this client's id unless --device says otherwise (then the client refuses the mismatch).
            if (options.ClusterKeyFile is { } credentialFile && parse.GetResult(device) is null or { Implicit: true }
                && Interfaces.Security.ClusterCredential.Load(credentialFile) is { Role: Interfaces.Security.ClusterRole.Initiator } initiator)
                options.DeviceId = initiator.Name;
            foreach (var gateway in parse.GetValue(gateways) ?? []) options.Gateways.Add(gateway);
            if (options.Gateways.Count == 0 && options.PostgresConnection is null) options.Gateways.Add("127.0.0.1:30000");
            var count = parse.GetValue(requests);
            if (count < 1) throw new ArgumentException("--requests must be at least 1");
            var pinned = parse.GetValue(pin) is { } list ? ParsePin(list) : null;
            var run = new Run(parse.GetValue(atoms)!.FullName, parse.GetValue(latency), count, parse.GetValue(interval), parse.GetValue(json), parse.GetValue(deployment), pinned, parse.GetValue(check));
            return await RunAsync(options, run, cancellationToken);
        });
        return command;
    }

    private sealed record Run(string Atoms, double LatencyMs, int Requests, int IntervalMs, bool Json, string? DeploymentId, IReadOnlyList<string>? Pin, bool Check);

    private static string[] ParsePin(string list)
    {
        var devices = list.Split(',', StringSplitOptions.TrimEntries);
        return devices.Any(d => d.Length == 0) ? throw new ArgumentException($"--pin: '{list}' is not a comma-separated list of device ids (one per atom)") : devices;
    }

    private static async Task<int> RunAsync(AdaMecClientOptions options, Run run, CancellationToken cancellationToken)
    {
        await using var client = await AdaMecClient.ConnectAsync(options, cancellationToken: cancellationToken);
        var request = new RequestRun(run.Atoms, run.LatencyMs, run.Requests) { IntervalMs = run.IntervalMs, DeploymentId = run.DeploymentId, Pin = run.Pin, Check = run.Check };
        var summary = await RequestRunner.RunAsync(client, request, record => Print(Line(record), run.Json), cancellationToken);
        Print(Summary(summary), run.Json);
        return summary.Failed == 0 ? 0 : throw new CommandFailedException($"client: {summary.Failed} of {summary.Requests} requests failed");
    }

    private static void Print(object line, bool json) => Console.WriteLine(json ? JsonSerializer.Serialize(line) : Describe(line));

    // The anonymous shapes are the output contract (field names and order): scripts and tests read them.
    private static object Line(RequestRecord r) => r switch
    {
        { Ok: false } => new { id = r.Id, ok = false, error = r.Error },
        { MaxRelDiff: null } => new { id = r.Id, ok = true, latencyMs = Math.Round(r.LatencyMs, 2), assignment = r.Assignment, planVersion = r.PlanVersion, retries = r.Retries },
        _ => new { id = r.Id, ok = true, latencyMs = Math.Round(r.LatencyMs, 2), assignment = r.Assignment, planVersion = r.PlanVersion, retries = r.Retries, maxRelDiff = r.MaxRelDiff.Value },
    };

    private static object Summary(RequestRunSummary s) => new
    {
        summary = true,
        requests = s.Requests,
        ok = s.Ok,
        failed = s.Failed,
        medianMs = Math.Round(s.MedianMs, 2),
        p95Ms = Math.Round(s.P95Ms, 2),
        planChanges = s.PlanChanges,
        finalAssignment = s.FinalAssignment,
        seconds = Math.Round(s.Seconds, 2),
    };

    private static string Describe(object line) =>
        string.Join("  ", line.GetType().GetProperties().Select(p => $"{p.Name}={Format(p.GetValue(line))}"));

    private static string Format(object? value) => value switch
    {
        IEnumerable<string> list => "[" + string.Join(",", list) + "]",
        double d when d != 0 && Math.Abs(d) < 0.01 => d.ToString("0.0e0", CultureInfo.InvariantCulture),
        double d => d.ToString("0.##", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
