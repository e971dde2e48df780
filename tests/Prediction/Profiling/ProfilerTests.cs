using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Tests.Profiling;

public sealed class ProfilerTests : IDisposable
{
    private static readonly TimingOptions Quick = new(Warmup: 1, MinRepeats: 3, MaxRepeats: 3, TargetMs: 0);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"adamec-profiler-{Guid.NewGuid():N}.csv");

    [Fact]
    public void Run_AgainWithSameConfigurations_ResumesWithoutRetiming()
    {
        OperatorConfig[] configs =
        [
            new(OperatorKind.Conv2d, 14, 8, 8, 3, 1, 1),
            new(OperatorKind.Concat, 7, 12, 12, Inputs: 3),
            new(OperatorKind.Add, 7, 8, 8, Inputs: 2),
            new(OperatorKind.Linear, 1, 64, 10),
        ];
        var profiler = new Profiler(_path, 1, Quick);

        var first = profiler.Run(configs.Take(2));
        var second = profiler.Run(configs);

        Assert.Equal(2, first.Count);
        Assert.Equal(configs.Skip(2).Select(c => c.Key), second.Select(s => s.Config.Key));
        var stored = SampleCsv.Read(_path);
        Assert.Equal(4, stored.Count);
        Assert.All(stored, s => Assert.True(s.LatencyMs > 0 && s.Repeats == 3 && s.Threads == 1));
    }

    [Fact]
    public void Run_TwoPasses_TwoRowsPerConfigurationCollapsedToOne()
    {
        var config = new OperatorConfig(OperatorKind.ReLU6, 8, 4, 4);

        new Profiler(_path, 1, Quick).Run([config], passes: 2);

        var rows = SampleCsv.Read(_path);
        Assert.Equal(2, rows.Count);
        Assert.Equal(rows.Min(r => r.LatencyMs), Assert.Single(SampleCsv.Collapse(rows)).LatencyMs);
    }

    public void Dispose() => File.Delete(_path);
}
