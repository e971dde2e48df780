using AdaMec.Runtime.Zoo;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Tests.Execution;

public sealed class GraphSliceModuleTests
{
    [Theory]
    [InlineData("alexnet")]
    [InlineData("resnet18")]
    [InlineData("mobilenet_v2")]
    public void Forward_ZooModel_ProducesGraphShapeWithNonTrivialValues(string name)
    {
        var graph = ModelZoo.Graph(name);
        using var model = ModelZoo.Create(graph);
        using var scope = NewDisposeScope();
        using var _ = inference_mode();

        var output = model.call(randn(graph.InputShape.ToLongArray(), generator: new Generator(7)));

        Assert.Equal(graph.Output.OutputShape.ToLongArray(), output.shape);
        var std = output.std().item<float>();
        Assert.InRange(std, 1e-2, 1e4);
        Assert.False(output.isnan().any().item<bool>());
    }
}
