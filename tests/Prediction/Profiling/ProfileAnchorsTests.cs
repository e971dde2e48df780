using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Tests.Profiling;

public sealed class ProfileAnchorsTests
{
    private static readonly double[] TwoPassesSlower = [1.25, 1.30];

    private static OperatorConfig Conv(int side) => new(OperatorKind.Conv2d, side, 16, 32, 3, 1, 1);

    private static OperatorSample Sample(OperatorConfig config, double ms, double? memoryMb = null) => new(config, ms, MemoryMb: memoryMb);

    [Fact]
    public void Pick_SameSeed_SameAnchorsOfTheKindsAskedMeasuredUnlimitedAndNotExcluded()
    {
        var earlier = Enumerable.Range(10, 50).Select(side => Sample(Conv(side), side))
            .Append(Sample(new OperatorConfig(OperatorKind.ReLU, 14, 8, 8), 0.01))
            .Append(Sample(Conv(200), double.NaN))
            .Append(Sample(Conv(201), 3.0, memoryMb: 256))
            .ToArray();
        var excluded = new HashSet<string>([Conv(10).Key, Conv(11).Key], StringComparer.Ordinal);

        var first = ProfileAnchors.Pick(earlier, [OperatorKind.Conv2d], 20, seed: 3, excluded);
        var again = ProfileAnchors.Pick(Enumerable.Reverse(earlier), [OperatorKind.Conv2d], 20, seed: 3, excluded);
        var all = ProfileAnchors.Pick(earlier, [OperatorKind.Conv2d], 1000, seed: 3, excluded);

        Assert.Equal(20, first.Count);
        Assert.Equal(first, again);
        Assert.Equal(48, all.Count); // 50 convs measured without a limit, two excluded
        Assert.All(all, c => Assert.True(c.Kind == OperatorKind.Conv2d && c.Hw is >= 12 and < 60));
        Assert.NotEqual(first, ProfileAnchors.Pick(earlier, [OperatorKind.Conv2d], 20, seed: 4, excluded));
    }

    [Fact]
    public void Pick_MinSpread_OnlyConfigurationsWhoseLabelIsAtLeastThatNoisy()
    {
        // Sides 10-29 spread 4% of their latency (repeats' IQR or range between passes), 30-49 spread 20%.
        var earlier = Enumerable.Range(10, 40).Select(side => new OperatorSample(Conv(side), 2.0, IqrMs: side < 30 ? 0.08 : 0.4)).ToArray();

        var noisy = ProfileAnchors.Pick(earlier, [OperatorKind.Conv2d], 1000, seed: 3, new HashSet<string>(), minSpread: 0.15);

        Assert.Equal(Enumerable.Range(30, 20), noisy.Select(c => c.Hw).Order());
        Assert.Equal(40, ProfileAnchors.Pick(earlier, [OperatorKind.Conv2d], 1000, seed: 3, new HashSet<string>(), minSpread: 0).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => ProfileAnchors.Pick(earlier, [OperatorKind.Conv2d], 10, seed: 3, new HashSet<string>(), minSpread: double.NaN));
    }

    [Fact]
    public void Merge_LaterRunSlower_NewConfigurationsScaledToTheEarlierSpeedEarlierLabelsKept()
    {
        var random = new Random(1);
        var earlier = Enumerable.Range(10, 40).Select(side => Sample(Conv(side), side / 10.0)).ToArray();
        // The later run: every anchor 1.25x slower (±3% noise) in two passes, plus ten new configurations.
        var later = earlier.SelectMany(s => TwoPassesSlower.Select(f => s with { LatencyMs = s.LatencyMs * f * (0.97 + 0.06 * random.NextDouble()) }))
            .Concat(Enumerable.Range(100, 10).Select(side => Sample(Conv(side), 2.5)))
            .ToArray();

        var merge = ProfileAnchors.Merge(earlier, later);

        Assert.Equal(40, merge.Anchors);
        Assert.InRange(merge.Factor, 1.21, 1.29); // the fastest of the two passes
        Assert.Equal(1.0, merge.Within10);
        Assert.Equal(10, merge.Added);
        Assert.Equal(50, merge.Samples.Count);
        Assert.Equal(earlier.Select(s => s.LatencyMs), merge.Samples.Take(40).Select(s => s.LatencyMs));
        Assert.All(merge.Samples.Skip(40), s => Assert.Equal(2.5 / merge.Factor, s.LatencyMs, 9));
    }

    [Fact]
    public void Merge_AverageAnchors_AnchorsGetTheGeometricMeanAtTheEarlierSpeedOthersUntouched()
    {
        // 40 anchors re-timed 1.25x slower, a quarter of them 10% over and a quarter 10% under that; ten earlier configurations not re-timed.
        static double Noise(int side) => (side % 4) switch { 0 => 1.1, 1 => 1 / 1.1, _ => 1.0 };
        var earlier = Enumerable.Range(10, 50).Select(side => new OperatorSample(Conv(side), side / 10.0, IqrMs: 0.01, Repeats: 100)).ToArray();
        var later = earlier.Take(40).Select(s => s with { LatencyMs = s.LatencyMs * 1.25 * Noise(s.Config.Hw), IqrMs = 0.02 }).ToArray();

        var merge = ProfileAnchors.Merge(earlier, later, averageAnchors: true);

        Assert.Equal((40, true, 0, 50), (merge.Anchors, merge.AnchorsAveraged, merge.Added, merge.Samples.Count));
        Assert.Equal(1.25, merge.Factor, 9);
        var bySide = merge.Samples.ToDictionary(s => s.Config.Hw);
        for (var side = 10; side < 50; side++)
        {
            var before = side / 10.0;
            var again = before * Noise(side);
            Assert.Equal(Math.Sqrt(before * again), bySide[side].LatencyMs, 9);
            // The sittings' disagreement where they disagree, else the larger IQR (the later run's, at the earlier speed).
            Assert.Equal(Math.Max(Math.Abs(before - again), 0.02 / 1.25), bySide[side].IqrMs, 9);
            Assert.Equal(200, bySide[side].Repeats);
        }
        Assert.All(Enumerable.Range(50, 10), side => Assert.Equal(earlier[side - 10], bySide[side]));
        Assert.Equal(earlier.Take(40).Select(s => s.LatencyMs), ProfileAnchors.Merge(earlier, later).Samples.Take(40).Select(s => s.LatencyMs));
    }

    [Fact]
    public void Merge_TooFewConfigurationsInCommon_ClearErrorNamingTheOption()
    {
        var earlier = Enumerable.Range(10, 40).Select(side => Sample(Conv(side), 1.0)).ToArray();
        var later = Enumerable.Range(10, ProfileAnchors.MinimumAnchors - 1).Select(side => Sample(Conv(side), 1.1))
            .Concat(Enumerable.Range(100, 50).Select(side => Sample(Conv(side), 1.0)));

        var error = Assert.Throws<InvalidDataException>(() => ProfileAnchors.Merge(earlier, later));

        Assert.Contains($"Only {ProfileAnchors.MinimumAnchors - 1} configuration(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("--anchors", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Interleave_AnchorsSpreadThroughTheRunNotAppended()
    {
        var configs = Enumerable.Range(10, 100).Select(Conv).ToArray();
        var anchors = Enumerable.Range(200, 20).Select(Conv).ToArray();

        var run = ProfileAnchors.Interleave(configs, anchors, seed: 1);

        Assert.Equal(configs.Concat(anchors).Select(c => c.Key).Order(), run.Select(c => c.Key).Order());
        var firstHalfAnchors = run.Take(60).Count(c => c.Hw >= 200);
        Assert.InRange(firstHalfAnchors, 3, 17);
    }
}
