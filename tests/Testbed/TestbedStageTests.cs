using System.Collections.Concurrent;
using AdaMec.Core.Scenarios;
using AdaMec.Demo.Scenarios;
using Xunit.Abstractions;

namespace AdaMec.Testbed.Tests;

/// <summary>
/// The expected behaviour of AdaMec on the real testbed (issue 18): each test brings up a testbed with silos and
/// the phone process through <see cref="TestbedStage"/>, applies one kind of event and checks what the
/// requests and the plan history show. Skipped with the reason where the machine cannot host a testbed.
/// </summary>
#pragma warning disable CA1001 // the stage is disposed by IAsyncLifetime.DisposeAsync, which xunit calls after each test
public sealed class TestbedStageTests(ITestOutputHelper output) : IAsyncLifetime
#pragma warning restore CA1001
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly string _state = Path.Combine(Path.GetTempPath(), $"adamec-stage-{Guid.NewGuid():N}.json");
    private readonly ConcurrentQueue<StageRequest> _seen = new();
    private TestbedStage? _stage;
    private Task? _collector;

    [SkippableFact]
    public async Task Crash_DeviceHoldingAtomsKilledMidStream_ItsAtomsArePlacedElsewhereAndNoRequestIsLostOrHangs()
    {
        var stage = await StartAsync(Trace("crash", [Device("edge-b", 1), Device("edge-c", 1)]));
        var before = await SettledAssignmentAsync();
        var victim = before.Where(d => d != "phone").GroupBy(d => d).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();
        if (victim is null) await StopAsync();
        Skip.If(victim is null, "the planner kept every atom on the phone: no device to crash");
        var requestsBefore = _seen.Count;
        var version = _seen.Last().PlanVersion;

        var crashed = DateTimeOffset.UtcNow;
        await stage.ApplyAsync(new DeviceCrashed(0, victim), default);
        var first = await WaitForAsync(r => r.At > crashed, TimeSpan.FromMinutes(1));
        var replaced = await WaitForAsync(r => r.Ok && r.PlanVersion > version && !r.Assignment.Contains(victim), TimeSpan.FromMinutes(2));
        output.WriteLine($"crashed {victim}: first answer {(first.At - crashed).TotalSeconds:0.0} s later ({first.LatencyMs:0} ms, [{string.Join(",", first.Assignment)}]), first on a new plan without it {(replaced.At - crashed).TotalSeconds:0.0} s later ([{string.Join(",", replaced.Assignment)}])");
        await StopAsync();

        Assert.False(stage.Testbed!.Running(victim, "silo").Count > 0, $"{victim}'s silo still runs after kill -9");
        var requests = _seen.ToList();
        Assert.True(requests.Count > requestsBefore + 1, "no requests after the crash");
        Assert.All(requests, r => Assert.True(r.Ok, $"a request failed: {r.Error}"));
        var plans = await stage.GetPlansAsync(default);
        Assert.Contains(plans, p => p.At > crashed && !p.NewPlan.Contains(victim));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_stage is not null) await _stage.DisposeAsync();
        if (_collector is not null) await _collector.WaitAsync(TimeSpan.FromSeconds(30));
        if (_stage?.Testbed is { } testbed) AssertNothingLeft(testbed.State);
        if (File.Exists(_state)) Testbed.Down(_state);
    }

    private static void AssertNothingLeft(TestbedState state)
    {
        Assert.False(File.Exists(state.PostgresFolder) || Directory.Exists(state.PostgresFolder), "the PostgreSQL folder is left");
        Assert.False(Directory.Exists(state.SilosFolder), "the silos' folder is left");
        Assert.DoesNotContain(Directory.GetFiles("/run/netns"), n => n.Contains($"adamec-{state.Tag}-", StringComparison.Ordinal));
        Assert.DoesNotContain($"am{state.Tag}", File.ReadAllText("/proc/net/dev"), StringComparison.Ordinal);
        Assert.False(Cgroups.Detect(out _)!.Exists(state.CgroupRoot), "the testbed's cgroup is left");
        Assert.All(state.Processes, p => Assert.False(Testbed.IsRunning(p.Pid), $"the {p.Role} of {p.Device} (pid {p.Pid}) still runs"));
    }

    private async Task<TestbedStage> StartAsync(ScenarioTrace trace, string strategy = "dp")
    {
        var why = Testbed.WhyNot();
        Skip.If(why is not null, why);
        Skip.If(TestbedPostgres.BinFolder(out var noPostgres) is null, noPostgres);
        var atoms = StageModel.Directory;
        _stage = new TestbedStage(new TestbedStageOptions(_state, Path.Combine(AppContext.BaseDirectory, "adamec-silo.dll"), Path.Combine(AppContext.BaseDirectory, "adamec.dll"), line => output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}")));
        await _stage.StartAsync(new StageStart(trace, atoms, strategy, Interval, "phone/" + StageModel.Name), default);
        var reader = _stage.Requests;
        _collector = Task.Run(async () =>
        {
            await foreach (var r in reader.ReadAllAsync())
            {
                _seen.Enqueue(r);
                output.WriteLine($"{r.At:HH:mm:ss.fff} request ok={r.Ok} {r.LatencyMs:0.0} ms v{r.PlanVersion} [{string.Join(",", r.Assignment)}] {r.Error}");
            }
        });
        return _stage;
    }

    private async Task StopAsync()
    {
        await _stage!.StopRequestsAsync(default).WaitAsync(TimeSpan.FromMinutes(2));
        await _collector!.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>The assignment once five requests in a row ran on the same one (atoms have moved where the planner wants them).</summary>
    private async Task<IReadOnlyList<string>> SettledAssignmentAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            var last = _seen.TakeLast(5).ToList();
            if (last.Count == 5 && last.All(r => r.Ok && r.Assignment.SequenceEqual(last[0].Assignment))) return last[0].Assignment;
            await Task.Delay(Interval);
        }

        throw new TimeoutException("the assignment did not settle within 3 minutes");
    }

    private async Task<StageRequest> WaitForAsync(Func<StageRequest, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_seen.FirstOrDefault(match) is { } found) return found;
            await Task.Delay(Interval);
        }

        throw new TimeoutException($"no such request within {timeout.TotalSeconds:0} s");
    }

    private static TraceDevice Device(string id, double cpus, bool present = true, double memoryMb = 2048) =>
        new(id, false, cpus, memoryMb, null, null, present);

    /// <summary>The phone (a fifth of a CPU: slower than the edges) and <paramref name="edges"/>, every pair linked at 400 Mbps (transfers cheap, so offloading pays); the test applies the events itself.</summary>
    private static ScenarioTrace Trace(string name, IReadOnlyList<TraceDevice> edges, double mbps = 400)
    {
        var devices = new List<TraceDevice> { new("phone", true, 0.2, 2048, null, null, true) };
        devices.AddRange(edges);
        var links = new List<TraceLink>();
        for (var i = 0; i < devices.Count; i++)
            for (var j = i + 1; j < devices.Count; j++)
                links.Add(new TraceLink(devices[i].Id, devices[j].Id, mbps, 0));
        return new ScenarioTrace(name, "stage test", 60, 1000, devices, links, []);
    }
}
