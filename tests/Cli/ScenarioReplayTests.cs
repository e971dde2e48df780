using System.Globalization;
using AdaMec.Core.Partitioning;
using AdaMec.Core.Scenarios;
using AdaMec.Demo.Scenarios;
using AdaMec.Runtime.Atoms;

namespace AdaMec.Cli.Tests;

/// <summary>
/// A short trace replayed on the in-process stage: real silos in this process (EMULATION of speeds and
/// links), a real deployment and requests every 250 ms. The phone is eight times slower than edge-b over a
/// fast link, so atoms go to edge-b; then the link drops to 1 Mbps and the planner must bring them back.
/// </summary>
public sealed class ScenarioReplayTests : IDisposable
{
    private const double LinkDropAt = 6;

    private const string Trace = """
        {
          "name": "link-drop",
          "durationS": 14,
          "requirementMs": 2000,
          "devices": [
            { "id": "phone", "initiator": true, "cpus": 0.125, "memoryLimitMb": 2048 },
            { "id": "edge-b", "cpus": 1, "memoryLimitMb": 2048 }
          ],
          "links": [ { "between": ["phone", "edge-b"], "mbps": 1000 } ],
          "events": [ { "t": 6, "kind": "link", "between": ["phone", "edge-b"], "mbps": 1 } ]
        }
        """;

    private readonly string _atoms = Path.Combine(Path.GetTempPath(), "adamec-replay-test-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_atoms)) Directory.Delete(_atoms, recursive: true);
    }

    [Fact]
    public async Task RunAsync_LinkDropsUnderOffloadedAtoms_RequestsServedEventOnTimeAndReplannedOffTheLink()
    {
        ModelPartitioning.Partition("mobilenet_v2", _atoms, new FlopsLatencyModel());
        var trace = ScenarioTraceJson.Read(Trace);
        var seen = new List<ReplayProgress>();
        var settings = new ScenarioReplaySettings { Trace = trace, AtomsDirectory = _atoms, Model = "mobilenet_v2" };

        Timeline timeline;
        await using (var stage = new InProcessStage())
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(50));
            timeline = await ScenarioReplay.RunAsync(stage, settings, p => { lock (seen) seen.Add(p); }, timeout.Token);
        }

        Assert.Equal("in-process", timeline.Testbed.Mode);
        Assert.All(timeline.Testbed.Limitations, l => Assert.StartsWith("EMULATION", l, StringComparison.Ordinal));
        Assert.True(timeline.Requests.Count >= 10, $"only {timeline.Requests.Count} requests in {trace.DurationS} s");
        Assert.All(timeline.Requests, r => Assert.True(r.Ok, $"request at {r.T:0.0} s failed: {r.Error}"));

        var drop = Assert.Single(timeline.Events);
        Assert.Equal("link", drop.Kind);
        Assert.Equal(1, drop.Mbps);
        Assert.Null(drop.Note);
        Assert.InRange(drop.T, LinkDropAt, LinkDropAt + 3); // never early; late only by the time applying it takes

        var plans = string.Join("; ", timeline.Plans.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.T:0.0} {p.Trigger} [{string.Join(",", p.Assignment)}]")));
        // The event's time is taken once it has been applied, and the re-plan it causes may be recorded
        // before that: what ran before the drop is the last plan before its scheduled time.
        var before = timeline.Plans.Last(p => p.T < LinkDropAt);
        Assert.True(before.Assignment.Contains("edge-b"), "the fast link made offloading worth it, yet before the drop: " + plans);
        var replan = timeline.Plans.FirstOrDefault(p => p.T >= LinkDropAt && p.Trigger.Contains("link", StringComparison.Ordinal));
        Assert.True(replan is not null, "no re-plan after the link drop; plans: " + plans);
        var after = timeline.Plans[^1];
        Assert.True(after.Assignment.Count(d => d == "edge-b") < before.Assignment.Count(d => d == "edge-b"),
            $"edge-b ran {before.Assignment.Count(d => d == "edge-b")} atoms before the drop and {after.Assignment.Count(d => d == "edge-b")} after");

        lock (seen)
        {
            Assert.IsType<ReplayStarted>(seen[0]);
            Assert.Contains(seen, p => p is ReplayEventApplied);
            Assert.Equal(timeline.Requests.Count, seen.Count(p => p is ReplayRequest));
        }
        Assert.False(Directory.Exists(Path.Combine(_atoms, "device-caches")), "the stage left its device caches behind");
    }
}
