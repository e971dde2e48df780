using System.Text.Json;
using System.Text.Json.Serialization;
using AdaMec.Core.Atoms;
using AdaMec.Core.Scenarios;

namespace AdaMec.Demo.Scenarios;

/// <summary>
/// `adamec bench scenario`: one scenario trace replayed under AdaMec and the paper's baselines, one after the
/// other, each on a fresh stage, and summarised per strategy (paper Fig. 10 and 11): response latency,
/// requirement met, time-to-benefit after each event, weight bytes moved, atom memory per device.
/// </summary>
public static class ScenarioComparison
{
    /// <summary>The comparison's default strategies: AdaMec, then the paper's baselines.</summary>
    public static IReadOnlyList<string> DefaultStrategies { get; } = ["dp", "neurosurgeon", "ionn", "onetime", "local"];

    /// <summary>
    /// Replays <paramref name="settings"/>' trace once per strategy in <paramref name="strategies"/>, on a stage
    /// from <paramref name="stages"/> each time (disposed after its replay), and summarises each timeline.
    /// </summary>
    public static async Task<ScenarioComparisonReport> RunAsync(
        ScenarioReplaySettings settings,
        IReadOnlyList<string> strategies,
        Func<IScenarioStage> stages,
        Action<string, ReplayProgress>? report = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(strategies);
        ArgumentNullException.ThrowIfNull(stages);
        var memory = AtomManifest.Load(settings.AtomsDirectory).Atoms.Select(a => a.MemoryBytes).ToArray();
        var results = new List<StrategyResult>();
        string mode = "";
        IReadOnlyList<string> limitations = [];
        string? measuredNote = null;
        foreach (var strategy in strategies)
        {
            await using var stage = stages();
            var peaks = stage as IDeviceMemoryPeaks;
            var reset = false;
            var timeline = await ScenarioReplay.RunAsync(stage, settings with { Strategy = strategy, DeploymentId = "bench-" + strategy },
                p =>
                {
                    // Each strategy's peak covers its own replay: started afresh once the deploy is done.
                    if (p is ReplayStarted && peaks is not null) reset = peaks.ResetPeakMemory();
                    report?.Invoke(strategy, p);
                },
                cancellationToken);
            mode = stage.Mode;
            limitations = stage.Limitations;
            var result = Summarise(strategy, timeline, memory);
            if (peaks is not null)
            {
                result = result with { PeakMeasuredMemoryBytes = new SortedDictionary<string, long>(peaks.PeakMemoryBytes().ToDictionary(), StringComparer.Ordinal) };
                measuredNote = peaks.PeakMemorySource(reset);
            }
            results.Add(result);
        }
        if (measuredNote is not null) limitations = [.. limitations, measuredNote];
        return new ScenarioComparisonReport(settings.Trace.Name, mode, settings.Model, settings.Trace.DurationS * settings.TimeScale, limitations, results);
    }

    /// <summary>One strategy's figures from its timeline; <paramref name="atomMemoryBytes"/> is each atom's memoryBytes (its spec).</summary>
    public static StrategyResult Summarise(string strategy, Timeline timeline, IReadOnlyList<long> atomMemoryBytes)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(atomMemoryBytes);
        var ok = timeline.Requests.Where(r => r.Ok).ToList();
        var latencies = ok.Select(r => r.LatencyMs).Order().ToList();
        var met = ok.Count(r => r.LatencyMs <= timeline.RequirementAt(r.T));
        var events = timeline.Events.OrderBy(e => e.T).ToList();
        var benefits = new List<EventBenefit>();
        for (var k = 0; k < events.Count; k++)
        {
            var from = events[k].T;
            var until = k + 1 < events.Count ? events[k + 1].T : double.PositiveInfinity;
            // The decisions this event caused: decided after it and before the next event.
            var plan = timeline.Plans.Where(p => p.T >= from && p.T < until && p.BytesMoved > 0).OrderBy(p => p.T).FirstOrDefault();
            benefits.Add(new EventBenefit(events[k].T, events[k].Kind, events[k].Detail, plan?.TimeToBenefitMs));
        }
        var peak = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var device in timeline.Testbed.Devices) peak[device] = 0;
        foreach (var request in ok)
        {
            var perDevice = request.Assignment.Select((d, i) => (d, i)).Where(x => x.i < atomMemoryBytes.Count)
                .GroupBy(x => x.d).Select(g => (Device: g.Key, Bytes: g.Sum(x => atomMemoryBytes[x.i])));
            foreach (var (device, bytes) in perDevice) peak[device] = Math.Max(peak.GetValueOrDefault(device), bytes);
        }
        return new StrategyResult(
            strategy,
            timeline.Requests.Count,
            ok.Count,
            latencies.Count > 0 ? latencies.Average() : null,
            latencies.Count > 0 ? Percentile(latencies, 0.95) : null,
            timeline.Requests.Count > 0 ? (double)met / timeline.Requests.Count : 0,
            benefits,
            timeline.Plans.Where(p => p.T >= 0).Sum(p => p.BytesMoved),
            timeline.Plans.Sum(p => p.BytesMoved),
            peak);
    }

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0) throw new ArgumentException("no values", nameof(sorted));
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}

/// <summary>The comparison (the JSON of `adamec bench scenario --json`).</summary>
/// <param name="Trace">The trace's name.</param>
/// <param name="Mode"><c>real</c> (the testbed) or <c>in-process</c> (EMULATION).</param>
/// <param name="Model">The model the atoms come from.</param>
/// <param name="DurationS">Each replay's length, seconds (after time scaling).</param>
/// <param name="Limitations">What the stage emulated or could not apply, plus how the figures are measured.</param>
/// <param name="Results">One entry per strategy, in the order they ran.</param>
public sealed record ScenarioComparisonReport(string Trace, string Mode, string Model, double DurationS, IReadOnlyList<string> Limitations, IReadOnlyList<StrategyResult> Results)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>The report as JSON (camelCase).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads JSON written by <see cref="ToJson"/>.</summary>
    public static ScenarioComparisonReport FromJson(string json) =>
        JsonSerializer.Deserialize<ScenarioComparisonReport>(json, Json) ?? throw new JsonException("the report holds null");
}

/// <summary>One strategy's figures over one replay.</summary>
/// <param name="Strategy">The planner strategy (dp = AdaMec).</param>
/// <param name="Requests">Requests sent.</param>
/// <param name="Ok">Requests that returned the model's output.</param>
/// <param name="MeanMs">Mean response latency of the ok requests, ms; null when none.</param>
/// <param name="P95Ms">95th percentile (nearest rank) of the ok requests' latency, ms; null when none.</param>
/// <param name="MetFraction">Requests answered within the requirement in force when each was answered, over all requests (a failed request does not meet it).</param>
/// <param name="TimeToBenefitMs">Per trace event: from the change to the first request served wholly by the plan it caused, ms; null when no plan moved atoms after it (or none became wholly live).</param>
/// <param name="BytesMoved">Weight bytes moved by plans decided during the replay (after t = 0).</param>
/// <param name="BytesMovedTotal">Weight bytes moved including the deployment's first plan (decided before t = 0).</param>
/// <param name="PeakAtomMemoryBytes">Per device: the most atom memory (the atoms' specified memoryBytes) any served request's plan placed on it.</param>
public sealed record StrategyResult(
    string Strategy,
    int Requests,
    int Ok,
    double? MeanMs,
    double? P95Ms,
    double MetFraction,
    IReadOnlyList<EventBenefit> TimeToBenefitMs,
    long BytesMoved,
    long BytesMovedTotal,
    IReadOnlyDictionary<string, long> PeakAtomMemoryBytes)
{
    /// <summary>
    /// Per device: the most memory its processes held at once during the replay, measured by the kernel (the real
    /// testbed's cgroups: runtime, atoms, tensors, page cache); null where the stage cannot measure it (in-process).
    /// </summary>
    public IReadOnlyDictionary<string, long>? PeakMeasuredMemoryBytes { get; init; }
}

/// <summary>Time-to-benefit after one event.</summary>
/// <param name="T">When the event was applied, seconds from the start.</param>
/// <param name="Kind">The event's kind.</param>
/// <param name="Detail">What it changed.</param>
/// <param name="Ms">Time-to-benefit, ms; null when no plan that moved atoms followed it.</param>
public sealed record EventBenefit(double T, string Kind, string Detail, double? Ms);
