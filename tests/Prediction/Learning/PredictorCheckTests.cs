using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Tests.Learning;

public sealed class PredictorCheckTests
{
    private const double Ratio = 1.25;

    /// <summary>Distinct configurations of one kind, so no two collapse into one.</summary>
    private static OperatorConfig[] Configs(OperatorKind kind, int count)
    {
        var configs = new SamplingSpace(3).Draw([kind], 4 * count).DistinctBy(c => c.Key).Take(count).ToArray();
        Assert.Equal(count, configs.Length);
        return configs;
    }

    /// <summary>Each configuration measured at <see cref="Ratio"/> times the law, off by its own relative error after that.</summary>
    private static OperatorSample[] Measured(OperatorKind kind, params double[] errors) =>
        Configs(kind, errors.Length).Select((c, i) => new OperatorSample(c, Ratio * PredictionTestData.LawMs(c.ToNode()) * (1 + errors[i]))).ToArray();

    [Fact]
    public void Run_KnownRatioAndErrors_FitsTheRatioAndCountsExactly()
    {
        // Errors after the ratio, none near a ±5% / ±10% boundary; the median sample is exact.
        double[] convErrors = [0, 0, 0, 0.03, -0.03, 0.07, -0.2];
        double[] reluErrors = [0, 0, 0.08, 0.5];
        var conv = Measured(OperatorKind.Conv2d, convErrors);
        var relu = Measured(OperatorKind.ReLU, reluErrors);

        var report = PredictorCheck.Run([.. relu, .. conv], s => PredictionTestData.LawMs(s.Node));

        Assert.Equal(Ratio, report.SpeedRatio, 12);
        Assert.Equal(["conv", "relu"], report.Results.Select(r => r.Op));
        var c = report.Results[0];
        Assert.Equal((7, 5 / 7.0, 6 / 7.0), (c.Count, c.Within5, c.Within10));
        Assert.Equal(1 / 7.0, c.Within10AsTrained); // only the -20% sample is right at speed x1
        Assert.Equal(conv.Select((s, i) => Math.Abs(convErrors[i]) * Ratio * PredictionTestData.LawMs(s.Node)).Average(), c.MaeMs, 12);
        var r = report.Results[1];
        Assert.Equal((4, 2 / 4.0, 3 / 4.0), (r.Count, r.Within5, r.Within10));
        Assert.Equal((11, 7 / 11.0, 9 / 11.0), (report.All.Count, report.All.Within5, report.All.Within10));
        Assert.Equal(0, report.MemoryLimited);
    }

    [Fact]
    public void Run_OutlierOfAHugeSample_DoesNotMoveTheRatio()
    {
        // Least squares through the origin would follow the large, mislabelled sample; the median does not.
        var samples = Measured(OperatorKind.Conv2d, 0, 0, 0, 0, 9);

        var report = PredictorCheck.Run(samples, s => PredictionTestData.LawMs(s.Node));

        Assert.Equal(Ratio, report.SpeedRatio, 12);
        Assert.Equal(0.8, report.All.Within10, 12);
    }

    [Fact]
    public void Run_SeveralPassesOfOneConfiguration_ChecksTheFastestOnce()
    {
        var config = Configs(OperatorKind.Conv2d, 1)[0];
        var law = PredictionTestData.LawMs(config.ToNode());

        var report = PredictorCheck.Run([new OperatorSample(config, 1.5 * law), new OperatorSample(config, law)], s => PredictionTestData.LawMs(s.Node));

        Assert.Equal(1, report.All.Count);
        Assert.Equal(1, report.SpeedRatio, 12);
        Assert.Equal(1, report.All.Within5);
    }

    [Fact]
    public void Run_TrainedPredictorOnAFasterDevice_FitsItsRatio()
    {
        var model = LearnedLatencyModel.Train(PredictionTestData.Samples(200, 2), LearnerKind.FastTree);
        var unseen = PredictionTestData.Samples(60, 9).Select(s => s with { LatencyMs = 0.8 * model.PredictBaseMs(s.Node) }).ToArray();

        var report = PredictorCheck.Run(unseen, model);

        Assert.Equal(0.8, report.SpeedRatio, 9);
        Assert.Equal(1, report.All.Within5);
        Assert.Equal(0, report.All.Within10AsTrained); // 20% off as trained
    }

    [Fact]
    public void Run_NoSamples_ClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => PredictorCheck.Run([], _ => 1));

        Assert.Contains("No measured samples", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_UnmeasuredSample_ErrorNamesItsLatency()
    {
        var samples = Measured(OperatorKind.Conv2d, 0, 0);
        samples[1] = samples[1] with { LatencyMs = double.NaN };

        var error = Assert.Throws<ArgumentException>(() => PredictorCheck.Run(samples, _ => 1));

        Assert.Contains("Sample 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("latency NaN ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_PredictorAnswersZero_RefusesToScore()
    {
        var error = Assert.Throws<InvalidOperationException>(() => PredictorCheck.Run(Measured(OperatorKind.Conv2d, 0), _ => 0));

        Assert.Contains("answered 0 ms", error.Message, StringComparison.Ordinal);
    }
}
