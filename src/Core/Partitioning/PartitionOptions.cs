namespace AdaMec.Core.Partitioning;

/// <summary>
/// The reference contexts the pre-partitioner scores cut points in. Partitioning happens once, for
/// every context the deployment may meet, so a cut point is kept when it has a non-negative latency
/// benefit in at least one of them; a point that can never pay for its transfer is filtered out.
/// </summary>
public sealed record PartitionOptions
{
    /// <summary>Link bandwidths to consider (Mbps, > 0). Default spans Wi-Fi-poor to wired.</summary>
    public IReadOnlyList<double> BandwidthsMbps { get; init; } = [10, 40, 100, 1000];

    /// <summary>How many times faster than the mobile device an edge device runs (> 0).</summary>
    public IReadOnlyList<double> EdgeSpeedups { get; init; } = [2, 4, 8];

    /// <summary>Fixed cost of one transfer between devices (ms, >= 0).</summary>
    public double LinkLatencyMs { get; init; } = 1;

    /// <summary>T_user; null means "no slower than running locally" (T_dev).</summary>
    public double? LatencyRequirementMs { get; init; }

    public double Lambda1 { get; init; } = 1;

    public double Lambda2 { get; init; } = 1;

    public void Validate()
    {
        if (BandwidthsMbps.Count == 0 || BandwidthsMbps.Any(b => !double.IsFinite(b) || b <= 0))
            throw new ArgumentException("bandwidths must be finite numbers > 0 Mbps");
        if (EdgeSpeedups.Count == 0 || EdgeSpeedups.Any(s => !double.IsFinite(s) || s <= 0))
            throw new ArgumentException("edge speedups must be finite numbers > 0");
        if (!double.IsFinite(LinkLatencyMs) || LinkLatencyMs < 0) throw new ArgumentException("link latency must be a finite number >= 0 ms");
        if (LatencyRequirementMs is { } t && (!double.IsFinite(t) || t <= 0)) throw new ArgumentException("latency requirement must be a finite number > 0 ms");
        if (!double.IsFinite(Lambda1) || Lambda1 <= 0 || !double.IsFinite(Lambda2) || Lambda2 < 0)
            throw new ArgumentException("lambda1 must be > 0 and lambda2 >= 0");
    }
}
