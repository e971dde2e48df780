using AdaMec.Core.Graph;

namespace AdaMec.Runtime.Zoo;

/// <summary>AlexNet as in torchvision (0.714 GMACs at 224x224).</summary>
internal static class AlexNet
{
    public static OperatorGraph Build()
    {
        var b = new GraphBuilder("alexnet", new TensorShape(1, 3, 224, 224));
        var x = b.ReLU(b.Conv(GraphBuilder.Input, "features.0", 64, 11, stride: 4, padding: 2), "features.1");
        x = b.MaxPool(x, "features.2", 3, 2);
        x = b.ReLU(b.Conv(x, "features.3", 192, 5, padding: 2), "features.4");
        x = b.MaxPool(x, "features.5", 3, 2);
        x = b.ReLU(b.Conv(x, "features.6", 384, 3, padding: 1), "features.7");
        x = b.ReLU(b.Conv(x, "features.8", 256, 3, padding: 1), "features.9");
        x = b.ReLU(b.Conv(x, "features.10", 256, 3, padding: 1), "features.11");
        x = b.MaxPool(x, "features.12", 3, 2);
        x = b.Flatten(b.AdaptiveAvgPool(x, "avgpool", 6), "flatten");
        x = b.Linear(b.Dropout(x, "classifier.0", 0.5), "classifier.1", 4096);
        x = b.Linear(b.Dropout(b.ReLU(x, "classifier.2"), "classifier.3", 0.5), "classifier.4", 4096);
        b.Linear(b.ReLU(x, "classifier.5"), "classifier.6", 1000);
        return b.Build();
    }
}
