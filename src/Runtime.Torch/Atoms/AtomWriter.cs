using AdaMec.Core.Atoms;
using AdaMec.Core.Partitioning;
using AdaMec.Runtime.Execution;
using AdaMec.Runtime.Onnx;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Atoms;

/// <summary>
/// Cuts a model along a partition result and stores each atom as a weights file (aNN.amw), as an
/// ONNX model built from the same weights (aNN.onnx), plus its spec in manifest.json.
/// </summary>
public static class AtomWriter
{
    /// <param name="directory">Output folder.</param>
    /// <param name="partition">The cut points.</param>
    /// <param name="model">The whole model with its weights.</param>
    /// <param name="weightsSource">Where the weights came from (recorded in the manifest).</param>
    /// <param name="seed">Seed of zoo weights, or null.</param>
    /// <param name="onnx">Also write each atom as an ONNX model (an operator without an ONNX form then fails, naming it).</param>
    public static AtomManifest Write(string directory, PartitionResult partition, GraphSliceModule model, string weightsSource, ulong? seed, bool onnx = true)
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
            var spec = new AtomSpec
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
            };
            atoms.Add(onnx ? WithOnnx(directory, spec) : spec);
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

    private static AtomSpec WithOnnx(string directory, AtomSpec atom)
    {
        var weights = File.ReadAllBytes(Path.Combine(directory, atom.File));
        byte[] model;
        try
        {
            model = OnnxAtomBuilder.Build(atom, AtomWeights.Verify(weights, atom));
        }
        catch (NotSupportedException e)
        {
            throw new AtomFileException(atom.Id, $"{e.Message} (partition with --no-onnx to write the TorchSharp weights only)", e);
        }
        var file = Path.ChangeExtension(atom.File, ".onnx");
        File.WriteAllBytes(Path.Combine(directory, file), model);
        return atom with
        {
            OnnxFile = file,
            OnnxSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(model)),
            OnnxFileBytes = model.Length,
        };
    }

    private static float[] ToFloats(Tensor tensor)
    {
        using var asFloat = tensor.to_type(ScalarType.Float32).contiguous();
        return asFloat.data<float>().ToArray();
    }
}
