using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Prediction.Tests.Learning;

public sealed class LearnerChoiceTests
{
    [Theory]
    [InlineData("fasttree+mlp", "fasttree+mlp")]
    [InlineData(" fasttree+mlp , conv = fasttree ", "fasttree+mlp,conv=fasttree")]
    [InlineData("fasttree+mlp,maxpool=mlp,conv=fasttree", "fasttree+mlp,conv=fasttree,maxpool=mlp")]
    [InlineData("fasttree,conv=fasttree", "fasttree")]
    public void Parse_WritesBackInOneOrder(string text, string written)
    {
        var choice = LearnerChoice.Parse(text);

        Assert.Equal(written, choice.ToString());
        Assert.Equal(choice, LearnerChoice.Parse(written));
    }

    [Fact]
    public void For_AnExceptedKindGetsItsLearner_OthersTheMainOne()
    {
        var choice = LearnerChoice.Parse("fasttree+mlp,conv=fasttree");

        Assert.Equal(LearnerKind.FastTree, choice.For(OperatorKind.Conv2d));
        Assert.Equal(LearnerKind.FastTreeMlp, choice.For(OperatorKind.MaxPool2d));
        Assert.Equal(LearnerKind.FastTreeMlp, choice.Learner);
    }

    [Theory]
    [InlineData("", "start with the learner")]
    [InlineData("conv=fasttree", "start with the learner")]
    [InlineData("fasttree+mlp,conv", "'conv'")]
    [InlineData("fasttree+mlp,convolution=fasttree", "'convolution'")]
    [InlineData("fasttree+mlp,conv=boosted", "'boosted'")]
    [InlineData("fasttree+mlp,conv=fasttree,conv=mlp", "twice")]
    public void Parse_BadText_FormatErrorNamingThePart(string text, string named)
    {
        var error = Assert.Throws<FormatException>(() => LearnerChoice.Parse(text));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_PerKindChoice_EachKindPredictsAsItsLearnerAlone()
    {
        var data = PredictionTestData.Samples(250, 3);
        var mixed = LearnedLatencyModel.Train(data, LearnerChoice.Parse("fasttree+mlp,conv=fasttree"));
        var trees = LearnedLatencyModel.Train(data, LearnerKind.FastTree);
        var blend = LearnedLatencyModel.Train(data, LearnerKind.FastTreeMlp);

        var nodes = ModelZoo.Graph("resnet18").Nodes;
        var convs = nodes.Where(n => n.Kind == OperatorKind.Conv2d).ToArray();
        var others = nodes.Where(n => n.Kind != OperatorKind.Conv2d && mixed.Kinds.Contains(n.Kind)).ToArray();
        Assert.NotEmpty(convs);
        Assert.NotEmpty(others);
        Assert.All(convs, n => Assert.Equal(trees.PredictBaseMs(n), mixed.PredictBaseMs(n)));
        Assert.All(others, n => Assert.Equal(blend.PredictBaseMs(n), mixed.PredictBaseMs(n)));
        Assert.NotEqual(trees.PredictBaseMs(convs[0]), blend.PredictBaseMs(convs[0]));
        Assert.Equal("predictor:(fasttree+mlp,conv=fasttree)", mixed.Name);
    }

    [Fact]
    public void BestPerKind_EachKindItsMostAccurateLearner_TheMostChosenIsTheMainOne()
    {
        OperatorKind[] kinds = [OperatorKind.Conv2d, OperatorKind.MaxPool2d, OperatorKind.ReLU];
        var samples = PredictionTestData.Samples(20, 5, kinds);
        // Conv: the trees exact, the blend 20% off; the other kinds the other way round.
        var predictions = samples.SelectMany(s => new[]
        {
            new HeldOutPrediction(LearnerKind.FastTree, s, s.LatencyMs * (s.Config.Kind == OperatorKind.Conv2d ? 1 : 1.2)),
            new HeldOutPrediction(LearnerKind.FastTreeMlp, s, s.LatencyMs * (s.Config.Kind == OperatorKind.Conv2d ? 1.2 : 1)),
        }).ToArray();

        var (choice, all) = CrossValidation.BestPerKind(predictions);

        Assert.Equal("fasttree+mlp,conv=fasttree", choice.ToString());
        Assert.Equal((1.0, samples.Count), (all.Within10, all.Count));
        Assert.Equal("fasttree+mlp,conv=fasttree", all.Learner);
    }
}
