using System.Collections.Concurrent;
using AdaMec.Core.Atoms;
using AdaMec.Core.Partitioning;
using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Zoo;
using static TorchSharp.torch;

namespace AdaMec.Cluster.Tests;

/// <summary>Zoo models partitioned once per fixture (FLOPs latency model: no measuring), plus reference outputs.</summary>
public sealed class Models : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "adamec-cluster-models-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ConcurrentDictionary<string, Lazy<(string Directory, AtomManifest Manifest)>> _models = new();

    /// <summary>
    /// <paramref name="model"/> partitioned with weights from <paramref name="seed"/>; a seed other than
    /// the zoo's default gives atom files (and content hashes) no other test's deployment has.
    /// </summary>
    public (string Directory, AtomManifest Manifest) Get(string model, ulong seed = ModelZoo.DefaultSeed) =>
        _models.GetOrAdd($"{model}-{seed}", name => new Lazy<(string, AtomManifest)>(() =>
        {
            var directory = Path.Combine(_root, name);
            return (directory, ModelPartitioning.Partition(model, directory, new FlopsLatencyModel(), seed: seed));
        })).Value;

    /// <summary>A seeded random input of the model's input shape.</summary>
    public static byte[] Input(AtomManifest manifest, int seed = 42) => TensorCodec.RandomPayload(manifest.InputShape, (ulong)seed);

    /// <summary>The whole zoo model (built from its seed, not from the atom files) on one device.</summary>
    public static byte[] WholeModelOutput(AtomManifest manifest, byte[] input)
    {
        using var whole = ModelZoo.Create(ModelZoo.Graph(manifest.Model), manifest.Seed ?? ModelZoo.DefaultSeed);
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var x = TensorCodec.Decode(input, manifest.InputShape);
        return TensorCodec.Encode(whole.call(x));
    }

    /// <summary>max |a - b| / max |b|.</summary>
    public static double RelativeDifference(byte[] actual, byte[] expected) => TensorCodec.RelativeDifference(actual, expected);

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
