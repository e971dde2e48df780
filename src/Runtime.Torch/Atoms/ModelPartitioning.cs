using AdaMec.Core.Atoms;
using AdaMec.Core.Partitioning;
using AdaMec.Runtime.Execution;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Runtime.Atoms;

/// <summary>The `adamec partition` pipeline: model → operator graph → benefit-filtered cut points → atom files.</summary>
public static class ModelPartitioning
{
    /// <param name="model">Zoo model name.</param>
    /// <param name="directory">Output folder for manifest.json and the atom files.</param>
    /// <param name="latency">Per-operator latency source; null measures this machine.</param>
    /// <param name="options">Reference contexts of the benefit filter.</param>
    /// <param name="statedict">Real weights (TorchSharp state dict); null uses the seeded zoo weights.</param>
    /// <param name="seed">Seed of the zoo weights.</param>
    /// <param name="onnx">Also write each atom as an ONNX model.</param>
    public static AtomManifest Partition(string model, string directory, IOperatorLatencyModel? latency = null,
        PartitionOptions? options = null, string? statedict = null, ulong seed = ModelZoo.DefaultSeed, bool onnx = true)
    {
        var graph = ModelZoo.Graph(model);
        latency ??= MeasuredLatencyModel.Measure(graph);
        var partition = new PrePartitioner(latency, options).Partition(graph);
        using var module = statedict is null ? ModelZoo.Create(graph, seed) : new GraphSliceModule(graph.Model, graph.Nodes);
        if (statedict is not null) StateDictLoader.Load(module, statedict);
        return AtomWriter.Write(directory, partition, module, statedict is null ? "zoo-seeded" : Path.GetFileName(statedict), statedict is null ? seed : null, onnx);
    }
}
