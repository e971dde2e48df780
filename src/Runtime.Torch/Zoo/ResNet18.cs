using AdaMec.Core.Graph;

namespace AdaMec.Runtime.Zoo;

/// <summary>ResNet-18 as in torchvision (1.814 GMACs at 224x224). Each basic block stays whole.</summary>
internal static class ResNet18
{
    public static OperatorGraph Build()
    {
        var b = new GraphBuilder("resnet18", new TensorShape(1, 3, 224, 224));
        var x = b.Conv(GraphBuilder.Input, "conv1", 64, 7, stride: 2, padding: 3, bias: false);
        x = b.ReLU(b.BatchNorm(x, "bn1"), "relu");
        x = b.MaxPool(x, "maxpool", 3, 2, padding: 1);
        var channels = 64;
        foreach (var (layer, width, stride) in new[] { (1, 64, 1), (2, 128, 2), (3, 256, 2), (4, 512, 2) })
        {
            x = BasicBlock(b, x, $"layer{layer}.0", channels, width, stride);
            x = BasicBlock(b, x, $"layer{layer}.1", width, width, 1);
            channels = width;
        }
        x = b.Flatten(b.AdaptiveAvgPool(x, "avgpool", 1), "flatten");
        b.Linear(x, "fc", 1000);
        return b.Build();
    }

    private static int BasicBlock(GraphBuilder b, int x, string name, int inChannels, int width, int stride)
    {
        var y = b.Conv(x, $"{name}.conv1", width, 3, stride: stride, padding: 1, bias: false);
        y = b.ReLU(b.BatchNorm(y, $"{name}.bn1"), $"{name}.relu");
        y = b.BatchNorm(b.Conv(y, $"{name}.conv2", width, 3, padding: 1, bias: false), $"{name}.bn2");
        var identity = x;
        if (stride != 1 || inChannels != width)
        {
            identity = b.Conv(x, $"{name}.downsample.0", width, 1, stride: stride, bias: false);
            identity = b.BatchNorm(identity, $"{name}.downsample.1");
        }
        return b.ReLU(b.Sum($"{name}.add", y, identity), $"{name}.relu_out");
    }
}
