using AdaMec.Core.Partitioning;
using AdaMec.Runtime.Atoms;

namespace AdaMec.Testbed.Tests;

/// <summary>
/// ResNet-18 partitioned once per test run (FLOPs latency model, no measuring, no ONNX copies) for the stage
/// tests; in /var/tmp, not /tmp (CI's /tmp is small), removed when the run ends.
/// </summary>
internal static class StageModel
{
    public const string Name = "resnet18";

    private static readonly string Root = Path.Combine("/var/tmp", $"adamec-stage-model-{Environment.ProcessId}");
    private static readonly Lazy<string> Atoms = new(() =>
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Delete(Root);
        var directory = Path.Combine(Root, Name);
        ModelPartitioning.Partition(Name, directory, new FlopsLatencyModel(), onnx: false);
        return directory;
    });

    /// <summary>The atoms folder.</summary>
    public static string Directory => Atoms.Value;

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
