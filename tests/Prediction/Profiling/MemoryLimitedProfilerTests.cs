using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Tests.Profiling;

/// <summary>The child-process loop of `profile memory`, with a shell script standing in for the profiler child.</summary>
public sealed class MemoryLimitedProfilerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("adamec-memprofile-").FullName;

    // The stand-in child: the first time it announces a configuration in --current-key-file and dies
    // as the kernel's OOM killer leaves it (exit 137); the second time it finishes.
    private static string Child(string marker, string key) => $$"""
        key_file=""; while [ $# -gt 0 ]; do [ "$1" = "--current-key-file" ] && key_file="$2"; shift; done
        if [ ! -f '{{marker}}' ]; then touch '{{marker}}'; printf '%s' '{{key}}' > "$key_file"; exit 137; fi
        exit 0
        """;

    [Fact]
    public void Run_ChildKilledWhileTiming_RecordsThatConfigurationUnmeasuredAndCarriesOn()
    {
        var config = new SamplingSpace(3).Draw(OperatorKind.Conv2d);
        var samples = Path.Combine(_directory, "samples.csv");
        var log = new StringWriter();
        var child = new ProfilerCommand("sh", ["-c", Child(Path.Combine(_directory, "started-once"), config.Key), "child"]);

        new MemoryLimitedProfiler(child, log).Run(samples, Path.Combine(_directory, "configs.csv"), 1, 512, limit: null);

        var row = Assert.Single(SampleCsv.ReadRows(new StreamReader(samples), samples));
        Assert.Equal(config.Key, row.Config.Key);
        Assert.True(double.IsNaN(row.LatencyMs));
        Assert.Equal(512, row.MemoryMb);
        Assert.Contains("child killed (exit 137)", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("512 MB: done", log.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
