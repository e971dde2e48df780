using System.Diagnostics;
using AdaMec.Interfaces;
using AdaMec.Runtime.Atoms;

namespace AdaMec.Client;

/// <summary>What <see cref="RequestRunner"/> does: deploy a folder, optionally pin, send requests, optionally check them.</summary>
/// <param name="AtomsFolder">Atoms folder written by `adamec partition`.</param>
/// <param name="LatencyMs">The deployment's latency requirement, ms.</param>
/// <param name="Requests">How many requests (at least 1).</param>
public sealed record RequestRun(string AtomsFolder, double LatencyMs, int Requests)
{
    /// <summary>Pause between requests, ms (none after the last). Default 0.</summary>
    public int IntervalMs { get; init; }

    /// <summary>Deployment id; null lets the client choose (DEVICE/FOLDER).</summary>
    public string? DeploymentId { get; init; }

    /// <summary>One device per atom to pin the plan to before sending; null leaves the planner free.</summary>
    public IReadOnlyList<string>? Pin { get; init; }

    /// <summary>Compare every response with the local chain's output (fills <see cref="RequestRecord.MaxRelDiff"/>).</summary>
    public bool Check { get; init; }

    /// <summary>How long to wait for a pinned plan to become live. Default 2 minutes.</summary>
    public TimeSpan PinSettleTimeout { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>One request's outcome.</summary>
/// <param name="Id">1-based request number.</param>
/// <param name="Ok">False when the request failed (<paramref name="Error"/> says why).</param>
/// <param name="LatencyMs">End-to-end latency (0 when failed).</param>
/// <param name="Assignment">Where each atom ran (empty when failed).</param>
/// <param name="PlanVersion">The plan version the request started on.</param>
/// <param name="Retries">Cluster segments retried or run locally.</param>
/// <param name="MaxRelDiff">Max relative difference to the local chain; null unless checking.</param>
/// <param name="Error">The failure's message, or null.</param>
public sealed record RequestRecord(int Id, bool Ok, double LatencyMs, IReadOnlyList<string> Assignment, int PlanVersion, int Retries, double? MaxRelDiff, string? Error)
{
    internal static RequestRecord Failed(int id, string error) => new(id, false, 0, [], 0, 0, null, error);
}

/// <summary>The run as a whole.</summary>
/// <param name="Requests">Requests sent.</param>
/// <param name="Ok">Requests that succeeded.</param>
/// <param name="Failed">Requests that failed.</param>
/// <param name="MedianMs">Median latency of the successful requests (0 when none).</param>
/// <param name="P95Ms">95th-percentile latency of the successful requests (0 when none).</param>
/// <param name="PlanChanges">Plan changes the initiator saw while sending (after any pin settled).</param>
/// <param name="FinalAssignment">The live plan's assignment at the end.</param>
/// <param name="Seconds">Wall time of the sending loop.</param>
public sealed record RequestRunSummary(int Requests, int Ok, int Failed, double MedianMs, double P95Ms, int PlanChanges, IReadOnlyList<string> FinalAssignment, double Seconds)
{
    /// <summary>Median and 95th percentile (nearest rank) of <paramref name="latencies"/>; both 0 when empty.</summary>
    public static (double Median, double P95) Percentiles(IReadOnlyCollection<double> latencies)
    {
        if (latencies.Count == 0) return (0, 0);
        var sorted = latencies.Order().ToArray();
        return (sorted[sorted.Length / 2], sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * 0.95) - 1)]);
    }
}

/// <summary>
/// The mobile-client simulator's loop (what `adamec client` runs): deploy an atoms folder, pin it if asked
/// and wait until the pin is live, send N requests with one seeded random input, and compare each output
/// with the local chain when checking. A failed request (AdaMec, Orleans or timeout error) is a record, not
/// an exception, so one bad request does not end the run.
/// </summary>
public static class RequestRunner
{
    /// <summary>Runs <paramref name="run"/> on <paramref name="client"/>, reporting each request to <paramref name="onRequest"/> as it completes.</summary>
    public static async Task<RequestRunSummary> RunAsync(AdaMecClient client, RequestRun run, Action<RequestRecord> onRequest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(onRequest);
        if (run.Requests < 1) throw new ArgumentException("--requests must be at least 1");
        using var deployment = await client.DeployAsync(run.AtomsFolder, run.LatencyMs, run.DeploymentId, cancellationToken);
        if (run.Pin is { } pin)
        {
            if (pin.Count != deployment.Manifest.Atoms.Count)
                throw new ArgumentException($"--pin names {pin.Count} devices; the model has {deployment.Manifest.Atoms.Count} atoms (one device per atom)");
            await deployment.PinAsync(pin);
            await deployment.WaitUntilSettledAsync(run.PinSettleTimeout, cancellationToken);
        }
        var planChanges = 0;
        deployment.PlanChanged += (_, _) => Interlocked.Increment(ref planChanges);
        var input = TensorBytes.RandomPayload(deployment.Manifest.InputShape, seed: 42);
        byte[]? expected = null;
        if (run.Check)
        {
            // The local chain on this app's own backend.
            var atoms = AtomFiles.LoadAll(client.Backend, run.AtomsFolder, deployment.Manifest);
            try { expected = AtomFiles.Run(atoms, input); }
            finally { foreach (var atom in atoms) atom.Dispose(); }
        }
        var latencies = new List<double>();
        var failed = 0;
        var started = Stopwatch.GetTimestamp();
        for (var n = 1; n <= run.Requests; n++)
        {
            RequestRecord record;
            try
            {
                var result = await deployment.InferAsync(input, cancellationToken);
                latencies.Add(result.LatencyMs);
                var diff = expected is null ? (double?)null : TensorBytes.RelativeDifference(result.Output, expected);
                record = new RequestRecord(n, true, result.LatencyMs, result.Assignment, result.PlanVersion, result.Retries, diff, null);
            }
            catch (Exception e) when (e is AdaMecException or Orleans.Runtime.OrleansException or TimeoutException)
            {
                failed++;
                record = RequestRecord.Failed(n, e.Message);
            }
            onRequest(record);
            if (run.IntervalMs > 0 && n < run.Requests) await Task.Delay(run.IntervalMs, cancellationToken);
        }
        var (median, p95) = RequestRunSummary.Percentiles(latencies);
        return new RequestRunSummary(run.Requests, run.Requests - failed, failed, median, p95, planChanges, deployment.Plan.Assignment, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }
}
