using AdaMec.Core.Graph;

namespace AdaMec.Runtime.Zoo;

/// <summary>
/// GoogLeNet (Inception v1) as in torchvision, batch-norm variant, in eval mode (no auxiliary
/// classifiers, no input transform): 1.498 GMACs at 224x224. Each inception block stays whole.
/// </summary>
internal static class GoogLeNet
{
    public static OperatorGraph Build()
    {
        var b = new GraphBuilder("googlenet", new TensorShape(1, 3, 224, 224));
        var x = BasicConv(b, GraphBuilder.Input, "conv1", 64, 7, stride: 2, padding: 3);
        x = b.MaxPool(x, "maxpool1", 3, 2, ceilMode: true);
        x = BasicConv(b, x, "conv2", 64, 1);
        x = BasicConv(b, x, "conv3", 192, 3, padding: 1);
        x = b.MaxPool(x, "maxpool2", 3, 2, ceilMode: true);
        x = Inception(b, x, "inception3a", 64, 96, 128, 16, 32, 32);
        x = Inception(b, x, "inception3b", 128, 128, 192, 32, 96, 64);
        x = b.MaxPool(x, "maxpool3", 3, 2, ceilMode: true);
        x = Inception(b, x, "inception4a", 192, 96, 208, 16, 48, 64);
        x = Inception(b, x, "inception4b", 160, 112, 224, 24, 64, 64);
        x = Inception(b, x, "inception4c", 128, 128, 256, 24, 64, 64);
        x = Inception(b, x, "inception4d", 112, 144, 288, 32, 64, 64);
        x = Inception(b, x, "inception4e", 256, 160, 320, 32, 128, 128);
        x = b.MaxPool(x, "maxpool4", 2, 2, ceilMode: true);
        x = Inception(b, x, "inception5a", 256, 160, 320, 32, 128, 128);
        x = Inception(b, x, "inception5b", 384, 192, 384, 48, 128, 128);
        x = b.Flatten(b.AdaptiveAvgPool(x, "avgpool", 1), "flatten");
        b.Linear(b.Dropout(x, "dropout", 0.2), "fc", 1000);
        return b.Build();
    }

    private static int Inception(GraphBuilder b, int x, string name, int ch1, int ch3Reduce, int ch3, int ch5Reduce, int ch5, int poolProjection)
    {
        var branch1 = BasicConv(b, x, $"{name}.branch1", ch1, 1);
        var branch2 = BasicConv(b, BasicConv(b, x, $"{name}.branch2.0", ch3Reduce, 1), $"{name}.branch2.1", ch3, 3, padding: 1);
        // torchvision keeps a 3x3 kernel in the "5x5" branch (a known quirk of its port); so do we.
        var branch3 = BasicConv(b, BasicConv(b, x, $"{name}.branch3.0", ch5Reduce, 1), $"{name}.branch3.1", ch5, 3, padding: 1);
        var pooled = b.MaxPool(x, $"{name}.branch4.0", 3, 1, padding: 1, ceilMode: true);
        var branch4 = BasicConv(b, pooled, $"{name}.branch4.1", poolProjection, 1);
        return b.Concat($"{name}.cat", branch1, branch2, branch3, branch4);
    }

    private static int BasicConv(GraphBuilder b, int x, string name, int channels, int kernel, int stride = 1, int padding = 0)
    {
        var y = b.Conv(x, $"{name}.conv", channels, kernel, stride: stride, padding: padding, bias: false);
        return b.ReLU(b.BatchNorm(y, $"{name}.bn", epsilon: 0.001), $"{name}.relu");
    }
}
