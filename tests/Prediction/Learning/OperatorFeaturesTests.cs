using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Tests.Learning;

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

public sealed class ConvImplementationsTests
{
    private static OperatorNode Conv(int side, int cin, int cout, int kernel, int stride, int groups = 1, int? padding = null) =>
        new OperatorConfig(OperatorKind.Conv2d, side, cin, cout, kernel, stride, padding ?? kernel / 2, groups).ToNode();

    // Each case was checked with ONEDNN_VERBOSE=1 (libtorch 2.10, oneDNN 3.7.1, AVX-512): the
    // kernel named in the log, or no oneDNN convolution at all for the native ones.
    [Theory]
    [InlineData(56, 64, 64, 1, 1, 1, ConvImplementation.Native)]          // 1x1 unstrided, one thread: PyTorch's own
    [InlineData(17, 64, 64, 3, 1, 1, ConvImplementation.Native)]          // 18,496 input elements: too small for oneDNN
    [InlineData(18, 64, 64, 3, 1, 1, ConvImplementation.OneDnnDirect)]    // 20,736
    [InlineData(7, 144, 16, 3, 3, 1, ConvImplementation.Native)]
    [InlineData(13, 10, 13, 5, 1, 1, ConvImplementation.OneDnnDirect)]    // kernels above 3x3 always go to oneDNN
    [InlineData(224, 319, 319, 3, 1, 319, ConvImplementation.OneDnnDepthwise)]
    [InlineData(7, 24, 24, 3, 1, 24, ConvImplementation.OneDnnDepthwise)] // grouped: oneDNN however small
    [InlineData(56, 832, 198, 1, 2, 1, ConvImplementation.OneDnn1x1)]     // the stride divides the side
    [InlineData(55, 832, 198, 1, 2, 1, ConvImplementation.OneDnnDirect)]  // it does not
    [InlineData(219, 3, 320, 3, 2, 1, ConvImplementation.OneDnnDirect)]
    public void Of_MirrorsLibtorchDispatch(int side, int cin, int cout, int kernel, int stride, int groups, ConvImplementation expected)
    {
        Assert.Equal(expected, ConvImplementations.Of(Conv(side, cin, cout, kernel, stride, groups)));
    }

    [Fact]
    public void Of_UnstridedOneByOne_GoesToOneDnnWithThreads()
    {
        Assert.Equal(ConvImplementation.OneDnn1x1, ConvImplementations.Of(Conv(56, 64, 64, 1, 1), threads: 2));
    }

    [Fact]
    public void Of_OtherKinds_AreNone()
    {
        Assert.Equal(ConvImplementation.None, ConvImplementations.Of(new OperatorConfig(OperatorKind.MaxPool2d, 28, 64, 64, 3, 2).ToNode()));
    }

    [Fact]
    public void CopiedElements_OneDnn_CountsBlockedWeightsInputAndOutput()
    {
        // 100 -> 20 channels, 3x3, 28x28 in and out: weights 32x112x9, input 112x28x28, output 32x28x28.
        var node = Conv(28, 100, 20, 3, 1);

        Assert.Equal(32.0 * 112 * 9 + 112 * 28 * 28 + 32 * 28 * 28, OperatorFeatures.CopiedElements(node));
    }

    [Fact]
    public void CopiedElements_FewInputChannels_ReadAsTheyAre()
    {
        // 12 -> 32 channels at 56x56: oneDNN's direct kernel takes the plain input and unpadded weights.
        var node = Conv(56, 12, 32, 3, 1);

        Assert.Equal(32.0 * 12 * 9 + 32 * 56 * 56, OperatorFeatures.CopiedElements(node));
    }

    [Fact]
    public void CopiedElements_Native_CountsTheUnfoldBuffer()
    {
        var unfolded = Conv(14, 64, 64, 3, 1); // 12,544 input elements: native, im2col of 64x9 x 14x14
        var direct = Conv(14, 64, 64, 1, 1, padding: 0);

        Assert.Equal(64.0 * 9 * 14 * 14, OperatorFeatures.CopiedElements(unfolded));
        Assert.Equal(0, OperatorFeatures.CopiedElements(direct));
    }
}
