namespace AdaMec.Core.Context;

/// <summary>How large and how many active probes of a link are.</summary>
public sealed record LinkProbeOptions
{
    /// <summary>The small payload of each round, bytes. Default 32 KiB.</summary>
    public int SmallBytes { get; init; } = 32 * 1024;

    /// <summary>The large payload is never smaller than this, bytes. Default 256 KiB.</summary>
    public int MinLargeBytes { get; init; } = 256 * 1024;

    /// <summary>No payload is larger than this, bytes (it wins over the other sizes). Default 2 MiB.</summary>
    public int MaxLargeBytes { get; init; } = 2 * 1024 * 1024;

    /// <summary>The large payload aims to take about this long on the link as last estimated. Default 150 ms.</summary>
    public TimeSpan TargetTransfer { get; init; } = TimeSpan.FromMilliseconds(150);

    /// <summary>Rounds (one small and one large transfer each) per probe. Default 3.</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>After this much time no further round starts. Default 5 seconds.</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>Pure decisions of active probing: payload sizes and when a reading is worth a signal.</summary>
public static class LinkProbing
{
    /// <summary>
    /// The two payload sizes of the next probe round. The large one is sized so that, at the bandwidth
    /// estimated so far, it takes about <see cref="LinkProbeOptions.TargetTransfer"/>: long enough that
    /// the bandwidth term dominates the fixed cost, short enough that a probe stays cheap on a slow link.
    /// </summary>
    public static (int Small, int Large) Sizes(double? mbpsSoFar, LinkProbeOptions? options = null)
    {
        options ??= new LinkProbeOptions();
        // The cap wins over every floor: a payload over the message limit would not arrive at all.
        var cap = Math.Max(2, options.MaxLargeBytes);
        var small = Math.Clamp(options.SmallBytes, 1, cap / 2);
        var floor = Math.Min(cap, Math.Max(options.MinLargeBytes, small * 2));
        if (mbpsSoFar is not { } mbps || !double.IsFinite(mbps) || mbps <= 0) return (small, floor);
        var bytes = mbps * 1000 / 8 * options.TargetTransfer.TotalMilliseconds;
        return (small, (int)Math.Clamp(bytes, floor, cap));
    }

    /// <summary>
    /// Whether a new reading differs from the one subscribers last planned on by more than
    /// <paramref name="threshold"/> (relative) in bandwidth, or in latency by more than the threshold
    /// and at least <paramref name="latencyFloorMs"/>: jitter below that does not move atoms.
    /// </summary>
    public static bool Significant(double mbpsBefore, double latencyBefore, double mbpsAfter, double latencyAfter, double threshold, double latencyFloorMs = 1)
    {
        if (!double.IsFinite(mbpsBefore) || mbpsBefore <= 0) return double.IsFinite(mbpsAfter) && mbpsAfter > 0;
        return Math.Abs(mbpsAfter - mbpsBefore) > threshold * mbpsBefore
            || Math.Abs(latencyAfter - latencyBefore) > Math.Max(latencyFloorMs, threshold * latencyBefore);
    }
}
