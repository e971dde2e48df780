using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Tests.Learning;

public sealed class MemoryCorrectionTests
{
    // Constructed: ample memory leaves latency alone; below 2.5x the operator's footprint + 150 MB
    // of runtime, latency grows with the shortfall (the threshold behaviour of paper Fig. 7).
    private static MemoryObservation[] Observations(int seed)
    {
        var samples = PredictionTestData.Samples(120, seed);
        var budgets = new[] { 1000e6, 600e6, 400e6, 300e6, 250e6, 200e6 };
        return samples.SelectMany(s => budgets.Select(b =>
        {
            var need = 150e6 + 2.5 * (s.Node.InputBytes + s.Node.OutputBytes + s.Node.ParameterBytes);
            var slowdown = b >= need ? 1.0 : 1.0 + 3.0 * (need - b) / need;
            return new MemoryObservation(s.Node, b, s.LatencyMs, s.LatencyMs * slowdown);
        })).ToArray();
    }

    [Fact]
    public void CrossValidate_ConstructedThresholdEffect_CorrectionReducesRmse()
    {
        var data = Observations(11);

        var results = MemoryCorrectionEvaluation.CrossValidate(data, k: 3, epochs: 600);

        var all = results.Single(r => r.MemoryMb is null);
        Assert.Equal(data.Length, all.Count);
        Assert.True(all.CorrectedRmseMs < 0.7 * all.UncorrectedRmseMs, $"RMSE {all.UncorrectedRmseMs:F3} -> {all.CorrectedRmseMs:F3} ms");
    }

    [Fact]
    public void Train_SlowdownsPureNoise_DropsTheNetwork()
    {
        // A limit that never slows anything down: every "slowdown" is ±15% measurement noise.
        var jitter = new Random(5);
        var data = Observations(14).Select(o => o with { ConstrainedMs = o.BaseMs * (1 + 0.15 * (2 * jitter.NextDouble() - 1)) }).ToArray();

        using var net = MemoryCorrection.Train(data, hidden: 8, epochs: 200);

        Assert.True(net.IsIdentity);
        Assert.All(data.Take(20), o => Assert.Equal(0, net.BiasMs(o.Node, o.BaseMs, o.BudgetBytes)));
    }

    [Fact]
    public void Train_ConstructedThresholdEffect_KeepsTheNetwork()
    {
        using var net = MemoryCorrection.Train(Observations(15), hidden: 8, epochs: 300);

        Assert.False(net.IsIdentity);
    }

    [Fact]
    public void SaveLoad_RoundTrip_SameSlowdown()
    {
        var data = Observations(12);
        using var net = MemoryCorrection.Train(data, hidden: 8, epochs: 100);
        using var stream = new MemoryStream();
        net.Save(stream);
        stream.Position = 0;
        using var loaded = MemoryCorrection.Load(stream);

        foreach (var o in data.Take(20))
        {
            Assert.Equal(net.LogSlowdown(o.Node, o.BaseMs, o.BudgetBytes), loaded.LogSlowdown(o.Node, o.BaseMs, o.BudgetBytes), 5);
        }
    }

    [Fact]
    public void Observations_FromProfileRows_PairConstrainedWithUnlimitedBaseline()
    {
        var config = new OperatorConfig(Core.Graph.OperatorKind.ReLU, 56, 64, 64);
        var model = LearnedLatencyModel.Train(PredictionTestData.Samples(200, 13), LearnerKind.Forest);
        OperatorSample[] rows = [new(config, 0.10), new(config, 0.30, MemoryMb: 200), new(config, double.NaN, MemoryMb: 150)];

        var observation = Assert.Single(MemoryCorrectionEvaluation.Observations(rows, model));

        Assert.Equal(200e6, observation.BudgetBytes);
        Assert.Equal(0.30, observation.MeasuredMs);
        Assert.Equal(3.0, observation.ConstrainedMs / observation.BaseMs, 6);
    }
}
