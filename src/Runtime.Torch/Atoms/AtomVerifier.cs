using AdaMec.Core.Atoms;
using AdaMec.Runtime.Execution;
using AdaMec.Runtime.Onnx;
using AdaMec.Runtime.Zoo;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Atoms;

/// <summary>
/// Checks that running the atoms as a chain gives what the whole model gives: at every atom
/// boundary and at the output, the largest absolute difference relative to the tensor's magnitude.
/// </summary>
public static class AtomVerifier
{
    public const double DefaultTolerance = 1e-5;

    public sealed record Boundary(string AtomId, string AfterOperator, double MaxAbsDiff, double Magnitude, double Relative, bool Ok);

    public sealed record Report(string Model, string Reference, IReadOnlyList<Boundary> Boundaries, double Tolerance)
    {
        /// <summary>What ran the chain: "torch" or "onnx".</summary>
        public string Backend { get; init; } = ExecutionBackends.Torch;

        public bool Ok => Boundaries.All(b => b.Ok);
    }

    /// <param name="directory">Folder holding manifest.json and the atom files.</param>
    /// <param name="statedict">Weights the atoms were cut from, when they were not zoo-seeded.</param>
    /// <param name="tolerance">Largest allowed |chained − whole| / max|whole| per boundary.</param>
    /// <param name="backend">
    /// What runs the chain: "torch" (the weights files on TorchSharp) or "onnx" (the folder's ONNX
    /// models on ONNX Runtime). The reference is always the whole model on TorchSharp.
    /// </param>
    public static Report Verify(string directory, string? statedict = null, double tolerance = DefaultTolerance, string backend = ExecutionBackends.Torch)
    {
        var manifest = AtomManifest.Load(directory);
        var runner = backend == ExecutionBackends.Torch ? new TorchBackend(threads: null) : ExecutionBackends.Create(backend);
        // ONNX Runtime runs the folder's own .onnx files: the check covers what partition wrote.
        var atoms = runner is OnnxBackend onnx
            ? AtomFiles.LoadAll(manifest, atom => onnx.LoadModel(atom, AtomFiles.ReadOnnx(directory, atom)))
            : AtomFiles.LoadAll(runner, directory, manifest);
        try
        {
            return Verify(directory, manifest, atoms, statedict, tolerance, runner.Name);
        }
        finally
        {
            foreach (var atom in atoms) atom.Dispose();
        }
    }

    private static Report Verify(string directory, AtomManifest manifest, IExecutableAtom[] atoms, string? statedict, double tolerance, string backend)
    {
        var (whole, reference) = WholeModel(directory, manifest, statedict);
        using var _ = whole;
        using var scope = NewDisposeScope();
        using var mode = inference_mode();

        var input = randn(manifest.InputShape.ToLongArray(), generator: new Generator(42));
        var boundaryIds = manifest.Atoms.Select(a => a.Nodes[^1].Id).ToHashSet();
        var (_, expected) = whole.ForwardCapturing(input, boundaryIds);

        var boundaries = new List<Boundary>();
        AtomFiles.Run(atoms, TensorCodec.Encode(input), (atom, bytes) =>
        {
            using var actual = TensorCodec.Decode(bytes, atom.OutputShape);
            var reference = expected[atom.Nodes[^1].Id];
            var diff = (actual - reference).abs().max().item<float>();
            var magnitude = Math.Max(reference.abs().max().item<float>(), 1e-12);
            var relative = diff / magnitude;
            boundaries.Add(new Boundary(atom.Id, atom.Nodes[^1].Name, diff, magnitude, relative, relative <= tolerance && double.IsFinite(relative)));
        });
        return new Report(manifest.Model, reference, boundaries, tolerance) { Backend = backend };
    }

    // The reference is built independently of the atom files when possible: from the zoo seed, or
    // from the user's state dict. Only as a last resort are the atom files' weights reassembled.
    private static (GraphSliceModule Model, string Source) WholeModel(string directory, AtomManifest manifest, string? statedict)
    {
        var graph = ModelZoo.Graph(manifest.Model);
        if (statedict is not null)
        {
            var model = new GraphSliceModule(graph.Model, graph.Nodes);
            StateDictLoader.Load(model, statedict);
            return (model, $"whole model with weights from {statedict}");
        }
        if (manifest.Seed is { } seed) return (ModelZoo.Create(graph, seed), $"whole zoo model, seed {seed}");

        var assembled = new GraphSliceModule(graph.Model, graph.Nodes);
        var targets = assembled.NamedTensors().ToDictionary(t => t.Key, t => t.Tensor);
        using var _ = no_grad();
        foreach (var atom in manifest.Atoms)
        {
            using var loaded = AtomLoader.Load(directory, atom);
            foreach (var (key, value) in loaded.NamedTensors()) targets[key].copy_(value);
        }
        return (assembled, "whole model reassembled from the atom files");
    }
}
