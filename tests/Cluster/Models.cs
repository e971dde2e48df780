using System.Collections.Concurrent;
using AdaMec.Core.Atoms;
using AdaMec.Core.Partitioning;
using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Zoo;
using static TorchSharp.torch;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// Zoo models partitioned at most once per test run (FLOPs latency model: no measuring) and shared by every
/// cluster fixture, plus reference outputs. One copy for the whole run because each partitioned model is
/// hundreds of MB of weight files and a CI machine's /tmp is small; the folder goes when the run ends.
/// </summary>
public sealed class Models
{
    /// <summary>The run's one set of partitioned models.</summary>
    public static Models Shared { get; } = new();

    private const string Prefix = "adamec-cluster-models-";
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
    private readonly ConcurrentDictionary<string, Lazy<(string Directory, AtomManifest Manifest)>> _models = new();

    private Models()
    {
        // The test host is not always let exit on its own (then ProcessExit never runs): a run first removes
        // what runs whose process is gone left behind.
        foreach (var stale in Directory.GetDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            var pid = Path.GetFileName(stale)[Prefix.Length..].Split('-')[0];
            if (int.TryParse(pid, out var id) && !Directory.Exists($"/proc/{id}")) Delete(stale);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Delete(_root);
    }

    /// <summary>
    /// <paramref name="model"/> partitioned with weights from <paramref name="seed"/>; a seed other than
    /// the zoo's default gives atom files (and content hashes) no other test's deployment has. The atoms'
    /// ONNX models are written only when <paramref name="onnx"/> asks for them: they double the bytes.
    /// </summary>
    public (string Directory, AtomManifest Manifest) Get(string model, ulong seed = ModelZoo.DefaultSeed, bool onnx = false) =>
        _models.GetOrAdd($"{model}-{seed}{(onnx ? "-onnx" : "")}", name => new Lazy<(string, AtomManifest)>(() =>
        {
            var directory = Path.Combine(_root, name);
            return (directory, ModelPartitioning.Partition(model, directory, new FlopsLatencyModel(), seed: seed, onnx: onnx));
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

    private static void Delete(string root)
    {
        try { if (Directory.Exists(root)) Directory.Delete(root, recursive: true); }
        catch (IOException) { } // a silo process still holding a file: the OS temp cleaner gets the rest
    }
}
