using System.Collections.Concurrent;
using AdaMec.Core.Atoms;
using AdaMec.Core.Partitioning;
using AdaMec.Runtime.Atoms;

namespace AdaMec.Runtime.Tests;

/// <summary>
/// Partitions each zoo model at most once per test run (VGG16 alone writes 553 MB of weights) and
/// shares the folders across test classes. Uses the analytic FLOPs latency model so partitioning
/// does not spend time measuring.
/// </summary>
public sealed class PartitionedModels : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "adamec-tests-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ConcurrentDictionary<string, Lazy<(string Directory, AtomManifest Manifest)>> _models = new();

    public (string Directory, AtomManifest Manifest) Get(string model) =>
        _models.GetOrAdd(model, m => new Lazy<(string, AtomManifest)>(() =>
        {
            var directory = Path.Combine(_root, m);
            return (directory, ModelPartitioning.Partition(m, directory, new FlopsLatencyModel()));
        })).Value;

    /// <summary>A private copy of a partitioned model that a test may damage.</summary>
    public string CopyOf(string model)
    {
        var (source, _) = Get(model);
        var copy = Path.Combine(_root, $"{model}-copy-{Guid.NewGuid():N}");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class SharedPartitions : ICollectionFixture<PartitionedModels>
{
    public const string Name = "partitioned zoo models";
}
