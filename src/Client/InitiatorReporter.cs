using AdaMec.Core.Atoms;
using AdaMec.Interfaces;
using Microsoft.Extensions.Logging;
using OpenTelemetry;

namespace AdaMec.Client;

/// <summary>
/// Tells a deployment's planner what the app measures of itself (<see cref="InitiatorSelf"/>) at most
/// once per <see cref="Period"/>, on the request path as <see cref="LatencyReporter"/> does: none while
/// idle. The planner applies the device signal thresholds and re-plans on a change beyond them.
/// </summary>
internal sealed partial class InitiatorReporter(IClusterClient cluster, string deployment, string initiator, InitiatorSelf self, AtomManifest manifest, ILogger logger)
{
    /// <summary>Shortest time between two reports.</summary>
    internal static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private DateTimeOffset _last = DateTimeOffset.UtcNow; // the deploy request carried the first reading

    /// <summary>Sends a report when the period has passed since the last one.</summary>
    public async Task TickAsync()
    {
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            if (now - _last < Period) return;
            _last = now;
        }
        try
        {
            var context = self.Read(manifest);
            // Bookkeeping, not part of the request: no span in the request's trace.
            using var quiet = SuppressInstrumentationScope.Begin();
            await cluster.GetGrain<IPlannerGrain>(deployment).ReportInitiatorAsync(initiator, context);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogNotReported(logger, e, deployment);
        }
    }

    [LoggerMessage(21, LogLevel.Debug, "Deployment {Deployment}: the initiator's speed and memory report was not delivered")]
    private static partial void LogNotReported(ILogger logger, Exception exception, string deployment);
}
