using System.Globalization;
using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Learning;

/// <summary>One calibration network held out: its operators' in-model times summed, measured and predicted.</summary>
public sealed record NetworkPrediction(string Network, int Operators, double MeasuredMs, double PredictedMs)
{
    public double Error => (PredictedMs - MeasuredMs) / MeasuredMs;
}

/// <summary>
/// Judges the in-model correction the way the zoo will use it, on networks it never saw: the
/// calibration networks are dealt into folds, the correction is learned from the other folds'
/// operators, and each held-out network's summed prediction is compared with its summed measured
/// in-model times. The zoo stays out of it.
/// </summary>
public static class ContextCorrectionEvaluation
{
    /// <summary>
    /// Splits calibration rows (as `profile calibrate --seed <paramref name="seed"/>` wrote them, network after
    /// network) into the networks that produced them, checking every row against the rebuilt network.
    /// </summary>
    public static IReadOnlyList<(OperatorGraph Network, IReadOnlyList<OperatorSample> Operators)> ByNetwork(IReadOnlyList<OperatorSample> calibration, int seed)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        var networks = new List<(OperatorGraph, IReadOnlyList<OperatorSample>)>();
        var at = 0;
        for (var index = 0; at < calibration.Count; index++)
        {
            var graph = CalibrationNetworks.Build(seed, index);
            for (var j = 0; j < graph.Nodes.Count; j++)
            {
                var expected = OperatorConfig.FromNode(graph.Nodes[j]).Key;
                if (at + j >= calibration.Count || calibration[at + j].Config.Key != expected)
                {
                    var found = at + j < calibration.Count ? calibration[at + j].Config.Key : "the end of the file";
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                        $"Calibration row {at + j + 1} is {found}, but operator {j} of {graph.Model} is {expected}: was the file written by `adamec profile calibrate --seed {seed}`?"));
                }
            }
            networks.Add((graph, calibration.Skip(at).Take(graph.Nodes.Count).ToArray()));
            at += graph.Nodes.Count;
        }
        return networks;
    }

    /// <summary>k-fold by network; <paramref name="isolatedMs"/> is f_pre.</summary>
    public static IReadOnlyList<NetworkPrediction> CrossValidate(IReadOnlyList<(OperatorGraph Network, IReadOnlyList<OperatorSample> Operators)> networks,
        Func<OperatorNode, double> isolatedMs, int k = 8, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentNullException.ThrowIfNull(isolatedMs);
        if (networks.Count < k) throw new ArgumentException($"{k}-fold by network needs at least {k} calibration networks; got {networks.Count}.", nameof(networks));
        var folds = CrossValidation.Folds(networks.Count, k, seed);
        var results = new NetworkPrediction[networks.Count];
        for (var fold = 0; fold < k; fold++)
        {
            var train = networks.Where((_, i) => folds[i] != fold).SelectMany(n => n.Operators).ToArray();
            var correction = ContextCorrection.Fit(train, isolatedMs, seed);
            for (var i = 0; i < networks.Count; i++)
            {
                if (folds[i] != fold) continue;
                var (network, operators) = networks[i];
                results[i] = new NetworkPrediction(network.Model, operators.Count, operators.Sum(s => s.LatencyMs),
                    operators.Sum(s => correction.InModelMs(s.Node, isolatedMs(s.Node))));
            }
        }
        return results;
    }
}
