using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Learning;

/// <summary>Held-out accuracy of one stratum of the sampling space (see <see cref="SamplingSpace.Region"/>).</summary>
public sealed record RegionAccuracy(string Region, int Count, double Within10, int Misses);

/// <summary>
/// Adaptive supplementary sampling (paper §4.2.2, after [60]): find the strata of the sampling
/// space where held-out accuracy is below a threshold, and draw new configurations there, more
/// where more samples were missed. The caller times them and repeats until the target is met or
/// the sample budget is spent.
/// </summary>
public static class AdaptiveSampling
{
    public static IReadOnlyList<RegionAccuracy> Regions(IEnumerable<HeldOutPrediction> predictions, double tolerance = 0.10)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        return predictions
            .GroupBy(p => SamplingSpace.Region(p.Sample.Config))
            .Select(g =>
            {
                var misses = g.Count(p => p.RelativeError > tolerance);
                return new RegionAccuracy(g.Key, g.Count(), 1 - misses / (double)g.Count(), misses);
            })
            .OrderBy(r => r.Within10)
            .ToArray();
    }

    /// <summary>
    /// Up to <paramref name="count"/> new configurations in the regions whose within-±10% share is
    /// below <paramref name="threshold"/>, allotted in proportion to each region's misses.
    /// </summary>
    public static IReadOnlyList<OperatorConfig> Supplement(IReadOnlyList<RegionAccuracy> regions, double threshold, int count, SamplingSpace space,
        ISet<string> existingKeys)
    {
        ArgumentNullException.ThrowIfNull(regions);
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(existingKeys);
        var weak = regions.Where(r => r.Within10 < threshold && r.Misses > 0).ToArray();
        var misses = weak.Sum(r => r.Misses);
        var configs = new List<OperatorConfig>();
        foreach (var region in weak.OrderByDescending(r => r.Misses))
        {
            var share = Math.Max(1, (int)Math.Round(count * (double)region.Misses / misses));
            var kind = OperatorKindNames.Parse(region.Region.Split('|')[0]);
            for (var i = 0; i < share && configs.Count < count; i++)
            {
                if (space.DrawIn(kind, region.Region) is { } config && existingKeys.Add(config.Key)) configs.Add(config);
            }
        }
        return configs;
    }
}
