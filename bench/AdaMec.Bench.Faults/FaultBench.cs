using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdaMec.Client;
using AdaMec.Interfaces;
using Microsoft.Extensions.Logging;

namespace AdaMec.Bench.Faults;

/// <summary>Where the bench finds the real executables, and how hard it pushes.</summary>
/// <param name="SiloDll">adamec-silo.dll.</param>
/// <param name="CliDll">adamec.dll (its `partition` writes the atoms).</param>
public sealed record FaultBenchSettings(string SiloDll, string CliDll)
{
    /// <summary>Requests per fault, at least (more are sent while a recovery is still being waited for).</summary>
    public int Requests { get; init; } = 500;

    /// <summary>Requests per second, sent open-loop.</summary>
    public double RatePerSecond { get; init; } = 20;

    /// <summary>The faults to run (names from <see cref="Faults.Names"/>); empty runs all.</summary>
    public IReadOnlyCollection<string> Faults { get; init; } = [];

    /// <summary>The zoo model deployed (partitioned by `adamec partition`).</summary>
    public string Model { get; init; } = "mobilenet_v2";

    /// <summary>How long a request may stay unanswered after the load stops before it counts as lost.</summary>
    public TimeSpan AnswerDeadline { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long to wait for a detection, a recovery, or a settled plan.</summary>
    public TimeSpan Patience { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>One row of the table: a fault under traffic.</summary>
/// <param name="Fault">The fault's name.</param>
/// <param name="Requests">Requests sent while it ran.</param>
/// <param name="Ok">Results that matched the local chain.</param>
/// <param name="Failed">Explicit errors and wrong results.</param>
/// <param name="Lost">Requests without any answer within the answer deadline.</param>
/// <param name="P99Ms">99th-percentile latency of the requests sent between the fault and the recovery, ms.</param>
/// <param name="DetectionS">Fault to detection, s (null: nothing to detect, or not detected).</param>
/// <param name="RecoveryS">Fault to recovery, s (null: did not recover).</param>
public sealed record FaultResult(string Fault, int Requests, int Ok, int Failed, int Lost, double P99Ms, double? DetectionS, double? RecoveryS)
{
    /// <summary>Requests sent after the recovery that did not succeed (must be 0).</summary>
    public int FailedAfterRecovery { get; init; }

    /// <summary>Requests sent after the recovery that succeeded (a fault that recovered sends some: <see cref="FaultContext.RequestsAfter"/>).</summary>
    public int OkAfterRecovery { get; init; }

    /// <summary>sigstop-silo: requests sent after the thawed silo had its atoms back that ran atoms on it (null for other faults).</summary>
    public int? RanOnRejoined { get; init; }

    /// <summary>What happened, for people.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>A broken promise, or null.</summary>
    public string? Problem { get; init; }

    /// <summary>Up to three distinct errors, for people.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>Why it did not run, or null.</summary>
    public string? Skipped { get; init; }

    /// <summary>Skipped, or kept every promise: no request lost, recovered, every request after the recovery ok, a thawed silo given work again, no problem.</summary>
    public bool Clean => Skipped is not null || (Problem is null && Lost == 0 && FailedAfterRecovery == 0 && RecoveryS is not null && RanOnRejoined is null or > 0);
}

/// <summary>
/// `adamec bench faults`: three real silo processes on a private PostgreSQL server, a client sending
/// requests at a fixed rate, and each fault in turn; every fault starts from the same state (three
/// silos, the pinned plan live).
/// </summary>
public static class FaultBench
{
    private const string DeploymentId = "faults";

    /// <summary>Runs the faults; progress goes to <paramref name="log"/>.</summary>
    /// <exception cref="ArgumentException">A fault name is unknown, or a setting out of range.</exception>
    public static async Task<IReadOnlyList<FaultResult>> RunAsync(FaultBenchSettings settings, TextWriter log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        var unknown = settings.Faults.Where(n => !Faults.Names.Contains(n)).ToArray();
        if (unknown.Length > 0) throw new ArgumentException($"--faults: no fault {string.Join(", ", unknown)} (faults: {string.Join(", ", Faults.Names)})");
        if (settings.Requests < 20) throw new ArgumentException($"--requests must be at least 20, got {settings.Requests}");
        if (!double.IsFinite(settings.RatePerSecond) || settings.RatePerSecond is <= 0 or > 1000) throw new ArgumentException($"--rate must be > 0 and at most 1000 requests/s, got {settings.RatePerSecond}");
        var faults = Faults.All.Where(f => settings.Faults.Count == 0 || settings.Faults.Contains(f.Name)).ToArray();
        if (FaultCluster.WhyNot() is { } why) return faults.Select(f => new FaultResult(f.Name, 0, 0, 0, 0, 0, null, null) { Skipped = why }).ToArray();

        var atoms = Directory.CreateTempSubdirectory("adamec-faults-atoms-").FullName;
        try
        {
            await PartitionAsync(settings, atoms, cancellationToken);
            await using var cluster = await FaultCluster.StartAsync(settings.SiloDll, log, cancellationToken);
            // A phone 4x slower than its edges (emulated): a free re-plan offloads to the edges left.
            var options = new AdaMecClientOptions
            {
                DeviceId = "phone", ClusterId = cluster.ClusterId, PostgresConnection = cluster.Postgres.ConnectionString, SpeedFactor = 4, Emulation = true,
            };
            using var clientLog = FileLog.FromEnvironment("client");
            await using var client = await AdaMecClient.ConnectAsync(options, clientLog is null ? null : logging => logging.AddProvider(clientLog), cancellationToken);
            // With a log folder: the client process's thread pool once a second (a starved pool delays every callback the phone serves).
            using var sampler = clientLog is null ? null : new Timer(_ => clientLog.Write(string.Create(CultureInfo.InvariantCulture,
                $"{DateTime.UtcNow:HH:mm:ss.fff} threadpool: {ThreadPool.ThreadCount} threads, {ThreadPool.PendingWorkItemCount} queued, {ThreadPool.CompletedWorkItemCount} done")), null, 1000, 1000);
            using var deployment = await client.DeployAsync(atoms, 1000, DeploymentId, cancellationToken);
            var count = deployment.Manifest.Atoms.Count;
            // Each edge holds a third of the model: every fault hits atoms in use.
            var pin = Enumerable.Range(0, count).Select(i => FaultCluster.Devices[i * FaultCluster.Devices.Count / count]).ToArray();
            var results = new List<FaultResult>();
            foreach (var fault in faults)
            {
                await ReadyAsync(cluster, deployment, pin, settings.Patience, log, cancellationToken);
                results.Add(await RunOneAsync(fault, cluster, client, deployment, pin, atoms, settings, log, cancellationToken));
                var last = results[^1];
                if (last.Problem is not null || last.Lost > 0)
                {
                    // What the silos said is the first thing to read about a broken promise.
                    foreach (var device in FaultCluster.Devices)
                        log.WriteLine($"faults: {device}'s log, last lines:\n{string.Join('\n', cluster.LogOf(device).Split('\n').TakeLast(40))}");
                }
                log.WriteLine($"faults: {last.Fault}: {last.Ok}/{last.Requests} ok, {last.Failed} failed, {last.Lost} lost, p99 {last.P99Ms:0} ms, detection {Seconds(last.DetectionS)}, recovery {Seconds(last.RecoveryS)}{(last.Problem is null ? "" : " — " + last.Problem)}");
            }
            return results;
        }
        finally
        {
            Directory.Delete(atoms, recursive: true);
        }
    }

    private static async Task<FaultResult> RunOneAsync(IFault fault, FaultCluster cluster, AdaMecClient client, Deployment deployment, IReadOnlyList<string> pin, string atoms, FaultBenchSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        await using var load = LoadGenerator.Start(client, deployment, atoms, settings.RatePerSecond);
        // A tenth of the requests on the healthy cluster first.
        await load.UntilSentAsync(Math.Max(10, settings.Requests / 10), cancellationToken);
        var context = new FaultContext(cluster, client, deployment, pin, load, settings.Patience, log);
        var run = await fault.InjectAsync(context, cancellationToken);
        await load.UntilSentAsync(settings.Requests, cancellationToken);
        var outcomes = await load.StopAsync(settings.AnswerDeadline);
        var end = run.RecoveredAtS ?? double.MaxValue;
        var during = outcomes.Where(o => !o.Lost && o.StartedS >= run.AtS && o.StartedS <= end).Select(o => o.LatencyMs).ToArray();
        return new FaultResult(fault.Name, outcomes.Count, outcomes.Count(o => o.Ok), outcomes.Count(o => o.Failed), outcomes.Count(o => o.Lost),
            Math.Round(P99(during.Length > 0 ? during : outcomes.Where(o => !o.Lost).Select(o => o.LatencyMs).ToArray()), 1),
            Round(run.DetectionS), Round(run.RecoveryS))
        {
            FailedAfterRecovery = run.RecoveredAtS is { } recovered ? outcomes.Count(o => o.StartedS > recovered && !o.Ok) : 0,
            OkAfterRecovery = run.RecoveredAtS is { } recoveredAt ? outcomes.Count(o => o.StartedS > recoveredAt && o.Ok) : 0,
            RanOnRejoined = run.Rejoined is { } rejoined ? outcomes.Count(o => o.StartedS > rejoined.AtS && o.Ok && o.Assignment.Contains(rejoined.Device)) : null,
            Notes = run.Notes,
            Problem = run.Problem,
            Errors = outcomes.Where(o => o.Error is not null).Select(o => o.Error!).Distinct().Take(3).ToArray(),
        };
    }

    /// <summary>Three silos up (starting any the last fault left down) and the pinned plan live.</summary>
    private static async Task ReadyAsync(FaultCluster cluster, Deployment deployment, IReadOnlyList<string> pin, TimeSpan patience, TextWriter log, CancellationToken cancellationToken)
    {
        foreach (var device in FaultCluster.Devices.Where(d => cluster.ProcessOf(d).HasExited))
        {
            log.WriteLine($"faults: starting {device} again");
            cluster.StartSilo(device);
        }
        foreach (var device in FaultCluster.Devices) await cluster.UntilActiveAsync(device, cancellationToken);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await deployment.PinAsync(pin); // refused while the planner does not see a device active yet
                await deployment.WaitForAsync(s => !s.Migrating && s.Live.Assignment.SequenceEqual(pin), TimeSpan.FromSeconds(30), cancellationToken);
                return;
            }
            catch (Exception e) when (e is AdaMecException or TimeoutException or Orleans.Runtime.OrleansException && clock.Elapsed < patience)
            {
                log.WriteLine($"faults: waiting for the pinned plan: {e.Message}");
                await Task.Delay(1000, cancellationToken);
            }
        }
    }

    private static async Task PartitionAsync(FaultBenchSettings settings, string atoms, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { settings.CliDll, "partition", "--model", settings.Model, "--out", atoms, "--latency", "flops", "--no-onnx" }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start adamec partition");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0) throw new InvalidOperationException($"adamec partition --model {settings.Model} failed ({process.ExitCode}): {await error}{await output}");
    }

    /// <summary>Nearest-rank 99th percentile; 0 when empty.</summary>
    public static double P99(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return 0;
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(sorted.Length * 0.99) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>Exactly <c>{ "results": [ { "fault", "requests", "ok", "failed", "lost", "p99Ms", "detectionS", "recoveryS" } ] }</c>.</summary>
    public static string ToJson(IReadOnlyList<FaultResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var root = new JsonObject
        {
            ["results"] = new JsonArray(results.Select(r => (JsonNode)new JsonObject
            {
                ["fault"] = r.Fault,
                ["requests"] = r.Requests,
                ["ok"] = r.Ok,
                ["failed"] = r.Failed,
                ["lost"] = r.Lost,
                ["p99Ms"] = r.P99Ms,
                ["detectionS"] = r.DetectionS,
                ["recoveryS"] = r.RecoveryS,
            }).ToArray()),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The table for people, with each fault's notes, problems and errors under it.</summary>
    public static string ToTable(IReadOnlyList<FaultResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        string[] columns = ["fault", "requests", "ok", "failed", "lost", "p99 ms", "detection s", "recovery s"];
        var rows = results.Select(r => new[]
        {
            r.Fault, Int(r.Requests), Int(r.Ok), Int(r.Failed), Int(r.Lost), r.P99Ms.ToString("0.0", CultureInfo.InvariantCulture), Seconds(r.DetectionS), Seconds(r.RecoveryS),
        }).ToArray();
        var widths = columns.Select((c, i) => Math.Max(c.Length, rows.Length == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"adamec bench faults — {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {Environment.OSVersion.VersionString}");
        text.AppendLine(string.Join("  ", columns.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))));
        foreach (var row in rows) text.AppendLine(string.Join("  ", row.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))));
        foreach (var r in results)
        {
            if (r.Skipped is not null) text.AppendLine(CultureInfo.InvariantCulture, $"  {r.Fault}: skipped: {r.Skipped}");
            foreach (var note in r.Notes) text.AppendLine(CultureInfo.InvariantCulture, $"  {r.Fault}: {note}");
            if (r.RecoveryS is not null && r.Skipped is null) text.AppendLine(CultureInfo.InvariantCulture, $"  {r.Fault}: {r.OkAfterRecovery} request(s) sent after the recovery succeeded{(r.RanOnRejoined is { } ran ? $"; {ran} sent after the thawed silo was back ran atoms on it" : "")}");
            if (r.FailedAfterRecovery > 0) text.AppendLine(CultureInfo.InvariantCulture, $"  {r.Fault}: {r.FailedAfterRecovery} request(s) sent after the recovery did not succeed");
            if (r.Problem is not null) text.AppendLine(CultureInfo.InvariantCulture, $"  {r.Fault}: PROBLEM: {r.Problem}");
            foreach (var error in r.Errors) text.AppendLine(CultureInfo.InvariantCulture, $"  {r.Fault}: error: {error}");
        }
        text.AppendLine("  p99 ms: requests sent between the fault and the recovery. detection: the membership table declares the silo dead (corrupt-weights: the silo rejects the cached file). recovery: see docs/faults.md.");
        return text.ToString();
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(double? value) => value is { } s ? s.ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 2) : null;
}
