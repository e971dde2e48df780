using System.Collections.Concurrent;
using AdaMec.Core.Partitioning;
using AdaMec.Runtime.Atoms;

namespace AdaMec.Testbed.Tests;

/// <summary>
/// Zoo models partitioned once per test run (FLOPs latency model, no measuring, no ONNX copies) for the stage
/// tests; in /var/tmp, not /tmp (CI's /tmp is small), removed when the run ends. ResNet-18 by default; AlexNet
/// where atoms must be large against a silo's own working set (its two big fully connected layers hold ~220 MB).
/// </summary>
internal static class StageModel
{
    public const string Name = "resnet18";

    /// <summary>Large atoms: a memory cut can ask a device to shed most of them and still leave the silo itself room.</summary>
    public const string Large = "alexnet";

    private static readonly string Root = Path.Combine("/var/tmp", $"adamec-stage-model-{Environment.ProcessId}");
    private static readonly ConcurrentDictionary<string, Lazy<string>> Atoms = new(StringComparer.Ordinal);

    static StageModel() => AppDomain.CurrentDomain.ProcessExit += (_, _) => Delete(Root);

    /// <summary>The atoms folder of ResNet-18.</summary>
    public static string Directory => For(Name);

    /// <summary>The atoms folder of <paramref name="model"/>, partitioned on first use.</summary>
    public static string For(string model) => Atoms.GetOrAdd(model, m => new Lazy<string>(() =>
    {
        var directory = Path.Combine(Root, m);
        ModelPartitioning.Partition(m, directory, new FlopsLatencyModel(), onnx: false);
        return directory;
    })).Value;

    private static void Delete(string root)
    {
        try
        {
            if (System.IO.Directory.Exists(root)) System.IO.Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // a process still holding a file: the OS temp cleaner gets the rest
        }
    }
}
