using AdaMec.Core.Graph;

namespace AdaMec.Core.Tests.Graph;

public sealed class OperatorGraphTests
{
    [Fact]
    public void ValidCutPoints_ResidualBlock_StaysWhole()
    {
        var b = new GraphBuilder("toy", new TensorShape(1, 8, 16, 16));
        var stem = b.ReLU(b.Conv(GraphBuilder.Input, "stem", 8, 3, padding: 1), "stem.relu");
        var branch = b.Conv(b.ReLU(b.Conv(stem, "block.conv1", 8, 3, padding: 1), "block.relu"), "block.conv2", 8, 3, padding: 1);
        var sum = b.Sum("block.add", branch, stem);
        b.ReLU(sum, "block.out");
        var graph = b.Build();

        // Boundaries: 1 after stem conv, 2 after stem relu, 3..5 inside the block (the skip tensor
        // also crosses), 6 after the add.
        Assert.Equal([1, 2, 6], graph.ValidCutPoints());
        Assert.Equal(2, graph.TensorsCrossing(4));
    }

    [Fact]
    public void Build_ShapeMismatchBetweenProducerAndConsumer_Throws()
    {
        var shape = new TensorShape(1, 3, 8, 8);
        var producer = new OperatorNode(0, "a", OperatorKind.ReLU, [OperatorNode.GraphInput], [shape], shape, OperatorAttributes.None, 0, 0, 0);
        var wrong = new OperatorNode(1, "b", OperatorKind.ReLU, [0], [new TensorShape(1, 4, 8, 8)], shape, OperatorAttributes.None, 0, 0, 0);

        var error = Assert.Throws<ArgumentException>(() => new OperatorGraph("m", shape, [producer, wrong]));
        Assert.Contains("'b'", error.Message, StringComparison.Ordinal);
    }
}
