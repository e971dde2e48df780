using AdaMec.Core.Graph;

namespace AdaMec.Runtime.Zoo;

/// <summary>VGG16 (configuration D, no batch norm) as in torchvision (15.47 GMACs at 224x224).</summary>
internal static class Vgg16
{
    private static readonly int[] Configuration = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];

    public static OperatorGraph Build()
    {
        var b = new GraphBuilder("vgg16", new TensorShape(1, 3, 224, 224));
        var x = GraphBuilder.Input;
        var index = 0;
        foreach (var channels in Configuration)
        {
            if (channels == 0)
            {
                x = b.MaxPool(x, $"features.{index++}", 2, 2);
                continue;
            }
            x = b.Conv(x, $"features.{index++}", channels, 3, padding: 1);
            x = b.ReLU(x, $"features.{index++}");
        }
        x = b.Flatten(b.AdaptiveAvgPool(x, "avgpool", 7), "flatten");
        x = b.Dropout(b.ReLU(b.Linear(x, "classifier.0", 4096), "classifier.1"), "classifier.2", 0.5);
        x = b.Dropout(b.ReLU(b.Linear(x, "classifier.3", 4096), "classifier.4"), "classifier.5", 0.5);
        b.Linear(x, "classifier.6", 1000);
        return b.Build();
    }
}
