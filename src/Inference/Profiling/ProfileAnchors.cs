using AdaMec.Core.Graph;

namespace AdaMec.Inference.Profiling;

/// <summary>How a later profiling run was brought to the speed of an earlier one (<see cref="ProfileAnchors.Merge"/>).</summary>
/// <param name="Anchors">Configurations measured in both runs.</param>
/// <param name="Factor">Median of later / earlier latency over the anchors: the later run's device speed relative to the earlier one.</param>
/// <param name="Within10">Share of anchors whose later latency, divided by <paramref name="Factor"/>, lies within ±10% of the earlier one.</param>
/// <param name="Added">Configurations of the later run that were new and are now in <paramref name="Samples"/>, scaled by 1/<paramref name="Factor"/>.</param>
/// <param name="Samples">The earlier samples as they were, then the added ones.</param>
public sealed record ProfileMerge(int Anchors, double Factor, double Within10, int Added, IReadOnlyList<OperatorSample> Samples);

/// <summary>
/// Profiling in more than one sitting. This VM's speed drifts by 5–25% between sittings, as a
/// common factor on every operator; appending a later run as it is would put two speeds of the
/// device into one kind. A later run therefore re-times some configurations of the earlier
/// profile (anchors), interleaved with its new ones, and the merge divides the new latencies by the
/// anchors' median ratio. Re-timed convs agreed with their earlier labels within ±10% for 92% once
/// that factor was divided out: as well as two passes of one run do.
/// </summary>
public static class ProfileAnchors
{
    /// <summary>Fewest anchors a merge accepts: the median ratio of fewer is at the mercy of a few noisy ones.</summary>
    public const int MinimumAnchors = 30;

    /// <summary>
    /// <paramref name="count"/> measured configurations of <paramref name="kinds"/> from an earlier
    /// profile, chosen with <paramref name="seed"/> (the same arguments choose the same anchors, so
    /// a stopped run resumes), leaving out configurations in <paramref name="exclude"/>.
    /// </summary>
    public static IReadOnlyList<OperatorConfig> Pick(IEnumerable<OperatorSample> earlier, IReadOnlyCollection<OperatorKind> kinds,
        int count, int seed, IReadOnlySet<string> exclude)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var candidates = SampleCsv.Collapse(earlier.Where(s => double.IsFinite(s.LatencyMs) && s.MemoryMb is null && kinds.Contains(s.Config.Kind)))
            .Select(s => s.Config).Where(c => !exclude.Contains(c.Key)).OrderBy(c => c.Key, StringComparer.Ordinal).ToArray();
        random.Shuffle(candidates);
        return candidates.Take(count).ToArray();
    }

    /// <summary>
    /// The earlier profile plus the later run's new configurations at the earlier run's speed. Both
    /// are collapsed first (fastest pass). Anchors are the configurations both measured without a
    /// memory limit; the earlier label of an anchor is kept.
    /// </summary>
    /// <exception cref="InvalidDataException">Fewer than <see cref="MinimumAnchors"/> anchors.</exception>
    public static ProfileMerge Merge(IEnumerable<OperatorSample> earlier, IEnumerable<OperatorSample> later)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentNullException.ThrowIfNull(later);
        var before = SampleCsv.Collapse(earlier.Where(s => double.IsFinite(s.LatencyMs)));
        var after = SampleCsv.Collapse(later.Where(s => double.IsFinite(s.LatencyMs)));
        var known = before.ToDictionary(s => (s.Config.Key, s.MemoryMb));
        var ratios = after.Where(s => s.MemoryMb is null && known.ContainsKey((s.Config.Key, null)))
            .Select(s => s.LatencyMs / known[(s.Config.Key, null)].LatencyMs).ToArray();
        if (ratios.Length < MinimumAnchors)
        {
            throw new InvalidDataException($"Only {ratios.Length} configuration(s) were measured in both profiles; a merge needs at least " +
                $"{MinimumAnchors} to tell the device's speed apart (profile the later run with --anchors <earlier profile>).");
        }
        var factor = OperatorTimer.Quantile(ratios.Order().ToArray(), 0.5);
        var within = ratios.Count(r => Math.Abs(r / factor - 1) <= 0.10) / (double)ratios.Length;
        var added = after.Where(s => !known.ContainsKey((s.Config.Key, s.MemoryMb)))
            .Select(s => s with { LatencyMs = s.LatencyMs / factor, IqrMs = s.IqrMs / factor }).ToArray();
        return new ProfileMerge(ratios.Length, factor, within, added.Length, [.. before, .. added]);
    }

    /// <summary>Mixes <paramref name="anchors"/> into <paramref name="configs"/> at random places, so both see the same moments of the device.</summary>
    public static IReadOnlyList<OperatorConfig> Interleave(IReadOnlyList<OperatorConfig> configs, IReadOnlyList<OperatorConfig> anchors, int seed)
    {
        var all = configs.Concat(anchors).ToArray();
        new Random(seed).Shuffle(all);
        return all;
    }
}
