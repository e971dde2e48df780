using System.Diagnostics;
using AdaMec.Core.Context;
using AdaMec.Interfaces;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace AdaMec.Client;

/// <summary>
/// Probes the links between this initiator and the cluster's devices. A link grain probes a link by
/// asking the sending device's silo, which an initiator does not have; so the initiator measures its
/// own links before it deploys: towards a device by sending payloads to the device's probe grain, back
/// from it by asking for payloads, both over the client's real connection to the cluster.
/// </summary>
internal static partial class InitiatorLinks
{
    /// <summary>An initiator's link estimate older than this is probed again when it deploys (as silos' Links:StaleAfter).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(5);

    /// <summary>Time an initiator spends probing its links before it deploys, at most.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Probes each link between <paramref name="me"/> and an active silo that was never measured or
    /// whose estimate is older than <paramref name="staleAfter"/>, one link at a time (links that share
    /// a path would otherwise slow each other's probes), and records the samples on the link grains.
    /// </summary>
    public static Task ProbeAsync(IClusterClient cluster, string me, int maxMessageBodySize, TimeSpan staleAfter, ILogger logger, CancellationToken cancellationToken) =>
        ProbeAsync(cluster, me, null, maxMessageBodySize, staleAfter, logger, cancellationToken);

    /// <summary>As <see cref="ProbeAsync(IClusterClient, string, int, TimeSpan, ILogger, CancellationToken)"/>, for the active silos among <paramref name="devices"/> only (all when null).</summary>
    public static async Task ProbeAsync(IClusterClient cluster, string me, IReadOnlyCollection<string>? devices, int maxMessageBodySize, TimeSpan staleAfter, ILogger logger, CancellationToken cancellationToken)
    {
        // Bounded: a deployment does not wait long for its links; what is not measured by then is
        // measured by its real transfers, and a link never measured shows as probing.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(Budget);
        try
        {
            await ProbeAllAsync(cluster, me, devices, maxMessageBodySize, staleAfter, logger, bounded.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogOutOfTime(logger, Budget.TotalSeconds);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            // Listing the devices can be refused (a cluster key without that right): deploy anyway.
            LogNotProbed(logger, e);
        }
    }

    private static async Task ProbeAllAsync(IClusterClient cluster, string me, IReadOnlyCollection<string>? only, int maxMessageBodySize, TimeSpan staleAfter, ILogger logger, CancellationToken cancellationToken)
    {
        var hosts = await cluster.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true, cancellationToken);
        var options = new LinkProbeOptions { MaxLargeBytes = Math.Min(new LinkProbeOptions().MaxLargeBytes, maxMessageBodySize - TensorSizeGuard.EnvelopeBytes) };
        var devices = hosts.Where(h => h.Status == SiloStatus.Active).Select(h => h.SiloName)
            .Where(d => d != me && (only is null || only.Contains(d)))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var device in devices)
        {
            var probe = cluster.GetGrain<IProbeGrain>(device);
            LinkProbeRound up = async (sizes, _) => await TimeEachAsync(sizes, bytes => probe.RelayAsync(Payload(bytes), []));
            LinkProbeRound down = async (sizes, _) => await TimeEachAsync(sizes, bytes => probe.PayloadAsync(bytes));
            await ProbeLinkAsync(cluster.GetGrain<ILinkGrain>(GrainKeys.Link(me, device)), up, options, staleAfter, logger, cancellationToken);
            await ProbeLinkAsync(cluster.GetGrain<ILinkGrain>(GrainKeys.Link(device, me)), down, options, staleAfter, logger, cancellationToken);
        }
    }

    private static async Task ProbeLinkAsync(ILinkGrain link, LinkProbeRound round, LinkProbeOptions options, TimeSpan staleAfter, ILogger logger, CancellationToken cancellationToken)
    {
        var estimate = await link.GetAsync().WaitAsync(cancellationToken);
        if (estimate.Source == "declared" || (estimate.Samples > 0 && estimate.AgeSeconds <= staleAfter.TotalSeconds)) return;
        try
        {
            await round([options.SmallBytes / 32 + 1], cancellationToken); // unmeasured warm-up: activation, connection
            var samples = await LinkProber.RunAsync(round, [], options, TimeProvider.System, cancellationToken);
            foreach (var s in samples) await link.RecordTransferAsync(new TransferSample(s.Bytes, s.Milliseconds) { Probe = true });
            LogProbed(logger, estimate.From, estimate.To, samples.Count);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            LogProbeFailed(logger, e, estimate.From, estimate.To);
        }
    }

    private static async Task<IReadOnlyList<double>> TimeEachAsync<T>(IReadOnlyList<int> sizes, Func<int, Task<T>> send)
    {
        var times = new double[sizes.Count];
        for (var i = 0; i < sizes.Count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await send(sizes[i]);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        return times;
    }

    private static byte[] Payload(int bytes)
    {
        var payload = new byte[bytes];
        Random.Shared.NextBytes(payload);
        return payload;
    }

    [LoggerMessage(1712, LogLevel.Information, "Stopped probing this initiator's links after {Seconds} s; the rest are measured by real transfers")]
    private static partial void LogOutOfTime(ILogger logger, double seconds);

    [LoggerMessage(1713, LogLevel.Warning, "Could not probe this initiator's links; they are measured by real transfers")]
    private static partial void LogNotProbed(ILogger logger, Exception exception);

    [LoggerMessage(1710, LogLevel.Debug, "Probed link {From}->{To}: {Count} samples")]
    private static partial void LogProbed(ILogger logger, string from, string to, int count);

    [LoggerMessage(1711, LogLevel.Warning, "Could not probe link {From}->{To}; the planner plans on what it has")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception, string from, string to);
}
