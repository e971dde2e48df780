using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Tests.Learning;

public sealed class AdaptiveSamplingTests
{
    [Fact]
    public void Supplement_WeakStratum_DrawsOnlyThereInProportionToMisses()
    {
        var good = new OperatorSample(new OperatorConfig(OperatorKind.Conv2d, 56, 64, 64, 3, 1, 1), 1.0);
        var weak = new OperatorSample(new OperatorConfig(OperatorKind.Conv2d, 56, 64, 64, 7, 2, 3), 1.0);
        HeldOutPrediction[] predictions =
        [
            new(LearnerKind.FastTree, good, 1.01), new(LearnerKind.FastTree, good, 0.99),
            new(LearnerKind.FastTree, weak, 1.5), new(LearnerKind.FastTree, weak, 0.98),
        ];

        var regions = AdaptiveSampling.Regions(predictions);
        var added = AdaptiveSampling.Supplement(regions, 0.9, 10, new SamplingSpace(1), new HashSet<string>());

        Assert.Equal(0.5, regions[0].Within10);
        Assert.NotEmpty(added);
        Assert.All(added, c => Assert.Equal(SamplingSpace.Region(weak.Config), SamplingSpace.Region(c)));
    }
}
