using AdaMec.Interfaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdaMec.Grains;

/// <summary>
/// One per directed link: bandwidth and latency from real transfers (median of recent samples), or
/// declared values that override them. Tells subscribed planners when the estimate moves beyond
/// <see cref="PlannerOptions.ChangeThreshold"/>.
/// </summary>
[LinkPlacement]
internal sealed class LinkGrain(IOptions<PlannerOptions> options, ILogger<LinkGrain> logger) : Grain, ILinkGrain
{
    private const int Window = 16;
    private readonly Queue<TransferSample> _samples = new();
    private readonly HashSet<string> _subscribers = new(StringComparer.Ordinal);
    private (double Mbps, double LatencyMs)? _declared;
    private LinkEstimate? _lastTold;

    public Task RecordTransferAsync(TransferSample sample)
    {
        if (sample is null || sample.Bytes <= 0 || !double.IsFinite(sample.Milliseconds) || sample.Milliseconds < 0) return Task.CompletedTask;
        _samples.Enqueue(sample);
        while (_samples.Count > Window) _samples.Dequeue();
        TellIfChanged();
        return Task.CompletedTask;
    }

    public Task DeclareAsync(double mbps, double latencyMs)
    {
        var key = this.GetPrimaryKeyString();
        if (!double.IsFinite(mbps) || mbps <= 0)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"bandwidth of {key} must be a finite number > 0 Mbps, got {mbps}");
        if (!double.IsFinite(latencyMs) || latencyMs < 0)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"latency of {key} must be a finite number >= 0 ms, got {latencyMs}");
        _declared = (mbps, latencyMs);
        TellIfChanged();
        return Task.CompletedTask;
    }

    public Task ClearDeclarationAsync()
    {
        _declared = null;
        TellIfChanged();
        return Task.CompletedTask;
    }

    public Task<LinkEstimate> GetAsync() => Task.FromResult(Estimate());

    public Task SubscribeAsync(ContextSubscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        _subscribers.Add(subscription.Deployment);
        _lastTold ??= Estimate();
        return Task.CompletedTask;
    }

    private LinkEstimate Estimate()
    {
        var (from, to) = GrainKeys.ParseLink(this.GetPrimaryKeyString());
        if (_declared is { } d) return new LinkEstimate(from, to, d.Mbps, d.LatencyMs, "declared", _samples.Count);
        if (_samples.Count == 0) return new LinkEstimate(from, to, options.Value.DefaultLinkMbps, options.Value.DefaultLinkLatencyMs, "default", 0);
        // Latency: the fastest small transfer; bandwidth: median rate of the rest once latency is taken out.
        var latency = _samples.Min(s => s.Milliseconds);
        var rates = _samples
            .Select(s => s.Bytes * 8 / (Math.Max(s.Milliseconds - latency, 0.01) * 1000))
            .Order()
            .ToArray();
        return new LinkEstimate(from, to, rates[rates.Length / 2], latency, "measured", _samples.Count);
    }

    private void TellIfChanged()
    {
        if (_subscribers.Count == 0) return;
        var now = Estimate();
        var before = _lastTold;
        var threshold = options.Value.ChangeThreshold;
        var changed = before is null
            || now.Source != before.Source
            || Math.Abs(now.Mbps - before.Mbps) > threshold * before.Mbps
            || Math.Abs(now.LatencyMs - before.LatencyMs) > Math.Max(1, threshold * before.LatencyMs);
        if (!changed) return;
        _lastTold = now;
        Log.LinkChanged(logger, this.GetPrimaryKeyString(), now.Mbps, now.LatencyMs, now.Source, _subscribers.Count);
        foreach (var deployment in _subscribers) _ = GrainFactory.GetGrain<IPlannerGrain>(deployment).ContextChangedAsync(new ContextSignal(ContextSignalKind.Link, this.GetPrimaryKeyString(), $"link {now.From}->{now.To} {now.Mbps:0.#} Mbps ({now.Source})"));
    }
}
