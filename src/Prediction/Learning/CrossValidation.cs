using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Learning;

/// <summary>Accuracy of one learner on one operator kind ("all" pools the kinds), over held-out folds.</summary>
/// <param name="Learner">Learner name.</param>
/// <param name="Op">Operator kind name, or "all".</param>
/// <param name="MaeMs">Mean absolute error, ms.</param>
/// <param name="RmseMs">Root mean squared error, ms.</param>
/// <param name="R2">Coefficient of determination on ms.</param>
/// <param name="Within5">Share of samples predicted within ±5% of the measured latency.</param>
/// <param name="Within10">Share within ±10%.</param>
/// <param name="Count">Held-out samples.</param>
public sealed record AccuracyResult(string Learner, string Op, double MaeMs, double RmseMs, double R2, double Within5, double Within10, int Count);

/// <summary>One held-out prediction.</summary>
public sealed record HeldOutPrediction(LearnerKind Learner, OperatorSample Sample, double PredictedMs)
{
    public double RelativeError => Math.Abs(PredictedMs - Sample.LatencyMs) / Sample.LatencyMs;
}

/// <summary>
/// k-fold cross-validation of several learners on the same folds: every sample is held out once,
/// predicted by a predictor trained on the other folds, and the errors are summarised per learner
/// and operator kind.
/// </summary>
public static class CrossValidation
{
    /// <summary>Fold of each sample: a seeded shuffle dealt round-robin, identical for every learner.</summary>
    public static int[] Folds(int count, int k, int seed)
    {
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k), k, "k-fold needs k >= 2.");
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        var folds = new int[count];
        for (var i = 0; i < count; i++) folds[order[i]] = i % k;
        return folds;
    }

    public static IReadOnlyList<HeldOutPrediction> Predict(IReadOnlyList<OperatorSample> samples, IReadOnlyList<LearnerKind> learners,
        int k = 5, int seed = 1, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(learners);
        var usable = SampleCsv.Collapse(samples.Where(s => s.MemoryMb is null)).ToArray();
        var folds = Folds(usable.Length, k, seed);
        var predictions = new List<HeldOutPrediction>(usable.Length * learners.Count);
        foreach (var learner in learners)
        {
            for (var fold = 0; fold < k; fold++)
            {
                var train = usable.Where((_, i) => folds[i] != fold).ToArray();
                var model = LearnedLatencyModel.Train(train, learner, seed);
                for (var i = 0; i < usable.Length; i++)
                {
                    if (folds[i] == fold) predictions.Add(new HeldOutPrediction(learner, usable[i], model.PredictBaseMs(usable[i].Node)));
                }
                log?.Invoke($"{learner.ToName()}: fold {fold + 1}/{k} done");
            }
        }
        return predictions;
    }

    /// <summary>Per learner and kind, then per learner over all kinds ("all").</summary>
    public static IReadOnlyList<AccuracyResult> Summarise(IEnumerable<HeldOutPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var results = new List<AccuracyResult>();
        foreach (var byLearner in predictions.GroupBy(p => p.Learner).OrderBy(g => g.Key))
        {
            foreach (var byKind in byLearner.GroupBy(p => p.Sample.Config.Kind).OrderBy(g => g.Key))
            {
                results.Add(Measure(byLearner.Key.ToName(), byKind.Key.ToName(), byKind.ToArray()));
            }
            results.Add(Measure(byLearner.Key.ToName(), "all", byLearner.ToArray()));
        }
        return results;
    }

    public static AccuracyResult Measure(string learner, string op, IReadOnlyList<HeldOutPrediction> predictions) =>
        Measure(learner, op, predictions.Select(p => (p.Sample.LatencyMs, p.PredictedMs)).ToArray());

    public static AccuracyResult Measure(string learner, string op, IReadOnlyList<(double Actual, double Predicted)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) return new AccuracyResult(learner, op, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0);
        var mean = pairs.Average(p => p.Actual);
        var sse = pairs.Sum(p => (p.Predicted - p.Actual) * (p.Predicted - p.Actual));
        var sst = pairs.Sum(p => (p.Actual - mean) * (p.Actual - mean));
        double Within(double tolerance) => pairs.Count(p => Math.Abs(p.Predicted - p.Actual) <= tolerance * p.Actual) / (double)pairs.Count;
        return new AccuracyResult(learner, op,
            pairs.Average(p => Math.Abs(p.Predicted - p.Actual)),
            Math.Sqrt(sse / pairs.Count),
            sst > 0 ? 1 - sse / sst : double.NaN,
            Within(0.05), Within(0.10), pairs.Count);
    }

    /// <summary>
    /// Per kind, the learner with the highest within-±10% share there (ties: lower RMSE); the one chosen
    /// for most kinds is the main learner. With its accuracy over all kinds: the held-out predictions
    /// of each kind's learner (models of different kinds are trained apart, so these are exactly what
    /// that choice predicts on these folds; chosen on them too, so slightly optimistic).
    /// </summary>
    public static (LearnerChoice Choice, AccuracyResult All) BestPerKind(IReadOnlyList<HeldOutPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (predictions.Count == 0) throw new ArgumentException("No held-out predictions.", nameof(predictions));
        var perKind = predictions.GroupBy(p => p.Sample.Config.Kind).ToDictionary(
            kind => kind.Key,
            kind => kind.GroupBy(p => p.Learner)
                .Select(l => (Learner: l.Key, Result: Measure(l.Key.ToName(), kind.Key.ToName(), l.ToArray())))
                .OrderByDescending(l => Math.Round(l.Result.Within10, 6)).ThenBy(l => l.Result.RmseMs).ThenBy(l => l.Learner)
                .First().Learner);
        var main = perKind.Values.GroupBy(l => l).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        var choice = new LearnerChoice(main, perKind);
        var chosen = predictions.Where(p => p.Learner == choice.For(p.Sample.Config.Kind)).ToArray();
        return (choice, Measure(choice.ToString(), "all", chosen));
    }

    /// <summary>The learner with the highest within-±10% share on conv (ties: over all kinds, then lower RMSE).</summary>
    public static string Best(IReadOnlyList<AccuracyResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        double Score(string learner, string op) => results.FirstOrDefault(r => r.Learner == learner && r.Op == op)?.Within10 ?? 0;
        return results.Select(r => r.Learner).Distinct()
            .OrderByDescending(l => Math.Round(Score(l, OperatorKind.Conv2d.ToName()), 3))
            .ThenByDescending(l => Score(l, "all"))
            .First();
    }
}
