using AdaMec.Core.Context;
using AdaMec.Interfaces;
using AdaMec.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace AdaMec.Grains;

/// <summary>
/// One per directed link: latency and bandwidth separated by a robust fit (<see cref="LinkEstimator"/>)
/// over real transfers and active probes, or declared values that override them. A link that was
/// never measured, whose recent samples all have one size, or whose estimate is stale probes itself:
/// the sending device's probe grain sends two payload sizes to the receiving device's over the real
/// transport. Tells subscribed planners when the estimate moves beyond
/// <see cref="PlannerOptions.ChangeThreshold"/> (hysteresis: jitter does not move atoms).
/// Declarations and subscription leases are durable (written when they change); samples are written
/// after a probe and when the activation is collected, not on every transfer (one storage write per
/// weight chunk would cost more than the sample is worth).
/// </summary>
[LinkPlacement]
internal sealed partial class LinkGrain(
    IOptions<PlannerOptions> options,
    IOptions<LinkOptions> linkOptions,
    IOptions<SiloMessagingOptions> messaging,
    IClusterMembershipService membership,
    TimeProvider time,
    [PersistentState("link", AdaMecStorage.Name)] IPersistentState<LinkState> state,
    AdaMecMetrics metrics,
    ILogger<LinkGrain> logger) : Grain, ILinkGrain
{
    private LinkEstimate? _lastTold;
    private bool _samplesUnsaved;
    private long _refusedSamples;
    private Task<string?>? _probe;
    private DateTimeOffset? _lastProbeAt;
    private IGrainTimer? _check;

    private string Key => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A re-activated link compares later changes with what its subscribers last planned on.
        if (state.State.Leases.Expiry.Count > 0) _lastTold = Estimate();
        // Checks whether subscribers' link needs a probe (one size only, stale); interleaved so that
        // status calls still answer while the probe runs.
        var every = linkOptions.Value.MinProbeInterval;
        _check = this.RegisterGrainTimer(CheckAsync, new GrainTimerCreationOptions(every, every) { Interleave = false });
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _check?.Dispose();
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
        // One-way: the sender hears no refusal, so an unusable sample is counted and logged, never fitted.
        if (ContextReportValidation.Transfer(sample) is { } problem)
        {
            _refusedSamples++;
            metrics.LinkSamplesRefused.Add(1, new KeyValuePair<string, object?>("adamec.link", Key));
            LogSampleRefused(logger, Key, problem, _refusedSamples);
            return Task.CompletedTask;
        }
        var recorded = new LinkSample(sample!.Bytes, sample.Milliseconds, time.GetUtcNow());
        Add(sample.Probe ? state.State.Probes : state.State.Passive, recorded, sample.Probe ? linkOptions.Value.ToProbeWindow() : linkOptions.Value.ToEstimator());
        DropBeforeChange();
        state.State.LastSampleAt = recorded.At;
        _samplesUnsaved = true;
        RecordGauges(Estimate());
        return TellIfChangedAsync();
    }

    public async Task DeclareAsync(double mbps, double latencyMs)
    {
        if (ContextReportValidation.Declaration(mbps, latencyMs) is { } problem)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"declaration of link {Key}: {problem}");
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

    public async Task<LinkEstimate> EnsureMeasuredAsync()
    {
        if (state.State.Declared is not null) return Estimate();
        var need = LinkEstimator.NeedsProbe(All(), time.GetUtcNow(), linkOptions.Value.ToEstimator());
        var due = need == LinkProbeNeed.New
            ? _lastProbeAt is null || time.GetUtcNow() - _lastProbeAt >= linkOptions.Value.MinProbeInterval // a failed first probe is not retried at once
            : need != LinkProbeNeed.None && ProbeAllowed();
        if (due)
        {
            // Bounded: a planner (and the deployment waiting on it) waits at most EnsureWait. A probe
            // still running then finishes on its own (it never throws) and signals the subscribers.
            var probe = RunProbeAsync(need);
            await Task.WhenAny(probe, Task.Delay(linkOptions.Value.EnsureWait, time));
        }
        var estimate = Estimate();
        if (estimate.Samples == 0) LogPlanningUnmeasured(logger, Key, estimate.Mbps, estimate.LatencyMs);
        return estimate;
    }

    public async Task<LinkEstimate> ProbeAsync()
    {
        // An operator's probe replaces the earlier probes: it asks what the link does now.
        if (_probe is not { IsCompleted: false }) state.State.Probes.Clear();
        if (await RunProbeAsync(LinkProbeNeed.None) is { } failure)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"link {Key} could not be probed: {failure}");
        return Estimate();
    }

    public async Task SubscribeAsync(ContextSubscription subscription)
    {
        if (state.State.Leases.Renew(subscription, time.GetUtcNow(), $"link {Key}")) await SaveAsync();
        _lastTold ??= Estimate();
    }

    private bool ProbeAllowed() => _lastProbeAt is not { } at || time.GetUtcNow() - at >= linkOptions.Value.MinProbeInterval;

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        if (state.State.Declared is not null || state.State.Leases.Live(time.GetUtcNow()).Count == 0 || !ProbeAllowed()) return;
        var need = LinkEstimator.NeedsProbe(All(), time.GetUtcNow(), linkOptions.Value.ToEstimator());
        if (need != LinkProbeNeed.None) await RunProbeAsync(need);
    }

    /// <summary>Probes (or joins the probe under way); null when it measured, else why not.</summary>
    private Task<string?> RunProbeAsync(LinkProbeNeed need)
    {
        if (_probe is { IsCompleted: false } running) return running;
        _probe = ProbeOnceAsync(need);
        return _probe;
    }

    private async Task<string?> ProbeOnceAsync(LinkProbeNeed need)
    {
        var (from, to) = GrainKeys.ParseLink(Key);
        _lastProbeAt = time.GetUtcNow();
        if (!HasSilo(from) || !HasSilo(to))
        {
            LogCannotProbe(logger, Key);
            return $"both devices need an active silo ({(HasSilo(from) ? to : from)} has none; a client probes its own links when it deploys)";
        }
        var sender = GrainFactory.GetGrain<IProbeGrain>(from);
        var maxBytes = messaging.Value.MaxMessageBodySize - TensorSizeGuard.EnvelopeBytes;
        LinkProbeRound round = async (sizes, _) => await sender.MeasureAsync(to, sizes.ToArray());
        try
        {
            var started = time.GetTimestamp();
            var samples = await LinkProber.RunAsync(round, All(), linkOptions.Value.ToProbe(maxBytes), time);
            foreach (var sample in samples) Add(state.State.Probes, sample, linkOptions.Value.ToProbeWindow());
            DropBeforeChange();
            if (samples.Count > 0) state.State.LastSampleAt = samples[^1].At;
            var estimate = Estimate();
            LogProbed(logger, Key, need, samples.Count, time.GetElapsedTime(started).TotalMilliseconds, estimate.Mbps, estimate.LatencyMs,
                string.Join(" ", samples.Select(x => FormattableString.Invariant($"{x.Bytes}B:{x.Milliseconds:0.0}ms"))));
            await SaveAsync();
            await TellIfChangedAsync();
            return samples.Count > 0 ? null : "no usable sample";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogProbeFailed(logger, e, Key);
            return e.Message;
        }
    }

    private bool HasSilo(string device) =>
        membership.CurrentSnapshot.Members.Values.Any(m => m.Status == SiloStatus.Active && m.Name == device);

    private List<LinkSample> All() => [.. state.State.Probes.Select(s => s.ToSample()), .. state.State.Passive.Select(s => s.ToSample())];

    /// <summary>The newest samples say the link stepped (<see cref="LinkEstimator.ChangedSince"/>): the samples, probes and passive, from before the step go.</summary>
    private void DropBeforeChange()
    {
        if (LinkEstimator.ChangedSince(All(), linkOptions.Value.ToEstimator()) is not { } since) return;
        var before = Estimate();
        var dropped = state.State.Probes.RemoveAll(s => s.At < since) + state.State.Passive.RemoveAll(s => s.At < since);
        var after = Estimate();
        LogStepped(logger, Key, before.Mbps, before.LatencyMs, after.Mbps, after.LatencyMs, dropped);
    }

    private static void Add(List<StoredSample> stored, LinkSample sample, LinkEstimatorOptions window)
    {
        var samples = stored.Select(s => s.ToSample()).ToList();
        LinkEstimator.Add(samples, sample, window);
        stored.Clear();
        stored.AddRange(samples.Select(StoredSample.Of));
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
        if (state.State.Declared is { } d)
            return new LinkEstimate(from, to, d.Mbps, d.LatencyMs, "declared", 0) { AgeSeconds = AgeOf(d.At, now) };
        if (LinkEstimator.Fit(All(), linkOptions.Value.ToEstimator()) is not { } fit)
        {
            // Never measured: a probe is due (or under way). The planner asks through EnsureMeasuredAsync,
            // which probes first; these values only stand where no silo can probe (logged there).
            return new LinkEstimate(from, to, options.Value.DefaultLinkMbps, options.Value.DefaultLinkLatencyMs, "probing", 0);
        }
        return new LinkEstimate(from, to, fit.Mbps, fit.LatencyMs, "measured", fit.Samples) { AgeSeconds = AgeOf(fit.NewestAt, now) };
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
        var changed = before is null
            || estimate.Source != before.Source
            || LinkProbing.Significant(before.Mbps, before.LatencyMs, estimate.Mbps, estimate.LatencyMs, options.Value.ChangeThreshold);
        if (!changed) return;
        _lastTold = estimate;
        LogLinkChanged(logger, Key, estimate.Mbps, estimate.LatencyMs, estimate.Source, subscribers.Count);
        var signal = new ContextSignal(ContextSignalKind.Link, Key, $"link {estimate.From}->{estimate.To} {estimate.Mbps:0.#} Mbps ({estimate.Source})");
        if (estimate.Source == "measured")
        {
            // Typed for the plan history: whichever of bandwidth and latency moved more, relatively.
            var bandwidthMoved = before is null || !(before.Mbps > 0) || !(before.LatencyMs > 0)
                || Math.Abs(estimate.Mbps / before.Mbps - 1) >= Math.Abs(estimate.LatencyMs / before.LatencyMs - 1);
            signal = bandwidthMoved
                ? signal with { Measurement = "mbps", Before = before?.Mbps ?? double.NaN, After = estimate.Mbps }
                : signal with { Measurement = "latencyMs", Before = before!.LatencyMs, After = estimate.LatencyMs };
        }
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

    [LoggerMessage(1700, LogLevel.Information, "Link {Link} probed ({Need}): {Count} samples in {Ms:0} ms; now {Mbps:0.0} Mbps / {LatencyMs:0.00} ms ({Samples})")]
    private static partial void LogProbed(ILogger logger, string link, LinkProbeNeed need, int count, double ms, double mbps, double latencyMs, string samples);

    [LoggerMessage(1705, LogLevel.Information, "Link {Link} stepped: its newest transfers all disagree with the estimate, so the {Dropped} samples before them are dropped; {MbpsBefore:0.0} Mbps / {LatencyBefore:0.00} ms -> {MbpsAfter:0.0} Mbps / {LatencyAfter:0.00} ms")]
    private static partial void LogStepped(ILogger logger, string link, double mbpsBefore, double latencyBefore, double mbpsAfter, double latencyAfter, int dropped);

    [LoggerMessage(1701, LogLevel.Warning, "Link {Link} probe failed; the estimate stands and the next probe comes after the probe interval")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception, string link);

    [LoggerMessage(1702, LogLevel.Debug, "Link {Link} cannot be probed from the cluster: one of its devices has no active silo (a client probes its own links when it deploys)")]
    private static partial void LogCannotProbe(ILogger logger, string link);

    [LoggerMessage(1704, LogLevel.Warning, "Link {Link} refused a transfer sample ({Problem}); {Count} refused by this activation")]
    private static partial void LogSampleRefused(ILogger logger, string link, string problem, long count);

    [LoggerMessage(1703, LogLevel.Warning, "Link {Link} has never been measured; a planner plans on the configured {Mbps} Mbps / {LatencyMs} ms until a transfer or probe measures it")]
    private static partial void LogPlanningUnmeasured(ILogger logger, string link, double mbps, double latencyMs);
}

/// <summary>What a link grain stores.</summary>
[GenerateSerializer, Alias("AdaMec.LinkState")]
internal sealed class LinkState
{
    /// <summary>Declared values, overriding measurements until cleared.</summary>
    [Id(0)]
    public LinkDeclaration? Declared { get; set; }

    /// <summary>Superseded by <see cref="Passive"/> and <see cref="Probes"/> (untimed samples); kept so stored state still reads.</summary>
    [Id(1)]
    public List<TransferSample> Samples { get; set; } = [];

    /// <summary>When the newest sample arrived.</summary>
    [Id(2)]
    public DateTimeOffset? LastSampleAt { get; set; }

    /// <summary>Planners subscribed to this link's signals.</summary>
    [Id(3)]
    public ContextLeases Leases { get; set; } = new();

    /// <summary>Recent real transfers (tensors, weight chunks), oldest first (a bounded window).</summary>
    [Id(4)]
    public List<StoredSample> Passive { get; set; } = [];

    /// <summary>Recent active-probe payloads, oldest first (a bounded window of their own).</summary>
    [Id(5)]
    public List<StoredSample> Probes { get; set; } = [];
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

/// <summary>A <see cref="LinkSample"/> as stored (Core types carry no serializer).</summary>
[GenerateSerializer, Immutable, Alias("AdaMec.StoredLinkSample")]
internal readonly record struct StoredSample(
    [property: Id(0)] long Bytes,
    [property: Id(1)] double Milliseconds,
    [property: Id(2)] DateTimeOffset At)
{
    public LinkSample ToSample() => new(Bytes, Milliseconds, At);

    public static StoredSample Of(LinkSample s) => new(s.Bytes, s.Milliseconds, s.At);
}
