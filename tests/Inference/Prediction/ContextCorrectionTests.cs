using AdaMec.Core.Graph;
using AdaMec.Inference.Prediction;
using AdaMec.Inference.Profiling;
using AdaMec.Inference.Zoo;

namespace AdaMec.Inference.Tests.Prediction;

public sealed class ContextCorrectionTests
{
    private static readonly IReadOnlyList<OperatorSample> Data = PredictionTestData.Samples(250, 3);

    // In-model latency of a calibration operator under a known law: 1.3·x^0.9 ms for conv,
    // 1.1·x^0.8 ms for everything else (x: the isolated law in ms).
    private static double InModelLaw(OperatorNode node) =>
        node.Kind == OperatorKind.Conv2d
            ? 1.3 * Math.Pow(PredictionTestData.LawMs(node), 0.9)
            : 1.1 * Math.Pow(PredictionTestData.LawMs(node), 0.8);

    private static OperatorSample[] Calibration() =>
        Enumerable.Range(0, 6).SelectMany(i => CalibrationNetworks.Build(5, i).Nodes)
            .Select(n => new OperatorSample(OperatorConfig.FromNode(n), InModelLaw(OperatorConfig.FromNode(n).ToNode())))
            .ToArray();

    [Fact]
    public void Fit_KnownPowerLaw_RecoversScaleAndExponentPerKind()
    {
        var calibration = Calibration();

        var correction = ContextCorrection.Fit(calibration, n => PredictionTestData.LawMs(n));

        var conv = correction.For(OperatorKind.Conv2d);
        Assert.Equal(1.3, conv.Scale, 3);
        Assert.Equal(0.9, conv.Exponent, 3);
        var relu = correction.For(OperatorKind.ReLU);
        Assert.Equal(1.1, relu.Scale, 3);
        Assert.Equal(0.8, relu.Exponent, 3);
    }

    [Fact]
    public void Fit_KindWithoutCalibration_UsesPooledLine()
    {
        var correction = ContextCorrection.Fit(Calibration(), n => PredictionTestData.LawMs(n));

        Assert.DoesNotContain("zeropad", correction.Laws.Keys);
        Assert.Same(correction.Pooled, correction.For(OperatorKind.ZeroPad2d));
    }

    [Fact]
    public void Fit_TooFewOperators_ClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => ContextCorrection.Fit(Calibration().Take(3).ToArray(), n => 1));

        Assert.Contains("at least", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_SameSizedOperators_ExponentOneLevelOnly()
    {
        // Every operator predicted at ~2 µs alone and measured at 7 µs inside: slope and level
        // cannot be told apart, so the line is a plain factor.
        var calibration = Calibration().Select(s => s with { LatencyMs = 0.007 }).ToArray();

        var correction = ContextCorrection.Fit(calibration, _ => 0.002);

        Assert.All(correction.Laws.Values.Append(correction.Pooled), l => Assert.Equal(1, l.Exponent));
        Assert.Equal(0.007, correction.For(OperatorKind.Dropout).Apply(0.002), 9);
    }

    [Fact]
    public void Fit_InModelShrinkingWithSize_ExponentNeverNegative()
    {
        var calibration = Calibration().Select(s => s with { LatencyMs = 0.01 / Math.Max(1e-3, PredictionTestData.LawMs(s.Node)) }).ToArray();

        var correction = ContextCorrection.Fit(calibration, n => PredictionTestData.LawMs(n));

        Assert.All(correction.Laws.Values.Append(correction.Pooled), l => Assert.True(l.Scale >= 0 && l.Exponent >= 0, $"{l}"));
    }

    [Fact]
    public void Predictor_WithContext_AppliesLineAndSurvivesSaveLoad()
    {
        var model = LearnedLatencyModel.Train(Data, LearnerKind.FastTree);
        var conv = ModelZoo.Graph("resnet18").Nodes.First(n => n.Kind == OperatorKind.Conv2d);
        var isolated = model.PredictMs(conv);

        model.FitContext(Calibration());
        var path = Path.Combine(Path.GetTempPath(), $"adamec-predictor-{Guid.NewGuid():N}.zip");
        try
        {
            model.Save(path);
            var loaded = LearnedLatencyModel.Load(path);

            Assert.Equal(isolated, model.PredictBaseMs(conv));
            Assert.Equal(model.Context!.For(OperatorKind.Conv2d).Apply(isolated), model.PredictMs(conv), 12);
            Assert.Equal(model.PredictMs(conv), loaded.PredictMs(conv), 12);
            Assert.EndsWith("+ctx", loaded.Name, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
