namespace AdaMec.Core.Context;

/// <summary>One measured transfer over a link: bytes moved, the time it took, when it was recorded.</summary>
/// <param name="Bytes">Payload bytes (&gt; 0).</param>
/// <param name="Milliseconds">Wall time of the transfer (finite, &gt;= 0).</param>
/// <param name="At">When the link heard of it.</param>
public readonly record struct LinkSample(long Bytes, double Milliseconds, DateTimeOffset At);

/// <summary>Why a link should be probed now.</summary>
public enum LinkProbeNeed
{
    /// <summary>The samples already separate latency from bandwidth and are fresh.</summary>
    None = 0,
    /// <summary>No sample at all.</summary>
    New = 1,
    /// <summary>Recent samples have (nearly) one size: latency and bandwidth cannot be told apart.</summary>
    OneSize = 2,
    /// <summary>The newest sample is older than <see cref="LinkEstimatorOptions.StaleAfter"/>.</summary>
    Stale = 3,
}

/// <summary>A fit of <c>ms = latencyMs + bytes·8 / (mbps·1000)</c> to a link's samples.</summary>
/// <param name="Mbps">Bandwidth, megabits per second.</param>
/// <param name="LatencyMs">Fixed cost per transfer, ms (the intercept).</param>
/// <param name="Samples">Samples the fit rests on.</param>
/// <param name="Separated">
/// True when samples of different sizes separated latency from bandwidth. False: all samples have
/// about one size, so the fit charges the whole time to bandwidth (latency 0) — a lower bound on
/// bandwidth, never a division by jitter — and the link should be probed.
/// </param>
/// <param name="NewestAt">When the newest sample was recorded.</param>
public sealed record LinkFit(double Mbps, double LatencyMs, int Samples, bool Separated, DateTimeOffset NewestAt);

/// <summary>How the estimator weighs and ages samples.</summary>
public sealed record LinkEstimatorOptions
{
    /// <summary>Samples kept per link, newest last. Default 48.</summary>
    public int Window { get; init; } = 48;

    /// <summary>Two samples form a slope only when the larger is at least this many times the smaller. Default 1.5.</summary>
    public double MinSizeRatio { get; init; } = 1.5;

    /// <summary>Samples older than this, measured back from the newest one, are dropped. Default 10 minutes.</summary>
    public TimeSpan MaxSampleSpread { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A link whose newest sample is older than this is re-probed. Default 5 minutes.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Newest samples in a row that must all disagree, the same way, with the fit of the samples before them
    /// for the link to count as changed (see <see cref="LinkEstimator.ChangedSince"/>). Default 5.
    /// </summary>
    public int ChangeRun { get; init; } = 5;

    /// <summary>How many times slower (or faster) than that fit predicts each of them must have taken. Default 2.</summary>
    public double ChangeFactor { get; init; } = 2;

    /// <summary>How many milliseconds each of them must be off that prediction at least, so a latency-sized hiccup is not a change. Default 10.</summary>
    public double ChangeMinMs { get; init; } = 10;
}

/// <summary>
/// Separates a link's latency from its bandwidth with a Theil–Sen fit: the slope (ms per byte) is the
/// median of the slopes between every pair of samples whose sizes differ by at least
/// <see cref="LinkEstimatorOptions.MinSizeRatio"/>, the intercept the median of what each sample
/// leaves once the slope is taken out. Medians make it robust to the outliers a shared machine
/// produces (a transfer that waited for a grain turn or a GC pause) without tuning a loss scale as
/// Huber/IRLS would need, and it has no iterations that could fail to converge. Pure; no clock.
/// </summary>
public static class LinkEstimator
{
    /// <summary>Bits per byte over (bits per ms in one Mbps): <c>ms = bytes · MsPerBytePerMbps / mbps</c>.</summary>
    private const double MsPerBytePerMbps = 8.0 / 1000.0;

    /// <summary>The fit, or null with no usable sample.</summary>
    public static LinkFit? Fit(IReadOnlyList<LinkSample> samples, LinkEstimatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        options ??= new LinkEstimatorOptions();
        var usable = samples.Where(Usable).ToArray();
        if (usable.Length == 0) return null;
        var newest = usable.Max(s => s.At);
        var slope = MedianSlope(usable, options.MinSizeRatio);
        if (slope is { } s && s > 0)
        {
            var intercept = Median(usable.Select(x => x.Milliseconds - s * x.Bytes).ToArray());
            return new LinkFit(MsPerBytePerMbps / s, Math.Max(0, intercept), usable.Length, true, newest);
        }
        // One size (or a slope lost in noise): charge the whole time to bandwidth. This under-states
        // bandwidth by the latency share, which the next probe corrects; it never divides by jitter.
        var rate = Median(usable.Select(x => x.Bytes * MsPerBytePerMbps / Math.Max(x.Milliseconds, 0.001)).ToArray());
        return new LinkFit(rate, 0, usable.Length, false, newest);
    }

    /// <summary>Whether (and why) the link should be probed now; rate limiting is the caller's.</summary>
    public static LinkProbeNeed NeedsProbe(IReadOnlyList<LinkSample> samples, DateTimeOffset now, LinkEstimatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        options ??= new LinkEstimatorOptions();
        var usable = samples.Where(Usable).ToArray();
        if (usable.Length == 0) return LinkProbeNeed.New;
        if (now - usable.Max(s => s.At) > options.StaleAfter) return LinkProbeNeed.Stale;
        return HasSizePair(usable, options.MinSizeRatio) ? LinkProbeNeed.None : LinkProbeNeed.OneSize;
    }

    /// <summary>Appends a sample and drops what falls out of the window (by count, and by age measured from the newest sample).</summary>
    public static void Add(List<LinkSample> samples, LinkSample sample, LinkEstimatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        options ??= new LinkEstimatorOptions();
        if (!Usable(sample)) return;
        samples.Add(sample);
        var newest = samples.Max(s => s.At);
        samples.RemoveAll(s => newest - s.At > options.MaxSampleSpread);
        if (samples.Count > options.Window) samples.RemoveRange(0, samples.Count - options.Window);
    }

    /// <summary>
    /// When the link changed, if it did: the newest <see cref="LinkEstimatorOptions.ChangeRun"/> samples all took
    /// over <see cref="LinkEstimatorOptions.ChangeFactor"/> times what the fit of the older samples predicts (or
    /// under its inverse), each by at least <see cref="LinkEstimatorOptions.ChangeMinMs"/>, and there are at
    /// least as many older ones. Returns when the first of that run was recorded: samples before it describe a
    /// link that is gone and should be dropped. Null when no such run. The medians of <see cref="Fit"/> ignore an
    /// outlier, but for the same reason they follow a real step only once the new samples are the majority of the
    /// window (48 passive and 12 probe samples: a minute of requests on a link that dropped to 2 Mbps); a run
    /// that all points one way is a step, not jitter.
    /// </summary>
    public static DateTimeOffset? ChangedSince(IReadOnlyList<LinkSample> samples, LinkEstimatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        options ??= new LinkEstimatorOptions();
        var run = Math.Max(1, options.ChangeRun);
        var ordered = samples.Where(Usable).OrderBy(s => s.At).ToArray();
        if (ordered.Length < 2 * run) return null;
        var newest = ordered[^run..];
        if (Fit(ordered[..^run], options) is not { } before) return null;
        var slower = newest.All(s => Off(s, before, options) > 0 && s.Milliseconds > options.ChangeFactor * before.PredictMs(s.Bytes));
        var faster = newest.All(s => Off(s, before, options) < 0 && s.Milliseconds * options.ChangeFactor < before.PredictMs(s.Bytes));
        return slower || faster ? newest[0].At : null;
    }

    /// <summary>How far <paramref name="sample"/> is off the fit's prediction, ms (signed); 0 when within <see cref="LinkEstimatorOptions.ChangeMinMs"/>.</summary>
    private static double Off(LinkSample sample, LinkFit fit, LinkEstimatorOptions options)
    {
        var off = sample.Milliseconds - fit.PredictMs(sample.Bytes);
        return Math.Abs(off) >= options.ChangeMinMs ? off : 0;
    }

    /// <summary>A sample the fit can use: bytes &gt; 0, milliseconds finite and &gt;= 0.</summary>
    public static bool Usable(LinkSample sample) => sample.Bytes > 0 && double.IsFinite(sample.Milliseconds) && sample.Milliseconds >= 0;

    /// <summary>Transfer time the fit predicts for <paramref name="bytes"/>, ms.</summary>
    public static double PredictMs(this LinkFit fit, long bytes)
    {
        ArgumentNullException.ThrowIfNull(fit);
        return fit.LatencyMs + bytes * MsPerBytePerMbps / fit.Mbps;
    }

    private static bool HasSizePair(LinkSample[] samples, double ratio)
    {
        var min = samples.Min(s => s.Bytes);
        var max = samples.Max(s => s.Bytes);
        return max >= ratio * min;
    }

    private static double? MedianSlope(LinkSample[] samples, double ratio)
    {
        var slopes = new List<double>();
        for (var i = 0; i < samples.Length; i++)
        {
            for (var j = 0; j < samples.Length; j++)
            {
                var (small, large) = (samples[i], samples[j]);
                if (large.Bytes < ratio * small.Bytes) continue;
                slopes.Add((large.Milliseconds - small.Milliseconds) / (large.Bytes - small.Bytes));
            }
        }
        return slopes.Count == 0 ? null : Median(slopes.ToArray());
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        var mid = values.Length / 2;
        return values.Length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }
}
