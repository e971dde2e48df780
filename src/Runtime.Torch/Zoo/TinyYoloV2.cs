using AdaMec.Core.Graph;

namespace AdaMec.Runtime.Zoo;

/// <summary>
/// Tiny-YOLO v2 (darknet yolov2-tiny-voc: 20 classes, 5 anchors, 416x416 input, 13x13x125 output;
/// 3.49 GMACs). Chosen over v3-tiny because its forward pass is a chain with one output tensor;
/// v3-tiny's two detection heads would give the chain two outputs. The region (box decoding) layer
/// is post-processing and not part of the network.
/// </summary>
internal static class TinyYoloV2
{
    private static readonly int[] Widths = [16, 32, 64, 128, 256, 512];

    public static OperatorGraph Build()
    {
        var b = new GraphBuilder("tiny_yolo", new TensorShape(1, 3, 416, 416));
        var x = GraphBuilder.Input;
        var index = 0;
        foreach (var width in Widths)
        {
            x = ConvBnLeaky(b, x, $"layers.{index++}", width);
            if (width < 512)
            {
                x = b.MaxPool(x, $"layers.{index++}", 2, 2);
            }
            else
            {
                // darknet's size-2 stride-1 max pool keeps 13x13 by padding right and bottom.
                x = b.ZeroPadRightBottom(x, $"layers.{index}.pad", 1);
                x = b.MaxPool(x, $"layers.{index++}", 2, 1);
            }
        }
        x = ConvBnLeaky(b, x, $"layers.{index++}", 1024);
        x = ConvBnLeaky(b, x, $"layers.{index++}", 1024);
        b.Conv(x, $"layers.{index}", 125, 1);
        return b.Build();
    }

    private static int ConvBnLeaky(GraphBuilder b, int x, string name, int channels)
    {
        var y = b.Conv(x, $"{name}.conv", channels, 3, padding: 1, bias: false);
        return b.LeakyReLU(b.BatchNorm(y, $"{name}.bn"), $"{name}.leaky", 0.1);
    }
}
