using AdaMec.Interfaces;
using Microsoft.Extensions.Logging;
using OpenTelemetry;

namespace AdaMec.Client;

/// <summary>
/// Sums up a deployment's request latencies and tells the cluster (<see cref="ILatencyLogGrain"/>) at
/// most once per <see cref="Period"/>, on the request path: one small one-way message a second, none
/// while idle. A window holds the requests of one plan version, and the first request served by a new
/// plan version is reported at once: the planner times each plan's benefit by it and holds each plan's
/// prediction against its own requests. The operator page draws them against the requirement.
/// </summary>
internal sealed partial class LatencyReporter(IClusterClient cluster, string deployment, ILogger logger)
{
    /// <summary>Shortest time between two reports of one plan version.</summary>
    internal static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly List<double> _window = [];
    private DateTimeOffset _last = DateTimeOffset.MinValue;
    private int _version = -1;
    private double _requirementMs;

    /// <summary>Adds one request (of the plan version it started on); sends a report when due.</summary>
    public async Task AddAsync(double latencyMs, double requirementMs, int planVersion)
    {
        var reports = new List<LatencyReport>(2);
        lock (_window)
        {
            var now = DateTimeOffset.UtcNow;
            var first = planVersion != _version;
            if (first && _window.Count > 0) reports.Add(Flush(now));
            _version = planVersion;
            _requirementMs = requirementMs;
            _window.Add(latencyMs);
            if (first || now - _last >= Period)
            {
                reports.Add(Flush(now));
                _last = now;
            }
        }
        foreach (var report in reports)
        {
            try
            {
                // Bookkeeping, not part of the request: no span in the request's trace.
                using var quiet = SuppressInstrumentationScope.Begin();
                await cluster.GetGrain<ILatencyLogGrain>(deployment).RecordAsync(report);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogNotReported(logger, e, deployment);
            }
        }
    }

    private LatencyReport Flush(DateTimeOffset now)
    {
        var sorted = _window.Order().ToArray();
        _window.Clear();
        return new LatencyReport(now, sorted.Length, sorted[sorted.Length / 2], sorted[^1], _requirementMs, _version);
    }

    [LoggerMessage(20, LogLevel.Debug, "Deployment {Deployment}: latency report not delivered")]
    private static partial void LogNotReported(ILogger logger, Exception exception, string deployment);
}
