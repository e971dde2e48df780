using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Prediction.Tests.Profiling;

public sealed class CalibrationNetworksTests
{
    [Fact]
    public void Build_SameSeedAndIndex_SameNetwork_DifferentIndex_DifferentNetwork()
    {
        var a = CalibrationNetworks.Build(3, 1);
        var b = CalibrationNetworks.Build(3, 1);
        var c = CalibrationNetworks.Build(3, 2);

        Assert.Equal(a.Nodes.Select(n => OperatorConfig.FromNode(n).Key), b.Nodes.Select(n => OperatorConfig.FromNode(n).Key));
        Assert.NotEqual(a.Model, c.Model);
    }

    [Fact]
    public void Build_FiveStyles_CoverTheZoosOperatorKindsButAreNotZooModels()
    {
        var graphs = Enumerable.Range(0, 20).Select(i => CalibrationNetworks.Build(1, i)).ToArray();
        var kinds = graphs.SelectMany(g => g.Nodes).Select(n => n.Kind).ToHashSet();
        var zooConfigs = SamplingSpace.ZooConfigs().Select(c => c.Key).ToHashSet();
        var configs = graphs.SelectMany(g => g.Nodes).Select(n => OperatorConfig.FromNode(n).Key).Distinct().ToArray();

        foreach (var kind in new[] { OperatorKind.Conv2d, OperatorKind.BatchNorm2d, OperatorKind.ReLU, OperatorKind.ReLU6, OperatorKind.Add, OperatorKind.Concat, OperatorKind.MaxPool2d, OperatorKind.Linear })
        {
            Assert.Contains(kind, kinds);
        }
        Assert.Contains(graphs.SelectMany(g => g.Nodes), n => n.Kind == OperatorKind.Conv2d && n.Attributes.Groups > 1);
        Assert.True(configs.Count(zooConfigs.Contains) < configs.Length / 10, "calibration networks should not repeat the zoo");
    }

    [Fact]
    public void Build_MobileStyle_ManyGentlyWideningSeparableStagesAndAWideHead()
    {
        var mobile = Enumerable.Range(0, 40).Where(i => i % 5 == 4).Select(i => CalibrationNetworks.Build(1, i)).ToArray();
        var separable = Enumerable.Range(0, 40).Where(i => i % 5 == 2).Select(i => CalibrationNetworks.Build(1, i)).ToArray();

        static double MeanDepthwise(IEnumerable<OperatorGraph> graphs) =>
            graphs.Average(g => g.Nodes.Count(n => n.Kind == OperatorKind.Conv2d && n.Attributes.Groups > 1));
        Assert.All(mobile, g => Assert.EndsWith("-mobile", g.Model, StringComparison.Ordinal));
        Assert.All(mobile, g => Assert.Contains(g.Nodes, n => n.Name == "head.conv" && n.Attributes.KernelSize == 1));
        Assert.All(mobile, g => Assert.DoesNotContain(g.Nodes, n => n.Name.StartsWith("head.fc1", StringComparison.Ordinal)));
        Assert.True(MeanDepthwise(mobile) > MeanDepthwise(separable), $"{MeanDepthwise(mobile)} vs {MeanDepthwise(separable)} depthwise convs");
    }

    [Fact]
    public void Time_TwoNetworks_OneFinitePositiveSamplePerOperator()
    {
        var samples = CalibrationNetworks.TimeInside([CalibrationNetworks.Build(9, 0), CalibrationNetworks.Build(9, 1)], threads: 1);

        var operators = CalibrationNetworks.Build(9, 0).Nodes.Count + CalibrationNetworks.Build(9, 1).Nodes.Count;
        Assert.Equal(operators, samples.Count);
        Assert.All(samples, s => Assert.True(double.IsFinite(s.LatencyMs) && s.LatencyMs >= 0, $"{s.Config.Key}: {s.LatencyMs}"));
        Assert.Contains(samples, s => s.LatencyMs > 0.01);
    }

    [Fact]
    public void TimeInside_TwoPasses_OneSamplePerOperatorFromBothPasses()
    {
        var graph = CalibrationNetworks.Build(9, 2);

        var samples = CalibrationNetworks.TimeInside([graph], threads: 1, passes: 2);

        Assert.Equal(graph.Nodes.Select(n => OperatorConfig.FromNode(n).Key), samples.Select(s => s.Config.Key));
        Assert.All(samples, s => Assert.Equal(2 * OperatorTimer.InsideRepeats, s.Repeats));
        Assert.All(samples, s => Assert.True(double.IsFinite(s.LatencyMs) && s.LatencyMs >= 0, $"{s.Config.Key}: {s.LatencyMs}"));
        Assert.Throws<ArgumentOutOfRangeException>(() => CalibrationNetworks.TimeInside([graph], threads: 1, passes: 0));
    }

    [Fact]
    public void Build_EveryNetwork_RunsEndToEnd()
    {
        for (var i = 0; i < 8; i++)
        {
            var graph = CalibrationNetworks.Build(2, i);
            using var module = ModelZoo.Create(graph);
            using var output = module.call(TorchSharp.torch.randn(graph.InputShape.ToLongArray()));

            Assert.Equal(graph.Nodes[^1].OutputShape.ToLongArray(), output.shape);
        }
    }
}
