using AdaMec.Core.Graph;

namespace AdaMec.Prediction.Profiling;

/// <summary>Progress of a profiling run: <paramref name="Done"/> of <paramref name="Total"/>, the last sample taken.</summary>
public readonly record struct ProfileProgress(int Done, int Total, OperatorSample Last);

/// <summary>
/// Times operator configurations and appends each result to a CSV as soon as it is measured, so a
/// run can be stopped at any point and resumed: configurations the file already holds (at the same
/// memory limit) are skipped.
/// </summary>
public sealed class Profiler(string path, int threads, TimingOptions? timing = null, double? memoryMb = null)
{
    private readonly TimingOptions _timing = timing ?? TimingOptions.Default;

    /// <summary>When set, overrides the timing options with a cache-state mode (what `adamec profile` uses).</summary>
    public TimingMode? Mode { get; init; }

    /// <summary>Optional file that names the configuration being timed (a parent process reads it after a crash).</summary>
    public string? CurrentKeyPath { get; init; }

    /// <summary>
    /// Measures each configuration until the CSV holds <paramref name="passes"/> rows of it, one
    /// pass over all configurations at a time (so a burst of load on the machine hits one pass of
    /// a configuration, not all); returns the new samples. Readers keep the fastest pass
    /// (<see cref="SampleCsv.Collapse"/>): contention only ever adds time.
    /// </summary>
    public IReadOnlyList<OperatorSample> Run(IEnumerable<OperatorConfig> configs, IProgress<ProfileProgress>? progress = null,
        int passes = 1, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(configs);
        OperatorTimer.SetThreads(threads);
        var existing = SampleCsv.ExistingCounts(path, memoryMb);
        var distinct = configs.DistinctBy(c => c.Key).ToArray();
        var todo = Enumerable.Range(1, passes)
            .SelectMany(pass => distinct.Where(c => existing.GetValueOrDefault(c.Key) < pass))
            .ToArray();
        var taken = new List<OperatorSample>(todo.Length);
        foreach (var config in todo)
        {
            if (cancellation.IsCancellationRequested) break;
            if (CurrentKeyPath is not null) File.WriteAllText(CurrentKeyPath, config.Key);
            var timing = Mode is { } mode ? OperatorTimer.Time(config.ToNode(), mode) : OperatorTimer.Time(config.ToNode(), _timing);
            var sample = new OperatorSample(config, timing.MedianMs, timing.IqrMs, timing.Repeats, threads, memoryMb);
            SampleCsv.Append(path, [sample]);
            taken.Add(sample);
            progress?.Report(new ProfileProgress(taken.Count, todo.Length, sample));
        }
        if (CurrentKeyPath is not null) File.Delete(CurrentKeyPath);
        return taken;
    }

    /// <summary>Parses a comma-separated list of operator kind names ("all" or empty: every kind).</summary>
    public static IReadOnlyList<OperatorKind> ParseKinds(string? list) =>
        string.IsNullOrWhiteSpace(list) || list.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)
            ? SamplingSpace.Kinds
            : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(OperatorKindNames.Parse).Distinct().ToArray();
}
