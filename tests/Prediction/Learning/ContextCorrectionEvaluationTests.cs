using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Tests.Learning;

public sealed class ContextCorrectionEvaluationTests
{
    // In-model = 1.4 x isolated for conv, 2 x for everything else: a law a learner can hold.
    private static double InModel(OperatorNode node) => (node.Kind == OperatorKind.Conv2d ? 1.4 : 2.0) * PredictionTestData.LawMs(node);

    private static OperatorSample[] Rows(int seed, int networks) =>
        Enumerable.Range(0, networks).SelectMany(i => CalibrationNetworks.Build(seed, i).Nodes)
            .Select(n => new OperatorSample(OperatorConfig.FromNode(n), InModel(OperatorConfig.FromNode(n).ToNode())))
            .ToArray();

    [Fact]
    public void ByNetwork_RowsOfFourNetworks_FourGroupsInOrder()
    {
        var networks = ContextCorrectionEvaluation.ByNetwork(Rows(5, 4), 5);

        Assert.Equal(4, networks.Count);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(CalibrationNetworks.Build(5, i).Model, networks[i].Network.Model);
            Assert.Equal(networks[i].Network.Nodes.Count, networks[i].Operators.Count);
        }
    }

    [Fact]
    public void ByNetwork_WrongSeedOrTruncatedFile_NamesTheRow()
    {
        var rows = Rows(5, 2);

        var wrongSeed = Assert.Throws<InvalidDataException>(() => ContextCorrectionEvaluation.ByNetwork(rows, 6));
        var truncated = Assert.Throws<InvalidDataException>(() => ContextCorrectionEvaluation.ByNetwork(rows.SkipLast(1).ToArray(), 5));

        Assert.Contains("Calibration row 1 ", wrongSeed.Message, StringComparison.Ordinal);
        Assert.Contains("--seed 6", wrongSeed.Message, StringComparison.Ordinal);
        Assert.Contains("the end of the file", truncated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CrossValidate_KnownLaw_EveryHeldOutNetworkClose()
    {
        var networks = ContextCorrectionEvaluation.ByNetwork(Rows(5, 8), 5);

        var results = ContextCorrectionEvaluation.CrossValidate(networks, PredictionTestData.LawMs, k: 4);

        Assert.Equal(8, results.Count);
        Assert.All(results, r => Assert.True(Math.Abs(r.Error) < 0.05, $"{r.Network}: {r.Error:P1}"));
    }

    [Fact]
    public void CrossValidate_FewerNetworksThanFolds_ClearError()
    {
        var networks = ContextCorrectionEvaluation.ByNetwork(Rows(5, 3), 5);

        var error = Assert.Throws<ArgumentException>(() => ContextCorrectionEvaluation.CrossValidate(networks, PredictionTestData.LawMs, k: 4));

        Assert.Contains("at least 4 calibration networks", error.Message, StringComparison.Ordinal);
    }
}
