using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Tests.Learning;

public sealed class DeviceSpeedProbeTests
{
    [Fact]
    public void Graphs_FixedAndUnlikeCalibrationOrZoo()
    {
        var probes = DeviceSpeedProbe.Graphs();
        var again = DeviceSpeedProbe.Graphs();
        var calibration = Enumerable.Range(0, 60).Select(i => CalibrationNetworks.Build(1, i).Model).ToHashSet();

        Assert.Equal(DeviceSpeedProbe.Count, probes.Count);
        Assert.Equal(probes.Select(g => g.Model), again.Select(g => g.Model));
        Assert.DoesNotContain(probes, g => calibration.Contains(g.Model));
        Assert.Equal(4, probes.Select(g => g.Model.Split('-')[^1]).Distinct().Count()); // one of each style
    }

    [Fact]
    public void Read_FactorIsMeasuredOverPredicted()
    {
        var model = LearnedLatencyModel.Train(PredictionTestData.Samples(200, 2), LearnerKind.FastTree);
        var predicted = DeviceSpeedProbe.Graphs().Sum(g => model.PredictAtomMs(g.Nodes));
        var timings = DeviceSpeedProbe.Graphs().Select(g => new Timing(1.25 * model.PredictAtomMs(g.Nodes), 0, 9)).ToArray();

        var reading = DeviceSpeedProbe.Read(timings, model);

        Assert.Equal(predicted, reading.PredictedMs, 9);
        Assert.Equal(1.25, reading.Factor, 9);
    }

    [Fact]
    public void Read_WrongNumberOfTimings_ClearError()
    {
        var model = LearnedLatencyModel.Train(PredictionTestData.Samples(200, 2), LearnerKind.FastTree);

        var error = Assert.Throws<ArgumentException>(() => DeviceSpeedProbe.Read([new Timing(1, 0, 1)], model));

        Assert.Contains("Expected 4 probe timings", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Measure_RealProbeNetworks_FinitePositiveFactor()
    {
        var model = LearnedLatencyModel.Train(PredictionTestData.Samples(200, 2), LearnerKind.FastTree);

        var reading = DeviceSpeedProbe.Measure(model, rounds: 1);

        Assert.True(double.IsFinite(reading.Factor) && reading.Factor > 0, $"factor {reading.Factor}");
        Assert.True(reading.MeasuredMs > 0, $"measured {reading.MeasuredMs}");
    }
}
