using System.IO.Compression;
using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Prediction.Tests.Learning;

public sealed class ContextCorrectionTests
{
    private static readonly IReadOnlyList<OperatorSample> Data = PredictionTestData.Samples(250, 3);

    // In-model latency of a calibration operator under a known law: 1.3·x^0.9 ms for conv,
    // 1.1·x^0.8 ms for everything else (x: the isolated law in ms).
    private static double InModelLaw(OperatorNode node) =>
        node.Kind == OperatorKind.Conv2d
            ? 1.3 * Math.Pow(PredictionTestData.LawMs(node), 0.9)
            : 1.1 * Math.Pow(PredictionTestData.LawMs(node), 0.8);

    private static OperatorSample[] Calibration(int seed = 5, int networks = 12) =>
        Enumerable.Range(0, networks).SelectMany(i => CalibrationNetworks.Build(seed, i).Nodes)
            .Select(n => new OperatorSample(OperatorConfig.FromNode(n), InModelLaw(OperatorConfig.FromNode(n).ToNode())))
            .ToArray();

    [Fact]
    public void Fit_KnownLaw_PredictsOperatorsOfUnseenNetworks()
    {
        var correction = ContextCorrection.Fit(Calibration(), PredictionTestData.LawMs);

        var unseen = Enumerable.Range(0, 4).SelectMany(i => CalibrationNetworks.Build(6, i).Nodes)
            .Where(n => PredictionTestData.LawMs(n) > 0).ToArray();
        var errors = unseen.Select(n => Math.Abs(Math.Log(correction.InModelMs(n, PredictionTestData.LawMs(n)) / InModelLaw(n)))).Order().ToArray();
        Assert.True(errors[errors.Length / 2] < 0.05, $"median |log error| {errors[errors.Length / 2]:F3}");
        var networkError = unseen.Sum(n => correction.InModelMs(n, PredictionTestData.LawMs(n))) / unseen.Sum(InModelLaw) - 1;
        Assert.True(Math.Abs(networkError) < 0.05, $"summed error {networkError:P1}");
    }

    [Fact]
    public void Fit_ConstantRatio_ReproducesIt()
    {
        var calibration = Calibration(networks: 4).Select(s => s with { LatencyMs = 3.5 * PredictionTestData.LawMs(s.Node) }).ToArray();

        var correction = ContextCorrection.Fit(calibration, PredictionTestData.LawMs);

        var conv = ModelZoo.Graph("resnet18").Nodes.First(n => n.Kind == OperatorKind.Conv2d);
        Assert.Equal(3.5, correction.Ratio(conv, PredictionTestData.LawMs(conv)), 2);
        Assert.Equal(3.5, correction.Kinds["conv"].MedianRatio, 6);
    }

    [Fact]
    public void Ratio_NeverOutsideTheCalibratedRange()
    {
        // Ratios between 1.2 and 2 in calibration: no operator, however unlike them, gets more or less.
        var calibration = Calibration(networks: 4)
            .Select((s, i) => s with { LatencyMs = (1.2 + 0.8 * (i % 2)) * PredictionTestData.LawMs(s.Node) }).ToArray();
        var correction = ContextCorrection.Fit(calibration, PredictionTestData.LawMs);

        var huge = new OperatorConfig(OperatorKind.Linear, 1, 25088, 4096).ToNode();
        foreach (var isolated in new[] { 1e-5, 1.0, 1e5 })
        {
            var ratio = correction.Ratio(huge, isolated);
            Assert.InRange(ratio, 1.2 - 1e-6, 2 + 1e-6);
        }
    }

    [Fact]
    public void Fit_TooFewOperators_ClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => ContextCorrection.Fit(Calibration().Take(3).ToArray(), _ => 1));

        Assert.Contains("at least", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_OperatorsWithoutPositiveTimes_AreNotCounted()
    {
        var calibration = Calibration(networks: 1).Select(s => s with { LatencyMs = 0 }).ToArray();

        Assert.Throws<ArgumentException>(() => ContextCorrection.Fit(calibration, PredictionTestData.LawMs));
    }

    [Fact]
    public void Load_CorruptStream_InvalidData()
    {
        using var garbage = new MemoryStream("not a zip"u8.ToArray());
        using var empty = new MemoryStream();
        using (var zip = new ZipArchive(empty, ZipArchiveMode.Create, leaveOpen: true))
        {
            zip.CreateEntry("state.json");
        }
        empty.Position = 0;

        Assert.Throws<InvalidDataException>(() => ContextCorrection.Load(garbage));
        Assert.Throws<InvalidDataException>(() => ContextCorrection.Load(empty));
    }

    [Fact]
    public void Predictor_WithContext_AppliesCorrectionAndSurvivesSaveLoad()
    {
        var model = LearnedLatencyModel.Train(Data, LearnerKind.FastTree);
        var conv = ModelZoo.Graph("resnet18").Nodes.First(n => n.Kind == OperatorKind.Conv2d);
        var isolated = model.PredictMs(conv);

        model.FitContext(Calibration(networks: 6));
        var path = Path.Combine(Path.GetTempPath(), $"adamec-predictor-{Guid.NewGuid():N}.zip");
        try
        {
            model.Save(path);
            var loaded = LearnedLatencyModel.Load(path);

            Assert.Equal(isolated, model.PredictBaseMs(conv));
            Assert.Equal(model.Context!.InModelMs(conv, isolated), model.PredictMs(conv), 12);
            Assert.NotEqual(isolated, model.PredictMs(conv));
            Assert.Equal(model.PredictMs(conv), loaded.PredictMs(conv), 12);
            Assert.Equal(model.Context.Count, loaded.Context!.Count);
            Assert.EndsWith("+ctx", loaded.Name, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
