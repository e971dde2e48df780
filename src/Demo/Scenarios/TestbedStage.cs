using System.Threading.Channels;
using AdaMec.Client;
using AdaMec.Core.Scenarios;
using AdaMec.Interfaces;
using AdaMec.Testbed;

namespace AdaMec.Demo.Scenarios;

/// <summary>Where the real stage keeps its testbed and finds its programs.</summary>
/// <param name="StatePath">The testbed's state file (<c>adamec testbed down --state</c> removes what a crashed run left).</param>
/// <param name="SiloDll">adamec-silo.dll, started per device.</param>
/// <param name="CliDll">adamec.dll: the phone runs <c>adamec client</c>.</param>
/// <param name="Log">Told each step (testbed made, silo started, event applied); null: silent.</param>
public sealed record TestbedStageOptions(string StatePath, string SiloDll, string CliDll, Action<string>? Log = null)
{
    /// <summary>The default state file and the programs next to the running one.</summary>
    public static TestbedStageOptions Default(Action<string>? log = null) =>
        new(AdaMec.Testbed.Testbed.DefaultStatePath, Path.Combine(AppContext.BaseDirectory, "adamec-silo.dll"), TestbedPhone.DefaultCliDll, log);
}

/// <summary>
/// The real mode of a scenario replay (docs/testbed.md, "The stage"): a testbed of the trace (a network namespace
/// and cgroups per device, htb-shaped veth links, its own PostgreSQL), a silo process per device, the phone a
/// process too (<c>adamec client</c> in the initiator's namespace and cgroups), and each event applied to the
/// kernel or to the processes: tc for links, cgroup files for limits, signals for leave, crash and freeze. This
/// process is the orchestrator: an Orleans client in the host's namespace for the planner and device grains.
/// </summary>
public sealed partial class TestbedStage(TestbedStageOptions options) : IScenarioStage, IDeviceMemoryPeaks
{
    // The phone deploys (loads every atom, the planner plans, atoms move) before its first answer.
    private static readonly TimeSpan FirstAnswerTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromMinutes(2);
    // How long a device has to shed atoms under an announced memory cut before the hard limit follows.
    private static readonly TimeSpan MemoryCutSettle = TimeSpan.FromSeconds(30);

    private readonly Channel<StageRequest> _requests = Channel.CreateUnbounded<StageRequest>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });
    private readonly List<string> _limitations = [];
    private readonly Dictionary<string, (double? MemoryBudgetMb, double? ComputeBudgetMflops)> _budgets = new(StringComparer.Ordinal);
    private readonly List<Task> _background = [];
    private readonly CancellationTokenSource _disposing = new();
    private AdaMec.Testbed.Testbed? _testbed;
    private AdaMecClient? _orchestrator;
    private StageStart? _start;
    private PhoneStream? _phone;

    /// <inheritdoc />
    public string Mode => "real";

    /// <inheritdoc />
    public IReadOnlyList<string> Limitations
    {
        get
        {
            lock (_limitations) return [.. _limitations];
        }
    }

    /// <inheritdoc />
    public ChannelReader<StageRequest> Requests => _requests.Reader;

    /// <summary>The testbed once <see cref="StartAsync"/> made it (status, tests).</summary>
    public AdaMec.Testbed.Testbed? Testbed => _testbed;

    /// <inheritdoc />
    public bool ResetPeakMemory() => _testbed?.ResetPeakMemory() ?? false;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, long> PeakMemoryBytes() => _testbed?.PeakMemory() ?? new Dictionary<string, long>();

    /// <inheritdoc />
    public string PeakMemorySource(bool reset) => (_testbed?.CgroupVersion ?? "") == "v2"
        ? "measured peak memory per device = cgroup v2 memory.peak of the device's processes (page cache included), since the testbed made the cgroup"
        : "measured peak memory per device = cgroup v1 memory.max_usage_in_bytes of the device's processes (page cache included)" + (reset ? ", reset when the replay starts (after the deploy)" : ", since the testbed made the cgroup");

    /// <summary>The orchestrator's Orleans client once connected (grain queries beyond the stage's own).</summary>
    public IClusterClient? Cluster => _orchestrator?.Cluster;

    /// <inheritdoc />
    public async Task StartAsync(StageStart start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (_start is not null) throw new InvalidOperationException("the stage is started already");
        if (start.RequestInterval <= TimeSpan.Zero) throw new ArgumentException($"RequestInterval must be > 0, got {start.RequestInterval}", nameof(start));
        if (!Directory.Exists(start.AtomsDirectory)) throw new ArgumentException($"AtomsDirectory {start.AtomsDirectory} not found", nameof(start));
        _start = start;
        var trace = start.Trace;
        foreach (var device in trace.Devices) _budgets[device.Id] = (device.MemoryBudgetMb, device.ComputeBudgetMflops);

        await Task.Run(() =>
        {
            if (AdaMec.Testbed.Testbed.WhyNot() is { } why) throw new TestbedException($"the real testbed cannot run here: {why}");
            if (trace.Devices.Count(d => !d.Initiator) > 1)
                Limit("the phone's Orleans client sends each grain call through one of the gateways, so a call to an atom on one edge can cross the phone's link to another edge and then the link between the edges; the planner counts the direct link");
            if (NeedsDelay(trace) && !NetworkFabric.HasNetem()) Limit("link delay not applied: this kernel has no netem (links are rate-shaped with htb only)");
            _testbed = AdaMec.Testbed.Testbed.Up(trace, trace.Name, options.StatePath, postgres: true, log: options.Log);
            _testbed.RouteDevicesFromHost();
            TestbedSilos.Start(_testbed, options.SiloDll, _budgets, options.Log, start.Strategy);
        }, cancellationToken);

        var postgres = _testbed!.State.Postgres!;
        _orchestrator = await AdaMecClient.ConnectAsync(
            new AdaMecClientOptions { DeviceId = "orchestrator", PostgresConnection = postgres.ConnectionString, ClusterId = TestbedSilos.ClusterId(_testbed.State) },
            cancellationToken: cancellationToken);
        options.Log?.Invoke($"orchestrator connected to cluster {TestbedSilos.ClusterId(_testbed.State)} from the host's namespace (routes over {_testbed.State.Management!.Bridge})");

        var intervalMs = (int)Math.Ceiling(start.RequestInterval.TotalMilliseconds);
        // Bounded: the trace's duration twice over plus two minutes of requests, then the phone stops by itself.
        var requests = (int)Math.Min(100_000, Math.Ceiling((2 * trace.DurationS + 120) * 1000 / intervalMs));
        var pid = TestbedPhone.Start(_testbed, options.CliDll, start.AtomsDirectory, start.DeploymentId, trace.RequirementMs, requests, intervalMs);
        options.Log?.Invoke($"phone: adamec client in {_testbed.State.Devices.Single(d => d.Place.Id == trace.Initiator.Id).Place.Namespace}, pid {pid}, log {TestbedPhone.LogPath(_testbed.State)}");
        _phone = new PhoneStream(_testbed, pid, TestbedPhone.LogPath(_testbed.State), _requests.Writer);
        await _phone.WaitForFirstAnswerAsync(FirstAnswerTimeout, cancellationToken);
    }

    /// <inheritdoc />
    public async Task ApplyAsync(TraceEvent change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var testbed = _testbed ?? throw new InvalidOperationException("StartAsync first");
        var start = _start!;
        switch (change)
        {
            case LinkChanged link:
                if (!await Task.Run(() => testbed.Shape(link.A, link.B, link.Mbps, link.DelayMs), cancellationToken))
                    Limit("link delay not applied: this kernel has no netem (links are rate-shaped with htb only)");
                break;
            case RequirementChanged requirement:
                await Cluster!.GetGrain<IPlannerGrain>(start.DeploymentId).SetLatencyRequirementAsync(requirement.Ms).WaitAsync(cancellationToken);
                break;
            case MemoryLimitChanged memory:
                CutMemory(testbed, memory.Device, memory.Mb);
                break;
            case CpuQuotaChanged cpu:
                await Task.Run(() => testbed.SetCpus(cpu.Device, cpu.Cpus), cancellationToken);
                break;
            case MemoryBudgetChanged budget:
                await SetBudgetsAsync(budget.Device, b => b with { MemoryBudgetMb = budget.Mb }, cancellationToken);
                break;
            case ComputeBudgetChanged budget:
                await SetBudgetsAsync(budget.Device, b => b with { ComputeBudgetMflops = budget.Mflops }, cancellationToken);
                break;
            case DeviceJoined joined:
                Join(testbed, joined.Device, start.Strategy);
                break;
            case DeviceLeft left:
                SignalSilo(testbed, left.Device, "TERM");
                break;
            case DeviceCrashed crashed:
                SignalSilo(testbed, crashed.Device, "KILL");
                break;
            case DeviceFroze froze:
                Freeze(testbed, froze.Device, TimeSpan.FromSeconds(froze.ForS));
                break;
            default:
                throw new ArgumentException($"the testbed stage has no rule for a '{change.Kind}' event", nameof(change));
        }

        options.Log?.Invoke($"applied {change.Kind} at t={change.T:0.###} s: {change}");
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PlanRecord>> GetPlansAsync(CancellationToken cancellationToken)
    {
        var cluster = Cluster ?? throw new InvalidOperationException("StartAsync first");
        return await cluster.GetGrain<IPlannerGrain>(_start!.DeploymentId).GetHistoryAsync().WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task StopRequestsAsync(CancellationToken cancellationToken)
    {
        if (_phone is null)
        {
            _requests.Writer.TryComplete();
            return Task.CompletedTask;
        }

        return _phone.StopAsync(cancellationToken);
    }

    /// <summary>Stops the phone and every silo and removes the testbed (namespaces, veths, cgroups, database), also after a failed start.</summary>
    public async ValueTask DisposeAsync()
    {
        await _disposing.CancelAsync();
        try
        {
            await Task.WhenAll(_background).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or TestbedException)
        {
            // A thaw or join watch ended by the disposal: down kills what is left.
        }

        if (_phone is not null)
        {
            await _phone.DisposeAsync();
            options.Log?.Invoke($"phone's output besides requests: {_phone.OtherOutput}");
        }
        if (_orchestrator is not null)
        {
            try
            {
                await _orchestrator.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException)
            {
                // The gateways may be gone (crashed devices): the testbed is removed regardless.
            }
        }

        _requests.Writer.TryComplete();
        // Only a testbed this stage made: Up removes what it made itself when it fails, and refuses (touching
        // nothing) when another testbed is recorded at the state path.
        if (_testbed is not null && File.Exists(options.StatePath))
        {
            var removed = await Task.Run(() => AdaMec.Testbed.Testbed.Down(options.StatePath));
            options.Log?.Invoke($"testbed down: {removed.Count} things removed");
        }

        _disposing.Dispose();
    }

    private async Task SetBudgetsAsync(string device, Func<(double? MemoryBudgetMb, double? ComputeBudgetMflops), (double? MemoryBudgetMb, double? ComputeBudgetMflops)> change, CancellationToken cancellationToken)
    {
        if (!_budgets.TryGetValue(device, out var budget)) throw new ArgumentException($"unknown device '{device}'");
        budget = _budgets[device] = change(budget);
        // The same units as adamec-silo's --memory-budget-mb and --compute-budget-mflops (DeviceGrain).
        var budgets = new DeviceBudgets(budget.MemoryBudgetMb is { } mb ? (long)(mb * 1024 * 1024) : null, budget.ComputeBudgetMflops is { } mflops ? mflops * 1e6 : null);
        await Cluster!.GetGrain<IDeviceGrain>(device).SetBudgetsAsync(budgets).WaitAsync(cancellationToken);
    }

    private void Join(AdaMec.Testbed.Testbed testbed, string device, string strategy)
    {
        if (testbed.Running(device, "silo").Count > 0) throw new TestbedException($"{device} joins but its silo already runs");
        var started = DateTimeOffset.UtcNow;
        TestbedSilos.StartOne(testbed, options.SiloDll, device, _budgets[device], options.Log, strategy);
        // Joining takes seconds: the replay goes on; the watch only says when the silo became a member.
        Watch(Task.Run(
            () =>
            {
                try
                {
                    TestbedSilos.WaitUntilActive(testbed, [device], JoinTimeout);
                    options.Log?.Invoke($"silo {device} active {(DateTimeOffset.UtcNow - started).TotalSeconds:0.0} s after it started");
                }
                catch (TestbedException e)
                {
                    options.Log?.Invoke($"silo {device} did not join: {e.Message}");
                }
            },
            _disposing.Token));
    }

    /// <summary>
    /// Lowers (or raises) a device's memory limit as the kernel lets a running process live through it
    /// (<see cref="AdaMec.Testbed.Testbed.CutMemoryLimit"/>): announced at once, enforced once the device has shed
    /// atoms to fit. The replay goes on meanwhile; the watch logs where the hard limit landed.
    /// </summary>
    private void CutMemory(AdaMec.Testbed.Testbed testbed, string device, double mb)
    {
        var limit = testbed.Status().Devices.Single(d => d.Id == device).MemoryLimitMb;
        if (limit is null || mb >= limit.Value)
        {
            testbed.SetMemoryLimit(device, mb);
            return;
        }

        Watch(Task.Run(
            () =>
            {
                var cut = testbed.CutMemoryLimit(device, mb, MemoryCutSettle, _disposing.Token);
                options.Log?.Invoke(FormattableString.Invariant($"memory limit of {device} {mb:0} MB: hard limit {cut.HardLimitBytes / 1e6:0} MB after {cut.Waited.TotalSeconds:0.0} s (working set {cut.WorkingSetBeforeBytes / 1e6:0} -> {cut.WorkingSetAfterBytes / 1e6:0} MB, {cut.OomKills} OOM kills)"));
                if (!cut.Reached)
                    Limit(FormattableString.Invariant($"memory limit of {device} held at {cut.HardLimitBytes / 1e6:0} MB, not {mb:0} MB: its working set stayed at {cut.WorkingSetAfterBytes / 1e6:0} MB for {MemoryCutSettle.TotalSeconds:0} s (the kernel refuses a limit under memory it cannot reclaim, and kills on the next allocation over one just above)"));
            },
            _disposing.Token));
    }

    private static void SignalSilo(AdaMec.Testbed.Testbed testbed, string device, string signal)
    {
        var silos = testbed.Running(device, "silo");
        if (silos.Count == 0) throw new TestbedException($"{device} has no running silo to {(signal == "KILL" ? "crash" : "stop")}");
        foreach (var pid in silos) testbed.Signal(pid, signal);
    }

    private void Freeze(AdaMec.Testbed.Testbed testbed, string device, TimeSpan duration)
    {
        var silos = testbed.Running(device, "silo");
        if (silos.Count == 0) throw new TestbedException($"{device} has no running silo to freeze");
        foreach (var pid in silos) testbed.Signal(pid, "STOP");
        var stopped = DateTimeOffset.UtcNow;
        Watch(Task.Run(async () =>
        {
            try
            {
                await Task.Delay(duration, _disposing.Token);
            }
            finally
            {
                // Also when disposing: a stopped process would outlive SIGTERM (down's SIGKILL does not care, but a thaw is cheap).
                foreach (var pid in silos) testbed.Signal(pid, "CONT");
                options.Log?.Invoke($"{device} thawed (SIGCONT) after {(DateTimeOffset.UtcNow - stopped).TotalSeconds:0.0} s");
            }
        }));
    }

    private void Watch(Task task)
    {
        lock (_background) _background.Add(task);
    }

    private void Limit(string line)
    {
        lock (_limitations)
            if (!_limitations.Contains(line)) _limitations.Add(line);
    }

    private static bool NeedsDelay(ScenarioTrace trace) =>
        trace.Links.Any(l => l.DelayMs > 0) || trace.Events.OfType<LinkChanged>().Any(l => l.DelayMs > 0);
}
