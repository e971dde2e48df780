using AdaMec.Interfaces;
using Microsoft.Extensions.Logging;
using OpenTelemetry;

namespace AdaMec.Client;

/// <summary>
/// Sums up a deployment's request latencies and tells the cluster (<see cref="ILatencyLogGrain"/>) at
/// most once per <see cref="Period"/>, on the request path: one small one-way message a second, none
/// while idle. The operator page draws them against the requirement.
/// </summary>
internal sealed partial class LatencyReporter(IClusterClient cluster, string deployment, ILogger logger)
{
    /// <summary>Shortest time between two reports.</summary>
    internal static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly List<double> _window = [];
    private DateTimeOffset _last = DateTimeOffset.MinValue;

    /// <summary>Adds one request; sends a report when the period has passed since the last one.</summary>
    public async Task AddAsync(double latencyMs, double requirementMs, int planVersion)
    {
        LatencyReport report;
        lock (_window)
        {
            _window.Add(latencyMs);
            var now = DateTimeOffset.UtcNow;
            if (now - _last < Period) return;
            _last = now;
            var sorted = _window.Order().ToArray();
            _window.Clear();
            report = new LatencyReport(now, sorted.Length, sorted[sorted.Length / 2], sorted[^1], requirementMs, planVersion);
        }
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

    [LoggerMessage(20, LogLevel.Debug, "Deployment {Deployment}: latency report not delivered")]
    private static partial void LogNotReported(ILogger logger, Exception exception, string deployment);
}
