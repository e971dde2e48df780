using AdaMec.Runtime.Execution;
using AdaMec.Runtime.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Tests.Zoo;

public sealed class StateDictLoaderTests
{
    [Fact]
    public void Load_FileWrittenByTorchSharpModuleSave_AssignsByParameterPath()
    {
        // A TorchSharp module whose parameter paths are those of the zoo's AlexNet ("features.0.weight", ...).
        var graph = ModelZoo.Graph("alexnet");
        using var source = new TorchvisionShapedAlexNet(graph);
        var path = Path.GetTempFileName();
        try
        {
            source.save(path);
            using var model = new GraphSliceModule(graph.Model, graph.Nodes);

            StateDictLoader.Load(model, path);

            var loaded = model.NamedTensors().ToDictionary(t => t.Key, t => t.Tensor);
            foreach (var (key, value) in source.state_dict()) Assert.True(value.allclose(loaded[key], rtol: 0, atol: 0), key);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_WrongModelsWeights_ThrowsListingMissingKeys()
    {
        var path = Path.GetTempFileName();
        try
        {
            using (var other = nn.Sequential(("features", nn.Sequential(nn.Conv2d(3, 8, 3))))) other.save(path);
            using var model = ModelZoo.Create("alexnet");

            var error = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, path));

            Assert.Contains("lacks", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_TruncatedFile_ThrowsInvalidData()
    {
        var path = Path.GetTempFileName();
        try
        {
            using (var m = nn.Sequential(("fc", nn.Linear(10, 10)))) m.save(path);
            File.WriteAllBytes(path, File.ReadAllBytes(path)[..^7]);
            using var model = ModelZoo.Create("alexnet");

            Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class TorchvisionShapedAlexNet : nn.Module
    {
        public TorchvisionShapedAlexNet(Core.Graph.OperatorGraph graph) : base("alexnet")
        {
            var groups = graph.Nodes.Where(n => n.ParameterBytes > 0).GroupBy(n => n.Name.Split('.')[0]);
            foreach (var group in groups)
            {
                var children = group.Select(n => (n.Name.Split('.')[1], (nn.Module)OperatorModules.Create(n)!)).ToArray();
                register_module(group.Key, new Container(children));
            }
        }
    }

    private sealed class Container : nn.Module
    {
        public Container((string Name, nn.Module Module)[] children) : base("container")
        {
            foreach (var (name, module) in children) register_module(name, module);
        }
    }
}
