using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Learning;

/// <summary>How a predictor did on one operator kind ("all": every kind) of samples it never saw, after the fitted speed ratio.</summary>
/// <param name="Op">Operator kind name, or "all".</param>
/// <param name="Count">Samples of that kind (one per configuration and memory limit).</param>
/// <param name="Within5">Share predicted within ±5% of the measured latency, after the speed ratio.</param>
/// <param name="Within10">Share within ±10%, after the speed ratio.</param>
/// <param name="MaeMs">Mean absolute error after the speed ratio, ms.</param>
/// <param name="Within10AsTrained">Share within ±10% of the predictions as they are (speed ratio 1): the device as it was profiled.</param>
/// <param name="MedianRatio">Median of measured / predicted over this kind alone (how far its own speed strays from the common one).</param>
public sealed record CheckResult(string Op, int Count, double Within5, double Within10, double MaeMs, double Within10AsTrained, double MedianRatio);

/// <summary>The outcome of a <see cref="PredictorCheck"/>.</summary>
/// <param name="Results">One row per operator kind, in kind order.</param>
/// <param name="All">Every kind together.</param>
/// <param name="SpeedRatio">The device's speed against the predictor's: the median over all samples of measured / predicted (1.1: 10% slower).</param>
/// <param name="MemoryLimited">Samples taken under a memory limit (predicted with f_mem when the predictor has one).</param>
public sealed record CheckReport(IReadOnlyList<CheckResult> Results, CheckResult All, double SpeedRatio, int MemoryLimited);

/// <summary>
/// Applies a trained predictor to measured samples it never saw (a user's own board, a later
/// sitting on the same machine) and says how close it is, per operator kind. A device that runs
/// everything some percent faster or slower than the one profiled is still well predicted up to a
/// constant, and that constant is context (<see cref="DeviceSpeedProbe"/> measures it at run time),
/// so the predictions are first scaled by one speed ratio fitted over all samples together.
/// <para>
/// The ratio is the median of the per-sample ratios measured / predicted, not least squares through
/// the origin: the check's figures are relative errors, and the median of the ratios is the scale
/// that puts half the samples above and half below, each sample counting once whatever its size.
/// Least squares weighs each sample by its predicted latency squared, so a few 100 ms convs would
/// set the ratio for thousands of 0.1 ms ones, and one mislabelled large sample could move it; the
/// median ignores such outliers. One ratio for all kinds, not one per kind: a device's speed is one
/// number at run time, and a per-kind ratio would hide a kind the predictor gets wrong.
/// </para>
/// <para>
/// Samples are collapsed first as training does (<see cref="SampleCsv.Collapse"/>: the fastest pass
/// per configuration), and predicted isolated and hot (f_pre, what <c>adamec profile</c> measures),
/// plus f_mem at the sample's memory limit when it has one and the predictor carries f_mem.
/// </para>
/// </summary>
public static class PredictorCheck
{
    /// <summary>Checks <paramref name="model"/> on <paramref name="samples"/>.</summary>
    public static CheckReport Run(IReadOnlyList<OperatorSample> samples, LearnedLatencyModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Run(samples, s =>
        {
            var baseMs = model.PredictBaseMs(s.Node);
            return s.MemoryMb is { } mb && model.Memory is { } memory ? Math.Max(0, baseMs + memory.BiasMs(s.Node, baseMs, mb * 1e6)) : baseMs;
        });
    }

    /// <summary>Checks the predictions <paramref name="predictMs"/> makes for <paramref name="samples"/>.</summary>
    /// <exception cref="ArgumentException">No samples, or a sample whose measured latency is not a positive finite number.</exception>
    /// <exception cref="InvalidOperationException">The predictor answered a non-positive or non-finite latency.</exception>
    public static CheckReport Run(IReadOnlyList<OperatorSample> samples, Func<OperatorSample, double> predictMs)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(predictMs);
        if (samples.Count == 0) throw new ArgumentException("No measured samples to check.", nameof(samples));
        for (var i = 0; i < samples.Count; i++)
        {
            var latency = samples[i].LatencyMs;
            if (!double.IsFinite(latency) || latency <= 0)
            {
                throw new ArgumentException($"Sample {i + 1} ({samples[i].Config.Key}): latency {latency} ms is not a positive finite number.", nameof(samples));
            }
        }
        var pairs = SampleCsv.Collapse(samples)
            .Select(s => (Sample: s, Predicted: predictMs(s)))
            .ToArray();
        foreach (var (sample, predicted) in pairs)
        {
            if (!double.IsFinite(predicted) || predicted <= 0)
            {
                throw new InvalidOperationException($"The predictor answered {predicted} ms for {sample.Config.Key}: it cannot be checked.");
            }
        }
        var ratio = Median(pairs.Select(p => p.Sample.LatencyMs / p.Predicted));
        var results = pairs.GroupBy(p => p.Sample.Config.Kind).OrderBy(g => g.Key)
            .Select(g => Measure(g.Key.ToName(), g.ToArray(), ratio))
            .ToArray();
        return new CheckReport(results, Measure("all", pairs, ratio), ratio, pairs.Count(p => p.Sample.MemoryMb is not null));
    }

    private static CheckResult Measure(string op, (OperatorSample Sample, double Predicted)[] pairs, double ratio)
    {
        double Within(double tolerance, double scale) =>
            pairs.Count(p => Math.Abs(p.Predicted * scale - p.Sample.LatencyMs) <= tolerance * p.Sample.LatencyMs) / (double)pairs.Length;
        return new CheckResult(op, pairs.Length, Within(0.05, ratio), Within(0.10, ratio),
            pairs.Average(p => Math.Abs(p.Predicted * ratio - p.Sample.LatencyMs)), Within(0.10, 1),
            Median(pairs.Select(p => p.Sample.LatencyMs / p.Predicted)));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
