using AdaMec.Core.Atoms;
using AdaMec.Core.Partitioning;
using AdaMec.Runtime.Execution;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Atoms;

/// <summary>Cuts a model along a partition result and stores each atom as a weights file plus its spec in manifest.json.</summary>
public static class AtomWriter
{
    public static AtomManifest Write(string directory, PartitionResult partition, GraphSliceModule model, string weightsSource, ulong? seed)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(model);
        Directory.CreateDirectory(directory);
        var graph = partition.Graph;
        var tensors = model.NamedTensors().ToDictionary(t => t.Key, t => t.Tensor);
        var atoms = new List<AtomSpec>();
        foreach (var (start, end) in partition.Ranges)
        {
            var index = atoms.Count;
            var nodes = graph.Slice(start, end);
            var names = new HashSet<string>(nodes.Select(n => n.Name));
            var entries = tensors
                .Where(t => names.Contains(t.Key[..t.Key.LastIndexOf('.')]))
                .Select(t => new WeightsFile.Entry(t.Key, t.Value.shape, ToFloats(t.Value)));
            var file = $"a{index:D2}.amw";
            var (sha, bytes) = WeightsFile.Write(Path.Combine(directory, file), entries);
            atoms.Add(new AtomSpec
            {
                Id = $"{graph.Model}.a{index}",
                Index = index,
                Operators = nodes.Select(n => n.Name).ToArray(),
                Flops = AtomMetrics.Flops(nodes),
                Macs = AtomMetrics.Macs(nodes),
                WeightBytes = AtomMetrics.WeightBytes(nodes),
                MemoryBytes = AtomMetrics.MemoryBytes(nodes),
                InputShape = start == 0 ? graph.InputShape : graph.Nodes[start - 1].OutputShape,
                InputBytes = start == 0 ? graph.InputShape.Bytes : graph.Nodes[start - 1].OutputBytes,
                OutputShape = nodes[^1].OutputShape,
                OutputBytes = nodes[^1].OutputBytes,
                PredictedMs = Math.Round(partition.PredictedMs(start, end), 4),
                Sha256 = sha,
                File = file,
                FileBytes = bytes,
                Nodes = nodes,
            });
        }
        var manifest = new AtomManifest
        {
            Model = graph.Model,
            InputShape = graph.InputShape,
            OutputShape = graph.Output.OutputShape,
            Seed = seed,
            WeightsSource = weightsSource,
            Partition = partition.Report,
            Atoms = atoms,
        };
        manifest.Validate();
        manifest.Save(directory);
        return manifest;
    }

    private static float[] ToFloats(Tensor tensor)
    {
        using var asFloat = tensor.to_type(ScalarType.Float32).contiguous();
        return asFloat.data<float>().ToArray();
    }
}
