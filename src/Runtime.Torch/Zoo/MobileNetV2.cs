using AdaMec.Core.Graph;

namespace AdaMec.Runtime.Zoo;

/// <summary>MobileNetV2 (width 1.0) as in torchvision (0.301 GMACs at 224x224).</summary>
internal static class MobileNetV2
{
    // expansion t, output channels c, repeats n, first stride s (paper Table 2 of Sandler et al.)
    private static readonly (int T, int C, int N, int S)[] Settings =
        [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

    public static OperatorGraph Build()
    {
        var b = new GraphBuilder("mobilenet_v2", new TensorShape(1, 3, 224, 224));
        var x = ConvBnReLU6(b, GraphBuilder.Input, "features.0", 32, 3, stride: 2);
        var channels = 32;
        var index = 1;
        foreach (var (t, c, n, s) in Settings)
        {
            for (var i = 0; i < n; i++)
            {
                x = InvertedResidual(b, x, $"features.{index++}", channels, c, i == 0 ? s : 1, t);
                channels = c;
            }
        }
        x = ConvBnReLU6(b, x, $"features.{index}", 1280, 1);
        x = b.Flatten(b.AdaptiveAvgPool(x, "avgpool", 1), "flatten");
        b.Linear(b.Dropout(x, "classifier.0", 0.2), "classifier.1", 1000);
        return b.Build();
    }

    private static int InvertedResidual(GraphBuilder b, int x, string name, int inChannels, int outChannels, int stride, int expansion)
    {
        var hidden = inChannels * expansion;
        var y = x;
        var part = 0;
        if (expansion != 1) y = ConvBnReLU6(b, y, $"{name}.conv.{part++}", hidden, 1);
        y = ConvBnReLU6(b, y, $"{name}.conv.{part++}", hidden, 3, stride: stride, groups: hidden);
        y = b.Conv(y, $"{name}.conv.{part++}", outChannels, 1, bias: false);
        y = b.BatchNorm(y, $"{name}.conv.{part}");
        return stride == 1 && inChannels == outChannels ? b.Sum($"{name}.add", x, y) : y;
    }

    private static int ConvBnReLU6(GraphBuilder b, int x, string name, int channels, int kernel, int stride = 1, int groups = 1)
    {
        var y = b.Conv(x, $"{name}.0", channels, kernel, stride: stride, padding: (kernel - 1) / 2, groups: groups, bias: false);
        return b.ReLU6(b.BatchNorm(y, $"{name}.1"), $"{name}.2");
    }
}
