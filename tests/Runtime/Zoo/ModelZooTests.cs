using AdaMec.Runtime.Zoo;

namespace AdaMec.Runtime.Tests.Zoo;

public sealed class ModelZooTests
{
    [Theory]
    [InlineData("alexnet", 0.714e9)]
    [InlineData("vgg16", 15.47e9)]
    [InlineData("resnet18", 1.814e9)]
    [InlineData("googlenet", 1.498e9)]
    [InlineData("mobilenet_v2", 0.301e9)]
    [InlineData("tiny_yolo", 3.49e9)]
    public void Graph_Macs_WithinTwoPercentOfPublished(string model, double published)
    {
        var macs = ModelZoo.Graph(model).TotalMacs;

        Assert.InRange(macs / published, 0.98, 1.02);
    }

    [Fact]
    public void Graph_UnknownName_NamesKnownModels()
    {
        var error = Assert.Throws<UnknownModelException>(() => ModelZoo.Graph("lenet"));

        Assert.Contains("lenet", error.Message, StringComparison.Ordinal);
        Assert.Contains("resnet18", error.Message, StringComparison.Ordinal);
    }
}
