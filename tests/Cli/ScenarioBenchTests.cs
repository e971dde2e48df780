using System.Text.Json;
using AdaMec.Cli.Commands;
using AdaMec.Core.Partitioning;
using AdaMec.Core.Scenarios;
using AdaMec.Demo.Scenarios;
using AdaMec.Runtime.Atoms;

namespace AdaMec.Cli.Tests;

/// <summary>
/// `adamec bench scenario`: the comparison on a short in-process run (two strategies, real silos in this
/// process, EMULATION of speeds and links), its JSON contract and table, the summary arithmetic, and bad options.
/// </summary>
public sealed class ScenarioBenchTests : IDisposable
{
    // The phone is eight times slower than edge-b over a fast link: dp offloads, local never does.
    private const string Trace = """
        {
          "name": "bench-short",
          "durationS": 12,
          "requirementMs": 2000,
          "devices": [
            { "id": "phone", "initiator": true, "cpus": 0.125, "memoryLimitMb": 2048 },
            { "id": "edge-b", "cpus": 1, "memoryLimitMb": 2048 }
          ],
          "links": [ { "between": ["phone", "edge-b"], "mbps": 1000 } ],
          "events": [ { "t": 5, "kind": "requirement", "ms": 1500 } ]
        }
        """;

    private readonly string _atoms = Path.Combine(Path.GetTempPath(), "adamec-bench-scenario-test-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_atoms)) Directory.Delete(_atoms, recursive: true);
    }

    [Fact]
    public async Task RunAsync_DpAndLocalInProcess_ReportsEachStrategyInTheJsonContractAndTable()
    {
        ModelPartitioning.Partition("mobilenet_v2", _atoms, new FlopsLatencyModel());
        var settings = new ScenarioReplaySettings { Trace = ScenarioTraceJson.Read(Trace), AtomsDirectory = _atoms, Model = "mobilenet_v2" };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(80));

        var report = await ScenarioComparison.RunAsync(settings, ["dp", "local"], () => new InProcessStage(), cancellationToken: timeout.Token);

        Assert.Equal("in-process", report.Mode);
        Assert.Equal(["dp", "local"], report.Results.Select(r => r.Strategy));
        foreach (var r in report.Results)
        {
            Assert.True(r.Ok >= 5 && r.Ok == r.Requests, $"{r.Strategy}: {r.Ok}/{r.Requests} ok");
            Assert.True(r.MeanMs > 0 && r.P95Ms >= r.MeanMs * 0.5, $"{r.Strategy}: mean {r.MeanMs}, p95 {r.P95Ms}");
            Assert.InRange(r.MetFraction, 0, 1);
            Assert.Single(r.TimeToBenefitMs);
        }
        var dp = report.Results[0];
        var local = report.Results[1];
        Assert.Equal(0, local.BytesMovedTotal);
        Assert.Equal(0, local.PeakAtomMemoryBytes["edge-b"]);
        Assert.True(local.PeakAtomMemoryBytes["phone"] > 0);
        Assert.True(dp.BytesMovedTotal > 0, "dp moved no weights to the faster edge");
        Assert.True(dp.PeakAtomMemoryBytes["edge-b"] > 0);

        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        Assert.Equal("bench-short", root.GetProperty("trace").GetString());
        Assert.Equal("in-process", root.GetProperty("mode").GetString());
        Assert.Contains(root.GetProperty("limitations").EnumerateArray(), l => l.GetString()!.StartsWith("EMULATION", StringComparison.Ordinal));
        var first = root.GetProperty("results")[0];
        foreach (var name in new[] { "strategy", "requests", "ok", "meanMs", "p95Ms", "metFraction", "timeToBenefitMs", "bytesMoved", "bytesMovedTotal", "peakAtomMemoryBytes" })
            Assert.True(first.TryGetProperty(name, out _), $"results[0] has no '{name}'");
        Assert.Equal("requirement", first.GetProperty("timeToBenefitMs")[0].GetProperty("kind").GetString());
        // In-process devices share one process: no kernel figure per device, and the field says so with null.
        Assert.Equal(JsonValueKind.Null, first.GetProperty("peakMeasuredMemoryBytes").ValueKind);
        Assert.Equal(report.Results.Count, ScenarioComparisonReport.FromJson(report.ToJson()).Results.Count);

        var table = ScenarioBenchCommand.Table(report);
        Assert.Equal(["dp (AdaMec)", "local"], table.Rows.Select(r => r[0]));
        Assert.All(table.Rows, r => Assert.Equal("EMULATION in-process", r[1]));
    }

    [Fact]
    public void Summarise_HandMadeTimeline_UsesTheRequirementInForceAndThePlanAfterEachEvent()
    {
        var testbed = new TimelineTestbed("in-process", "t", "m", "dp", "phone", ["phone", "edge"], 100, 10, 1, 250, [], DateTimeOffset.UnixEpoch);
        TimelineEvent[] events = [new(5, TraceEventKinds.Requirement, 5, "requirement 50 ms", null) { Ms = 50 }];
        TimelineRequest[] requests =
        [
            new(1, true, 80, ["phone", "phone"], 1, null), // meets 100
            new(2, true, 120, ["edge", "phone"], 2, null), // misses 100
            new(6, true, 60, ["edge", "edge"], 3, null),   // misses 50 (in force since t = 5)
            new(7, false, 0, [], 0, "boom"),
        ];
        TimelinePlan[] plans =
        [
            new(-1, "deploy", ["edge", "edge"], 1, 300, null, 1, true, 50, true),
            new(5.1, "requirement", ["edge", "edge"], 1, 200, 420, 2, true, 40, true),
        ];

        var result = ScenarioComparison.Summarise("dp", new Timeline(testbed, events, requests, plans), [1000, 3000]);

        Assert.Equal(4, result.Requests);
        Assert.Equal(3, result.Ok);
        Assert.Equal(0.25, result.MetFraction);
        Assert.Equal(260.0 / 3, result.MeanMs!.Value, 9);
        Assert.Equal(120, result.P95Ms);
        Assert.Equal(420, Assert.Single(result.TimeToBenefitMs).Ms);
        Assert.Equal(200, result.BytesMoved);
        Assert.Equal(500, result.BytesMovedTotal);
        Assert.Equal(4000, result.PeakAtomMemoryBytes["edge"]);
        Assert.Equal(4000, result.PeakAtomMemoryBytes["phone"]);
    }

    [Fact]
    public void BenchScenario_MissingTraceFile_ExitsTwoNamingTheOption()
    {
        var result = AdamecProcess.Run("bench", "scenario", "--trace", "/nonexistent/trace.json");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--trace", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void BenchScenario_UnknownStrategy_ExitsTwoNamingTheOptionAndTheName()
    {
        var result = AdamecProcess.Run("bench", "scenario", "--trace", "link", "--strategies", "dp,magic");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--strategies", result.Error, StringComparison.Ordinal);
        Assert.Contains("'magic'", result.Error, StringComparison.Ordinal);
    }
}
