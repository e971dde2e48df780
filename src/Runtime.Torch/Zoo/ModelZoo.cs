using AdaMec.Core.Graph;
using AdaMec.Runtime.Execution;
using TorchSharp;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Zoo;

/// <summary>
/// The models AdaMec ships: architectures built as operator graphs, instantiated with seeded
/// fan-in initialisation (no weights are downloaded; a user with real weights loads a state dict).
/// </summary>
public static class ModelZoo
{
    /// <summary>Default seed for zoo weights, so every process builds the same model.</summary>
    public const ulong DefaultSeed = 20231001;

    private static readonly Dictionary<string, Func<OperatorGraph>> Architectures = new(StringComparer.OrdinalIgnoreCase)
    {
        ["alexnet"] = AlexNet.Build,
        ["vgg16"] = Vgg16.Build,
        ["resnet18"] = ResNet18.Build,
        ["googlenet"] = GoogLeNet.Build,
        ["mobilenet_v2"] = MobileNetV2.Build,
        ["tiny_yolo"] = TinyYoloV2.Build,
    };

    public static IReadOnlyCollection<string> Names { get; } = Architectures.Keys.ToArray();

    /// <summary>The operator graph of a zoo model; no tensors are allocated.</summary>
    public static OperatorGraph Graph(string name) =>
        Architectures.TryGetValue(name, out var build)
            ? build()
            : throw new UnknownModelException(name, Names);

    /// <summary>The whole model as one executable slice, weights seeded deterministically.</summary>
    public static GraphSliceModule Create(OperatorGraph graph, ulong seed = DefaultSeed)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var model = new GraphSliceModule(graph.Model, graph.Nodes);
        SeededInitialization.Apply(model, seed);
        return model;
    }

    public static GraphSliceModule Create(string name, ulong seed = DefaultSeed) => Create(Graph(name), seed);
}

public sealed class UnknownModelException(string name, IEnumerable<string> known)
    : ArgumentException($"Unknown model '{name}'. Known models: {string.Join(", ", known)}.");
