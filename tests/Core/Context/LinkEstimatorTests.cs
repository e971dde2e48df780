using AdaMec.Core.Context;
using FsCheck.Xunit;

namespace AdaMec.Core.Tests.Context;

public sealed class LinkEstimatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static double Ms(long bytes, double mbps, double latencyMs) => latencyMs + bytes * 8.0 / (mbps * 1000);

    private static LinkSample Sample(long bytes, double ms, double secondsAfter = 0) => new(bytes, ms, T0.AddSeconds(secondsAfter));

    [Fact]
    public void Fit_NoSamples_IsNull()
    {
        Assert.Null(LinkEstimator.Fit([]));
        Assert.Null(LinkEstimator.Fit([Sample(0, 1), Sample(10, double.NaN), Sample(10, -1)]));
    }

    [Fact]
    public void Fit_TwoSizesOnALine_RecoversLatencyAndBandwidth()
    {
        long[] sizes = [32_768, 262_144, 32_768, 262_144];
        var samples = sizes.Select((b, i) => Sample(b, Ms(b, 20, 3), i)).ToArray();
        var fit = LinkEstimator.Fit(samples)!;
        Assert.True(fit.Separated);
        Assert.Equal(20, fit.Mbps, 6);
        Assert.Equal(3, fit.LatencyMs, 6);
        Assert.Equal(4, fit.Samples);
        Assert.Equal(T0.AddSeconds(3), fit.NewestAt);
    }

    [Fact]
    public void Fit_OneTensorSizeWithJitter_NeverReadsJitterAsBandwidth()
    {
        // The old estimator took the fastest sample as latency and divided bytes by what was left:
        // 602,112 bytes over 0.01 ms of jitter read as ~480,000 Mbps.
        double[] times = [10.00, 10.01, 10.02, 10.00, 10.03];
        var samples = times.Select((ms, i) => Sample(602_112, ms, i)).ToArray();
        var fit = LinkEstimator.Fit(samples)!;
        Assert.False(fit.Separated);
        Assert.Equal(0, fit.LatencyMs);
        Assert.InRange(fit.Mbps, 470, 490); // the whole time charged to bandwidth: a lower bound
        Assert.Equal(LinkProbeNeed.OneSize, LinkEstimator.NeedsProbe(samples, T0.AddSeconds(5)));
    }

    [Fact]
    public void Fit_ShorterLargeTransfer_IsNotSeparated()
    {
        // Noise made the large payload arrive first: a negative slope says nothing about bandwidth.
        var fit = LinkEstimator.Fit([Sample(1000, 5), Sample(100_000, 4)])!;
        Assert.False(fit.Separated);
        Assert.True(double.IsFinite(fit.Mbps) && fit.Mbps > 0);
    }

    [Property(MaxTest = 200)]
    public bool Fit_NoisySamplesWithAQuarterOutliers_StaysWithinFivePercent(int seed)
    {
        var random = new Random(seed);
        var mbps = Math.Exp(random.NextDouble() * Math.Log(10_000)); // 1 to 10,000 Mbps
        var latency = random.NextDouble() * 20;
        var small = 32_768L;
        var large = (long)Math.Max(small * 4, mbps * 1000 / 8 * 150); // as the prober sizes it
        var samples = new List<LinkSample>();
        for (var i = 0; i < 24; i++)
        {
            var bytes = i % 2 == 0 ? small : large;
            var ms = Ms(bytes, mbps, latency) * (1 + (random.NextDouble() - 0.5) * 0.02); // ±1% noise
            if (i % 8 is 3 or 6) ms += random.NextDouble() * 200; // a grain turn, a GC pause: only ever slower
            samples.Add(Sample(bytes, ms, i));
        }
        var fit = LinkEstimator.Fit(samples)!;
        return fit.Separated && Math.Abs(fit.Mbps / mbps - 1) <= 0.05;
    }

    [Property(MaxTest = 200)]
    public bool Fit_ExactSamples_PredictsEveryTransfer(int seed)
    {
        var random = new Random(seed);
        var mbps = 0.5 + random.NextDouble() * 5000;
        var latency = random.NextDouble() * 50;
        var samples = Enumerable.Range(0, 2 + random.Next(10))
            .Select(i => (long)(1 + random.Next(10_000_000)))
            .Append(1).Append(20_000_000)
            .Select((b, i) => Sample(b, Ms(b, mbps, latency), i)).ToArray();
        var fit = LinkEstimator.Fit(samples)!;
        return fit.Separated && samples.All(s => Math.Abs(fit.PredictMs(s.Bytes) - s.Milliseconds) <= 1e-6 * Math.Max(1, s.Milliseconds));
    }

    /// <summary>A probed link at <paramref name="mbps"/> (two sizes), then the request tensors that crossed it at <paramref name="after"/> Mbps.</summary>
    private static List<LinkSample> Stepped(double mbps, int before, double after, int crossed)
    {
        var samples = Enumerable.Range(0, before).Select(i => i % 2 == 0 ? 32_768L : 602_112L).Select((b, i) => Sample(b, Ms(b, mbps, 0.5), i)).ToList();
        samples.AddRange(Enumerable.Range(0, crossed).Select(i => Sample(602_112, Ms(602_112, after, 0.5), before + i)));
        return samples;
    }

    [Theory]
    [InlineData(400, 2)]   // the testbed's drop: the medians followed it only a minute of requests later
    [InlineData(33.8, 11.2)] // the Table 4 day's drop
    [InlineData(2, 400)]   // back up
    public void ChangedSince_LinkStepsAndFiveTransfersShowIt_TheFirstOfThemIsWhereItChanged(double mbps, double after)
    {
        Assert.Null(LinkEstimator.ChangedSince(Stepped(mbps, 20, after, 4)));
        Assert.Equal(T0.AddSeconds(20), LinkEstimator.ChangedSince(Stepped(mbps, 20, after, 5)));
        Assert.Equal(T0.AddSeconds(20), LinkEstimator.ChangedSince(Stepped(mbps, 20, after, 5).OrderByDescending(s => s.At).ToList())); // order of the list does not matter
    }

    [Fact]
    public void ChangedSince_FewerOlderSamplesThanTheRun_NoChange()
    {
        Assert.Null(LinkEstimator.ChangedSince(Stepped(400, 4, 2, 5)));
        Assert.Null(LinkEstimator.ChangedSince([]));
    }

    [Fact]
    public void ChangedSince_HiccupsOfAFewMilliseconds_AreNotAStep()
    {
        // Small tensors on a fast link: five in a row three times slower, but 2 ms each, is a busy moment, not a link.
        var samples = Enumerable.Range(0, 20).Select(i => Sample(4_096, 1.0, i)).ToList();
        samples.AddRange(Enumerable.Range(0, 5).Select(i => Sample(4_096, 3.0, 20 + i)));
        Assert.Null(LinkEstimator.ChangedSince(samples));
    }

    [Fact]
    public void ChangedSince_StepOneWayButOneTransferNot_NoChange()
    {
        var samples = Stepped(400, 20, 2, 5);
        samples[^3] = samples[^3] with { Milliseconds = Ms(602_112, 400, 0.5) };
        Assert.Null(LinkEstimator.ChangedSince(samples));
    }

    [Property(MaxTest = 200)]
    public bool ChangedSince_SteadyLinkWithNoiseAndOutliers_NeverSeesAStep(int seed)
    {
        // The samples of the fit property above: ±1% noise and a quarter outliers up to 200 ms slower.
        var random = new Random(seed);
        var mbps = Math.Exp(random.NextDouble() * Math.Log(10_000));
        var latency = random.NextDouble() * 20;
        var samples = new List<LinkSample>();
        for (var i = 0; i < 48; i++)
        {
            var bytes = i % 2 == 0 ? 32_768L : (long)Math.Max(32_768 * 4, mbps * 1000 / 8 * 150);
            var ms = Ms(bytes, mbps, latency) * (1 + (random.NextDouble() - 0.5) * 0.02);
            if (i % 8 is 3 or 6) ms += random.NextDouble() * 200;
            samples.Add(Sample(bytes, ms, i));
            if (LinkEstimator.ChangedSince(samples) is not null) return false;
        }
        return true;
    }

    [Fact]
    public void NeedsProbe_ByHistory_SaysWhy()
    {
        var options = new LinkEstimatorOptions { StaleAfter = TimeSpan.FromMinutes(5) };
        Assert.Equal(LinkProbeNeed.New, LinkEstimator.NeedsProbe([], T0, options));
        LinkSample[] two = [Sample(32_768, 5), Sample(262_144, 20, 1)];
        Assert.Equal(LinkProbeNeed.None, LinkEstimator.NeedsProbe(two, T0.AddMinutes(4), options));
        Assert.Equal(LinkProbeNeed.Stale, LinkEstimator.NeedsProbe(two, T0.AddMinutes(6), options));
        Assert.Equal(LinkProbeNeed.OneSize, LinkEstimator.NeedsProbe([Sample(100_000, 5), Sample(140_000, 6, 1)], T0.AddSeconds(2), options));
    }

    [Fact]
    public void Add_BeyondWindowOrSpread_DropsTheOldest()
    {
        var options = new LinkEstimatorOptions { Window = 3, MaxSampleSpread = TimeSpan.FromMinutes(1) };
        var samples = new List<LinkSample>();
        for (var i = 0; i < 5; i++) LinkEstimator.Add(samples, Sample(1000 + i, 1, i), options);
        Assert.Equal([1002L, 1003, 1004], samples.Select(s => s.Bytes));
        LinkEstimator.Add(samples, Sample(9, double.NaN, 10), options); // unusable: ignored
        Assert.Equal(3, samples.Count);
        LinkEstimator.Add(samples, Sample(2000, 1, 120), options);
        Assert.Equal([2000L], samples.Select(s => s.Bytes));
    }

    [Fact]
    public void Sizes_ByEstimate_AimAtTheTargetTimeWithinBounds()
    {
        var options = new LinkProbeOptions { SmallBytes = 32_768, MinLargeBytes = 262_144, MaxLargeBytes = 8_388_608, TargetTransfer = TimeSpan.FromMilliseconds(150) };
        Assert.Equal((32_768, 262_144), LinkProbing.Sizes(null, options));
        Assert.Equal((32_768, 262_144), LinkProbing.Sizes(5, options)); // 94 kB would be too close to the small one
        Assert.Equal((32_768, 1_875_000), LinkProbing.Sizes(100, options));
        Assert.Equal((32_768, 8_388_608), LinkProbing.Sizes(10_000, options));
        var tight = options with { MaxLargeBytes = 100_000 }; // a small message limit wins over every floor
        Assert.Equal((32_768, 100_000), LinkProbing.Sizes(null, tight));
        Assert.Equal((25_000, 50_000), LinkProbing.Sizes(1, tight with { MaxLargeBytes = 50_000 }));
    }

    [Theory]
    [InlineData(100, 2, 110, 2.5, false)] // jitter within 30% and under a millisecond
    [InlineData(100, 2, 140, 2, true)]
    [InlineData(100, 2, 60, 2, true)]
    [InlineData(100, 2, 100, 3.5, true)]
    [InlineData(100, 20, 100, 25, false)]
    [InlineData(0, 0, 100, 1, true)] // nothing planned on before
    public void Significant_ByChange_IgnoresJitter(double mbpsBefore, double latencyBefore, double mbpsAfter, double latencyAfter, bool expected) =>
        Assert.Equal(expected, LinkProbing.Significant(mbpsBefore, latencyBefore, mbpsAfter, latencyAfter, 0.3));
}
