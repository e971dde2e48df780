using AdaMec.Core.Atoms;
using AdaMec.Core.Context;
using AdaMec.Core.Graph;
using AdaMec.Core.Serialization;
using AdaMec.Prediction.Learning;

namespace AdaMec.Prediction.Tests.Learning;

/// <summary>
/// The exported memory correction, evaluated without TorchSharp or ML.NET (what silos and clients run),
/// against the predictor's own predictions (ML.NET trees for f_pre, the TorchSharp network for f_mem).
/// </summary>
public sealed class AtomMemoryModelsTests
{
    // Ample memory leaves latency alone; below 2.5x the operator's footprint + 150 MB it grows with the shortfall.
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

    private static readonly Lazy<(LearnedLatencyModel Predictor, MemoryObservation[] Data)> Trained = new(() =>
    {
        var data = Observations(21);
        var predictor = LearnedLatencyModel.Train(PredictionTestData.Samples(200, 22), LearnerKind.FastTree);
        predictor.UseMemoryCorrection(MemoryCorrection.Train(data, hidden: 8, epochs: 300));
        return (predictor, data);
    });

    [Fact]
    public void ExportWeights_EvaluatedWithoutTorch_MatchesTheNetwork()
    {
        var (predictor, data) = Trained.Value;
        var memory = predictor.Memory!;
        Assert.False(memory.IsIdentity);
        var weights = memory.ExportWeights();

        foreach (var o in data.Where((_, i) => i % 7 == 0))
        {
            var footprint = o.Node.InputBytes + o.Node.OutputBytes + o.Node.ParameterBytes;
            var exported = MemoryCorrectionEvaluator.LogSlowdown(weights, OperatorFeatures.Extract(o.Node), footprint, o.BaseMs, o.BudgetBytes);
            Assert.Equal(memory.LogSlowdown(o.Node, o.BaseMs, o.BudgetBytes), exported, 4);
        }
    }

    [Fact]
    public void Build_AtomsEvaluatedWithoutLearners_MatchThePredictorsFormula6()
    {
        var (predictor, data) = Trained.Value;
        var nodes = data.Select(o => o.Node).DistinctBy(n => n.Name).Take(12).ToArray();
        AtomSpec[] atoms = [Atom(0, nodes[..5]), Atom(1, nodes[5..])];

        var model = AtomMemoryModels.Build(atoms, predictor)!;
        // It travels as JSON in the manifest: evaluate what a device reads back.
        var read = AtomMemoryModel.Parse(System.Text.Json.JsonSerializer.Serialize(model, AdaMecJson.Compact), atoms.Length);

        foreach (var budget in new[] { 4000e6, 600e6, 250e6, 200e6 })
        {
            for (var i = 0; i < atoms.Length; i++)
            {
                var expected = predictor.PredictAtomMs(atoms[i].Nodes, budget);
                Assert.Equal(expected, MemoryCorrectionEvaluator.AtomMs(read, i, budget), expected * 1e-4);
            }
        }
        // Unconstrained, the operators' f_pre is what the manifest's predictedMs sums.
        Assert.Equal(predictor.PredictAtomMs(atoms[0].Nodes), read.Atoms[0].Sum(o => o.Ms), 1e-9);
    }

    [Fact]
    public void Build_PredictorWithoutFmem_Null()
    {
        var predictor = LearnedLatencyModel.Train(PredictionTestData.Samples(100, 23), LearnerKind.FastTree);
        var node = PredictionTestData.Samples(20, 24)[0].Node;

        Assert.Null(AtomMemoryModels.Build([Atom(0, [node])], predictor));
    }

    private static AtomSpec Atom(int index, OperatorNode[] nodes) => new()
    {
        Id = $"t.a{index}",
        Index = index,
        Operators = nodes.Select(n => n.Name).ToArray(),
        Flops = 1,
        Macs = 1,
        WeightBytes = 1,
        MemoryBytes = 1,
        InputShape = nodes[0].InputShapes[0],
        InputBytes = 1,
        OutputShape = nodes[^1].OutputShape,
        OutputBytes = 1,
        PredictedMs = 1,
        Sha256 = new string('0', 64),
        File = "a.amw",
        FileBytes = 1,
        Nodes = nodes,
    };
}
