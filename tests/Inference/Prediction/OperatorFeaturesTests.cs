using AdaMec.Core.Graph;
using AdaMec.Inference.Prediction;
using AdaMec.Inference.Profiling;

namespace AdaMec.Inference.Tests.Prediction;

public sealed class OperatorFeaturesTests
{
    private static OperatorNode Conv(int cin, int cout, int groups = 1, int kernel = 3) =>
        new OperatorConfig(OperatorKind.Conv2d, 28, cin, cout, kernel, 1, kernel / 2, groups).ToNode();

    [Theory]
    [InlineData(112, 128, 1.0)]
    [InlineData(100, 128, 112.0 / 100)]
    [InlineData(113, 128, 128.0 / 113)]
    [InlineData(128, 100, 112.0 / 100)]
    [InlineData(100, 100, 112.0 / 100 * 112.0 / 100)]
    [InlineData(3, 64, 1.0)] // an image's channels are read unblocked
    [InlineData(3, 24, 32.0 / 24)]
    public void BlockedFlops_DenseConv_RoundsChannelsUpToWholeBlocks(int cin, int cout, double factor)
    {
        var node = Conv(cin, cout);

        Assert.Equal(node.Flops * factor, OperatorFeatures.BlockedFlops(node), 6);
    }

    [Fact]
    public void BlockedFlops_Depthwise_RoundsTheChannels()
    {
        var node = Conv(24, 24, groups: 24);

        Assert.Equal(node.Flops * 32.0 / 24, OperatorFeatures.BlockedFlops(node), 6);
    }

    [Fact]
    public void BlockedFlops_Grouped_RoundsPerGroup()
    {
        var node = Conv(40, 40, groups: 2); // 20 channels per group: 32 blocked

        Assert.Equal(node.Flops * 32.0 / 20 * 32.0 / 20, OperatorFeatures.BlockedFlops(node), 6);
    }

    [Fact]
    public void BlockedFlops_OtherKinds_AreTheirFlops()
    {
        var pool = new OperatorConfig(OperatorKind.MaxPool2d, 28, 100, 100, 3, 2).ToNode();

        Assert.Equal(pool.Flops, OperatorFeatures.BlockedFlops(pool));
    }
}
