using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Prediction.Tests.Profiling;

public sealed class SamplingSpaceTests
{
    [Fact]
    public void Draw_AllKinds_CoversEveryKindTheZooUses()
    {
        var drawn = new SamplingSpace(1).Draw(SamplingSpace.Kinds, 400).Select(c => c.Kind).ToHashSet();

        var zoo = SamplingSpace.ZooKinds();
        Assert.Empty(zoo.Except(drawn));
        Assert.Contains(OperatorKind.Concat, zoo);
    }

    [Fact]
    public void Draw_Conv_CoversTableOneKernelsStridesAndDepthwise()
    {
        var convs = new SamplingSpace(2).Draw([OperatorKind.Conv2d], 600);

        Assert.Superset(new HashSet<int> { 1, 3, 5, 7 }, convs.Select(c => c.Kernel).ToHashSet());
        Assert.Superset(new HashSet<int> { 1, 2, 3 }, convs.Select(c => c.Stride).ToHashSet());
        Assert.Contains(convs, c => c.Groups > 1 && c.Groups == c.Cin && c.Cin == c.Cout);
        Assert.All(convs, c => Assert.InRange(c.ToNode().Flops, 1, SamplingSpace.MaxConvFlops));
    }

    [Fact]
    public void Draw_SameSeedAndCount_SameConfigurations()
    {
        var a = new SamplingSpace(5).Draw(SamplingSpace.Kinds, 120).Select(c => c.Key);
        var b = new SamplingSpace(5).Draw(SamplingSpace.Kinds, 120).Select(c => c.Key);

        Assert.Equal(a, b);
    }

    [Fact]
    public void FromNodeToNode_EveryZooOperator_SameShapesAndCosts()
    {
        foreach (var node in ModelZoo.Names.SelectMany(n => ModelZoo.Graph(n).Nodes))
        {
            var config = OperatorConfig.FromNode(node);
            var rebuilt = config.ToNode();

            // Element-wise ops after a flatten see [1, F]; their configuration rebuilds them as [1, F, 1, 1].
            Assert.Equal(node.OutputShape.Elements, rebuilt.OutputShape.Elements);
            if (node.OutputShape.Rank == 4) Assert.Equal(node.OutputShape, rebuilt.OutputShape);
            Assert.Equal(node.Flops, rebuilt.Flops);
            Assert.Equal(node.InputBytes, rebuilt.InputBytes);
            Assert.Equal(node.Kind == OperatorKind.Conv2d && !node.Attributes.Bias ? node.ParameterBytes + node.OutputShape.Channels * 4L : node.ParameterBytes,
                rebuilt.ParameterBytes);
            Assert.Equal(config, OperatorConfig.FromKey(config.Key));
        }
    }

    [Fact]
    public void Region_SameKernelStrideAndScale_SameStratum()
    {
        var a = new OperatorConfig(OperatorKind.Conv2d, 56, 64, 64, 3, 1, 1);
        var b = new OperatorConfig(OperatorKind.Conv2d, 56, 64, 80, 3, 1, 1);
        var c = new OperatorConfig(OperatorKind.Conv2d, 56, 64, 64, 5, 1, 2);

        Assert.Equal(SamplingSpace.Region(a), SamplingSpace.Region(b));
        Assert.NotEqual(SamplingSpace.Region(a), SamplingSpace.Region(c));
    }
}
