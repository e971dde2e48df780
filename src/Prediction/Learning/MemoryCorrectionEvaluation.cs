using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Learning;

/// <summary>RMSE under constrained memory without and with f_mem, over held-out configurations.</summary>
/// <param name="MemoryMb">The limit, or null for all limits together.</param>
/// <param name="Count">Held-out constrained measurements.</param>
/// <param name="UncorrectedRmseMs">RMSE of f_pre alone.</param>
/// <param name="CorrectedRmseMs">RMSE of f_pre + f_mem.</param>
public sealed record MemoryCorrectionResult(double? MemoryMb, int Count, double UncorrectedRmseMs, double CorrectedRmseMs);

/// <summary>
/// Builds memory observations from a memory-profiling CSV and cross-validates f_mem by
/// configuration: every configuration's constrained measurements are predicted by a network that
/// never saw that configuration.
/// </summary>
public static class MemoryCorrectionEvaluation
{
    /// <summary>
    /// Pairs each constrained measurement with f_pre's prediction (the base f_mem corrects at run
    /// time) and the slowdown measured against the unlimited run of the same configuration.
    /// </summary>
    public static IReadOnlyList<MemoryObservation> Observations(IReadOnlyList<OperatorSample> samples, LearnedLatencyModel predictor)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(predictor);
        var measured = SampleCsv.Collapse(samples.Where(s => double.IsFinite(s.LatencyMs) && s.LatencyMs > 0));
        var baseline = measured.Where(s => s.MemoryMb is null).ToDictionary(s => s.Config.Key, s => s.LatencyMs, StringComparer.Ordinal);
        return measured
            .Where(s => s.MemoryMb is not null && baseline.ContainsKey(s.Config.Key))
            .Select(s =>
            {
                var fPre = predictor.PredictBaseMs(s.Node);
                // Scale the measured slowdown onto f_pre, so f_mem learns the memory effect, not f_pre's error.
                var slowdown = s.LatencyMs / baseline[s.Config.Key];
                return new MemoryObservation(s.Node, s.MemoryMb!.Value * 1e6, fPre, fPre * slowdown) { MeasuredMs = s.LatencyMs };
            })
            .ToArray();
    }

    public static IReadOnlyList<MemoryCorrectionResult> CrossValidate(IReadOnlyList<MemoryObservation> observations, int k = 5, int seed = 1, int hidden = 32, int epochs = 1500)
    {
        ArgumentNullException.ThrowIfNull(observations);
        var keys = observations.Select(o => OperatorConfig.FromNode(o.Node).Key).Distinct().ToArray();
        var folds = CrossValidation.Folds(keys.Length, k, seed);
        var foldOf = keys.Select((key, i) => (key, fold: folds[i])).ToDictionary(p => p.key, p => p.fold, StringComparer.Ordinal);
        var pairs = new List<(MemoryObservation Observation, double Corrected)>();
        for (var fold = 0; fold < k; fold++)
        {
            var train = observations.Where(o => foldOf[OperatorConfig.FromNode(o.Node).Key] != fold).ToArray();
            var test = observations.Where(o => foldOf[OperatorConfig.FromNode(o.Node).Key] == fold).ToArray();
            if (test.Length == 0 || train.Length < 4) continue;
            using var net = MemoryCorrection.Train(train, hidden, epochs, seed);
            pairs.AddRange(test.Select(o => (o, o.BaseMs + net.BiasMs(o.Node, o.BaseMs, o.BudgetBytes))));
        }
        var results = pairs.GroupBy(p => p.Observation.BudgetBytes).OrderByDescending(g => g.Key)
            .Select(g => Result(g.Key / 1e6, g.ToArray())).ToList();
        results.Add(Result(null, pairs));
        return results;
    }

    private static MemoryCorrectionResult Result(double? mb, IReadOnlyList<(MemoryObservation Observation, double Corrected)> pairs) =>
        new(mb, pairs.Count,
            Rmse(pairs.Select(p => p.Observation.BaseMs - p.Observation.MeasuredMs)),
            Rmse(pairs.Select(p => p.Corrected - p.Observation.MeasuredMs)));

    private static double Rmse(IEnumerable<double> errors)
    {
        var e = errors.ToArray();
        return e.Length == 0 ? double.NaN : Math.Sqrt(e.Sum(x => x * x) / e.Length);
    }
}
