using AdaMec.Core.Graph;

namespace AdaMec.Prediction.Profiling;

/// <summary>How a later profiling run was brought to the speed of an earlier one (<see cref="ProfileAnchors.Merge"/>).</summary>
/// <param name="Anchors">Configurations measured in both runs.</param>
/// <param name="Factor">Median of later / earlier latency over the anchors: the later run's device speed relative to the earlier one.</param>
/// <param name="Within10">Share of anchors whose later latency, divided by <paramref name="Factor"/>, lies within ±10% of the earlier one.</param>
/// <param name="Added">Configurations of the later run that were new and are now in <paramref name="Samples"/>, scaled by 1/<paramref name="Factor"/>.</param>
/// <param name="Samples">The earlier samples (anchors averaged when the merge was asked to), then the added ones.</param>
/// <param name="AnchorsAveraged">Every anchor's label is now the geometric mean of the earlier one and the later one at the earlier speed.</param>
public sealed record ProfileMerge(int Anchors, double Factor, double Within10, int Added, IReadOnlyList<OperatorSample> Samples, bool AnchorsAveraged = false);

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
    /// a stopped run resumes), leaving out configurations in <paramref name="exclude"/>. With
    /// <paramref name="minSpread"/> above 0 only configurations whose label is noisy are candidates:
    /// those whose spread (<see cref="Spread"/>) is at least that share of the latency.
    /// </summary>
    public static IReadOnlyList<OperatorConfig> Pick(IEnumerable<OperatorSample> earlier, IReadOnlyCollection<OperatorKind> kinds,
        int count, int seed, IReadOnlySet<string> exclude, double minSpread = 0)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(minSpread >= 0)) throw new ArgumentOutOfRangeException(nameof(minSpread), minSpread, "The spread threshold must be a share of 0 or more.");
        var random = new Random(seed);
        var candidates = SampleCsv.Collapse(earlier.Where(s => double.IsFinite(s.LatencyMs) && s.MemoryMb is null && kinds.Contains(s.Config.Kind)))
            .Where(s => Spread(s) >= minSpread)
            .Select(s => s.Config).Where(c => !exclude.Contains(c.Key)).OrderBy(c => c.Key, StringComparer.Ordinal).ToArray();
        random.Shuffle(candidates);
        return candidates.Take(count).ToArray();
    }

    /// <summary>
    /// How noisy a collapsed sample's label is: the larger of its repeats' IQR and the range between
    /// its passes (<see cref="SampleCsv.Collapse"/> keeps both in IqrMs), as a share of its latency.
    /// </summary>
    public static double Spread(OperatorSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return sample.IqrMs / sample.LatencyMs;
    }

    /// <summary>
    /// The earlier profile plus the later run's new configurations at the earlier run's speed. Both
    /// are collapsed first (fastest pass). Anchors are the configurations both measured without a
    /// memory limit; the earlier label of an anchor is kept, or with <paramref name="averageAnchors"/>
    /// replaced by the geometric mean of it and the later label at the earlier speed: two sittings'
    /// labels of a conv agree within ±10% for only 89–92% after the common factor, so averaging a
    /// re-timed noisy label with its earlier one halves that label's log-variance without moving it
    /// towards either sitting's speed (the minimum of the two would make it faster than the labels
    /// timed once).
    /// </summary>
    /// <exception cref="InvalidDataException">Fewer than <see cref="MinimumAnchors"/> anchors.</exception>
    public static ProfileMerge Merge(IEnumerable<OperatorSample> earlier, IEnumerable<OperatorSample> later, bool averageAnchors = false)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentNullException.ThrowIfNull(later);
        var before = SampleCsv.Collapse(earlier.Where(s => double.IsFinite(s.LatencyMs)));
        var after = SampleCsv.Collapse(later.Where(s => double.IsFinite(s.LatencyMs)));
        var known = before.ToDictionary(s => (s.Config.Key, s.MemoryMb));
        var anchors = after.Where(s => s.MemoryMb is null && known.ContainsKey((s.Config.Key, null))).ToDictionary(s => s.Config.Key);
        var ratios = anchors.Values.Select(s => s.LatencyMs / known[(s.Config.Key, null)].LatencyMs).ToArray();
        if (ratios.Length < MinimumAnchors)
        {
            throw new InvalidDataException($"Only {ratios.Length} configuration(s) were measured in both profiles; a merge needs at least " +
                $"{MinimumAnchors} to tell the device's speed apart (profile the later run with --anchors <earlier profile>).");
        }
        var factor = OperatorTimer.Quantile(ratios.Order().ToArray(), 0.5);
        var within = ratios.Count(r => Math.Abs(r / factor - 1) <= 0.10) / (double)ratios.Length;
        var added = after.Where(s => !known.ContainsKey((s.Config.Key, s.MemoryMb)))
            .Select(s => s with { LatencyMs = s.LatencyMs / factor, IqrMs = s.IqrMs / factor }).ToArray();
        var kept = averageAnchors
            ? before.Select(s => s.MemoryMb is null && anchors.TryGetValue(s.Config.Key, out var again) ? Average(s, again, factor) : s).ToArray()
            : before;
        return new ProfileMerge(ratios.Length, factor, within, added.Length, [.. kept, .. added], averageAnchors);
    }

    /// <summary>
    /// One label from an earlier one and a later one taken at <paramref name="factor"/> times the
    /// earlier latency: their geometric mean; the spread keeps the larger of both spreads and their
    /// difference, so a label the sittings disagree on still reads as noisy.
    /// </summary>
    private static OperatorSample Average(OperatorSample earlier, OperatorSample later, double factor)
    {
        var scaled = later.LatencyMs / factor;
        return earlier with
        {
            LatencyMs = Math.Sqrt(earlier.LatencyMs * scaled),
            IqrMs = Math.Max(Math.Max(earlier.IqrMs, later.IqrMs / factor), Math.Abs(earlier.LatencyMs - scaled)),
            Repeats = earlier.Repeats + later.Repeats,
        };
    }

    /// <summary>Mixes <paramref name="anchors"/> into <paramref name="configs"/> at random places, so both see the same moments of the device.</summary>
    public static IReadOnlyList<OperatorConfig> Interleave(IReadOnlyList<OperatorConfig> configs, IReadOnlyList<OperatorConfig> anchors, int seed)
    {
        var all = configs.Concat(anchors).ToArray();
        new Random(seed).Shuffle(all);
        return all;
    }
}
