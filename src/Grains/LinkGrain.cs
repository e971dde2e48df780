using AdaMec.Interfaces;
using AdaMec.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdaMec.Grains;

/// <summary>
/// One per directed link: bandwidth and latency from real transfers (median of recent samples), or
/// declared values that override them. Tells subscribed planners when the estimate moves beyond
/// <see cref="PlannerOptions.ChangeThreshold"/>. Declarations and subscription leases are durable
/// (written when they change); recent samples are written when the activation is collected, not on
/// every transfer (one storage write per weight chunk would cost more than the sample is worth).
/// </summary>
[LinkPlacement]
internal sealed partial class LinkGrain(
    IOptions<PlannerOptions> options,
    TimeProvider time,
    [PersistentState("link", AdaMecStorage.Name)] IPersistentState<LinkState> state,
    AdaMecMetrics metrics,
    ILogger<LinkGrain> logger) : Grain, ILinkGrain
{
    private const int Window = 16;
    private LinkEstimate? _lastTold;
    private bool _samplesUnsaved;

    private string Key => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A re-activated link compares later changes with what its subscribers last planned on.
        if (state.State.Leases.Expiry.Count > 0) _lastTold = Estimate();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Idle collection (or memory pressure) is when samples would be lost while the cluster lives
        // on; a silo shutting down does not wait on storage for them.
        if (!_samplesUnsaved || reason.ReasonCode is not (DeactivationReasonCode.ActivationIdle or DeactivationReasonCode.HighMemoryPressure)) return;
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogSamplesNotSaved(logger, e, Key); // measurements only: the next transfers measure again
        }
    }

    public Task RecordTransferAsync(TransferSample sample)
    {
        if (sample is null || sample.Bytes <= 0 || !double.IsFinite(sample.Milliseconds) || sample.Milliseconds < 0) return Task.CompletedTask;
        var samples = state.State.Samples;
        samples.Add(sample);
        if (samples.Count > Window) samples.RemoveRange(0, samples.Count - Window);
        state.State.LastSampleAt = time.GetUtcNow();
        _samplesUnsaved = true;
        RecordGauges(Estimate());
        return TellIfChangedAsync();
    }

    public async Task DeclareAsync(double mbps, double latencyMs)
    {
        if (!double.IsFinite(mbps) || mbps <= 0)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"bandwidth of {Key} must be a finite number > 0 Mbps, got {mbps}");
        if (!double.IsFinite(latencyMs) || latencyMs < 0)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"latency of {Key} must be a finite number >= 0 ms, got {latencyMs}");
        state.State.Declared = new LinkDeclaration { Mbps = mbps, LatencyMs = latencyMs, At = time.GetUtcNow() };
        await SaveAsync();
        await TellIfChangedAsync();
    }

    public async Task ClearDeclarationAsync()
    {
        if (state.State.Declared is null) return;
        state.State.Declared = null;
        await SaveAsync();
        await TellIfChangedAsync();
    }

    public Task<LinkEstimate> GetAsync() => Task.FromResult(Estimate());

    public async Task SubscribeAsync(ContextSubscription subscription)
    {
        if (state.State.Leases.Renew(subscription, time.GetUtcNow(), $"link {Key}")) await SaveAsync();
        _lastTold ??= Estimate();
    }

    private async Task SaveAsync()
    {
        await state.WriteStateAsync();
        _samplesUnsaved = false;
    }

    private LinkEstimate Estimate()
    {
        var (from, to) = GrainKeys.ParseLink(Key);
        var now = time.GetUtcNow();
        var samples = state.State.Samples;
        if (state.State.Declared is { } d)
            return new LinkEstimate(from, to, d.Mbps, d.LatencyMs, "declared", samples.Count) { AgeSeconds = AgeOf(d.At, now) };
        if (samples.Count == 0) return new LinkEstimate(from, to, options.Value.DefaultLinkMbps, options.Value.DefaultLinkLatencyMs, "default", 0);
        // Latency: the fastest small transfer; bandwidth: median rate of the rest once latency is taken out.
        var latency = samples.Min(s => s.Milliseconds);
        var rates = samples
            .Select(s => s.Bytes * 8 / (Math.Max(s.Milliseconds - latency, 0.01) * 1000))
            .Order()
            .ToArray();
        return new LinkEstimate(from, to, rates[rates.Length / 2], latency, "measured", samples.Count)
        {
            AgeSeconds = state.State.LastSampleAt is { } at ? AgeOf(at, now) : 0,
        };
    }

    private void RecordGauges(LinkEstimate estimate)
    {
        KeyValuePair<string, object?>[] tags = [new(AdaMecTelemetry.Tags.From, estimate.From), new(AdaMecTelemetry.Tags.To, estimate.To), new("adamec.source", estimate.Source)];
        metrics.LinkBandwidth.Record(estimate.Mbps, tags);
        metrics.LinkLatency.Record(estimate.LatencyMs, tags);
    }

    private static double AgeOf(DateTimeOffset at, DateTimeOffset now) => Math.Max(0, (now - at).TotalSeconds);

    private async Task TellIfChangedAsync()
    {
        var now = time.GetUtcNow();
        if (state.State.Leases.Prune(now)) await SaveAsync();
        var subscribers = state.State.Leases.Live(now);
        if (subscribers.Count == 0) return;
        var estimate = Estimate();
        var before = _lastTold;
        var threshold = options.Value.ChangeThreshold;
        var changed = before is null
            || estimate.Source != before.Source
            || Math.Abs(estimate.Mbps - before.Mbps) > threshold * before.Mbps
            || Math.Abs(estimate.LatencyMs - before.LatencyMs) > Math.Max(1, threshold * before.LatencyMs);
        if (!changed) return;
        _lastTold = estimate;
        LogLinkChanged(logger, Key, estimate.Mbps, estimate.LatencyMs, estimate.Source, subscribers.Count);
        var signal = new ContextSignal(ContextSignalKind.Link, Key, $"link {estimate.From}->{estimate.To} {estimate.Mbps:0.#} Mbps ({estimate.Source})");
        foreach (var deployment in subscribers)
        {
            try
            {
                // One-way: the planner may be calling this grain right now.
                await GrainFactory.GetGrain<IPlannerGrain>(deployment).ContextChangedAsync(signal);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogSignalFailed(logger, e, Key, deployment);
            }
        }
    }

    [LoggerMessage(9, LogLevel.Debug, "Link {Link} changed to {Mbps:0.0} Mbps / {LatencyMs:0.00} ms ({Source}); telling {Count} planners")]
    private static partial void LogLinkChanged(ILogger logger, string link, double mbps, double latencyMs, string source, int count);

    [LoggerMessage(44, LogLevel.Warning, "Link {Link} could not signal deployment {Deployment} about a change")]
    private static partial void LogSignalFailed(ILogger logger, Exception exception, string link, string deployment);

    [LoggerMessage(45, LogLevel.Warning, "Link {Link} could not save its recent samples while deactivating")]
    private static partial void LogSamplesNotSaved(ILogger logger, Exception exception, string link);
}

/// <summary>What a link grain stores.</summary>
[GenerateSerializer, Alias("AdaMec.LinkState")]
internal sealed class LinkState
{
    /// <summary>Declared values, overriding measurements until cleared.</summary>
    [Id(0)]
    public LinkDeclaration? Declared { get; set; }

    /// <summary>Recent transfers, oldest first (a bounded window).</summary>
    [Id(1)]
    public List<TransferSample> Samples { get; set; } = [];

    /// <summary>When the newest sample arrived.</summary>
    [Id(2)]
    public DateTimeOffset? LastSampleAt { get; set; }

    /// <summary>Planners subscribed to this link's signals.</summary>
    [Id(3)]
    public ContextLeases Leases { get; set; } = new();
}

/// <summary>A declared bandwidth and latency, and when they were declared.</summary>
[GenerateSerializer, Alias("AdaMec.LinkDeclaration")]
internal sealed class LinkDeclaration
{
    [Id(0)]
    public double Mbps { get; set; }

    [Id(1)]
    public double LatencyMs { get; set; }

    [Id(2)]
    public DateTimeOffset At { get; set; }
}
