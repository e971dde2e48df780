using System.Globalization;
using System.Threading.Channels;
using AdaMec.Client;
using AdaMec.Core.Scenarios;
using AdaMec.Grains;
using AdaMec.Interfaces;
using AdaMec.Runtime.Atoms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace AdaMec.Demo.Scenarios;

/// <summary>Settings of an <see cref="InProcessStage"/>.</summary>
public sealed record InProcessStageSettings
{
    /// <summary>libtorch threads atoms run with: the count the predictor was profiled at, so the planner's estimates hold.</summary>
    /// <value>The default value is 1.</value>
    public int Threads { get; init; } = 1;

    /// <summary>Requests in flight at most: a tick that finds this many still running starts none (it is counted as skipped).</summary>
    /// <value>The default value is 2.</value>
    public int MaxInFlight { get; init; } = 2;

    /// <summary>Silo logging; null: silent.</summary>
    public Action<ILoggingBuilder>? Logging { get; init; }
}

/// <summary>
/// The fallback stage: EMULATION of the testbed inside this process. One silo per edge device via
/// <see cref="DevCluster"/> (loopback, localhost clustering), the phone an <see cref="AdaMecClient"/> in this
/// process. A device's CPU quota becomes its emulation speed factor (1 / cores: atoms run that many times
/// slower than on one core here); a link's rate is declared to the planner per link and shaped on the
/// sender by emulation; budgets go to the device grains; a memory limit can only be a budget here; join
/// starts a silo, leave stops it cleanly, crash stops it without a goodbye, and a freeze (threads of one
/// process cannot be stopped alone) is a crash followed by a fresh silo rejoining when the freeze ends.
/// <see cref="Limitations"/> says all of that, for every line of output.
/// </summary>
public sealed class InProcessStage(InProcessStageSettings? settings = null) : IScenarioStage
{
    private const string ClusterId = "adamec-scenario";
    private readonly InProcessStageSettings _settings = settings ?? new InProcessStageSettings();
    private readonly Channel<StageRequest> _requests = Channel.CreateUnbounded<StageRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, DevCluster> _silos = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TraceDevice> _devices = new(StringComparer.Ordinal);
    private readonly List<TraceLink> _links = [];
    private readonly List<DevCluster> _started = [];
    private readonly List<Task> _rejoins = [];
    private readonly CancellationTokenSource _stop = new();
    private string _cacheRoot = "";
    private string _primary = "";
    private StageStart? _start;
    private AdaMecClient? _client;
    private Deployment? _deployment;
    private Task? _sending;
    private int _skipped;

    /// <inheritdoc />
    public string Mode => "in-process";

    /// <inheritdoc />
    public IReadOnlyList<string> Limitations { get; } =
    [
        "EMULATION: every device is a silo in this one process on this machine's cores; no cgroups, no namespaces",
        "EMULATION: a device's CPU quota is an emulation speed factor (atoms run 1/cpus times slower than on one core here)",
        "EMULATION: links are declared to the planner per link; a sender shapes all its outgoing transfers to its slowest present link",
        "EMULATION: a memory limit is applied as a memory budget (no cgroup memory limit in-process)",
        "EMULATION: a crash stops the silo without a goodbye; a freeze cannot be done in-process (no SIGSTOP for part of a process): emulated as a crash and a fresh silo rejoining when the freeze ends",
    ];

    /// <inheritdoc />
    public ChannelReader<StageRequest> Requests => _requests.Reader;

    /// <summary>Ticks that found <see cref="InProcessStageSettings.MaxInFlight"/> requests still running and started none.</summary>
    public int SkippedTicks => Volatile.Read(ref _skipped);

    /// <inheritdoc />
    public async Task StartAsync(StageStart start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (_start is not null) throw new InvalidOperationException("the stage has started already");
        _start = start;
        var trace = start.Trace;
        foreach (var d in trace.Devices) _devices[d.Id] = d;
        _links.AddRange(trace.Links);
        var initiator = trace.Initiator;
        var edges = trace.Devices.Where(d => !d.Initiator && d.Present).ToList();
        if (edges.Count == 0) throw new ArgumentException($"trace '{trace.Name}': in-process replay needs a device besides the initiator present at the start (a cluster needs a first silo)", nameof(start));
        _cacheRoot = Path.Combine(start.AtomsDirectory, "device-caches");

        var first = await DevCluster.StartAsync([Silo(edges[0], primary: null)], _cacheRoot, ClusterId, _settings.Logging, cancellationToken);
        _silos[edges[0].Id] = first;
        _started.Add(first);
        _primary = first.Services(edges[0].Id).GetRequiredService<ILocalSiloDetails>().SiloAddress.Endpoint.ToString();
        foreach (var edge in edges.Skip(1)) await JoinAsync(edge.Id, cancellationToken);

        var options = new AdaMecClientOptions
        {
            DeviceId = initiator.Id,
            ClusterId = ClusterId,
            SpeedFactor = SpeedFactor(initiator.Cpus),
            InferenceThreads = _settings.Threads,
            Emulation = true,
            EmulatedUplinkMbps = SlowestLink(initiator.Id).Mbps,
            EmulatedUplinkLatencyMs = SlowestLink(initiator.Id).DelayMs,
            MemoryBudgetBytes = initiator.MemoryBudgetMb is { } mb ? (long)(mb * 1e6) : null,
            ComputeBudgetFlops = initiator.ComputeBudgetMflops * 1e6,
        };
        foreach (var silo in _silos.Values) options.Gateways.Add(silo.Gateways[0]);
        _client = await AdaMecClient.ConnectAsync(options, cancellationToken: cancellationToken);
        ShapeAll();
        // Declared before the deployment, so the first plan already sees the trace's links (a declaration overrides measurements).
        foreach (var link in _links) await DeclareAsync(link);

        _deployment = await _client.DeployAsync(start.AtomsDirectory, trace.RequirementMs, start.DeploymentId, cancellationToken);
        var input = TensorCodec.RandomPayload(_deployment.Manifest.InputShape, seed: 7);
        byte[] reference;
        using (var chain = AtomChain.Load(start.AtomsDirectory)) reference = chain.Run(input);
        var firstAnswer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _sending = Task.Run(() => SendAsync(_deployment, input, reference, start.RequestInterval, firstAnswer), CancellationToken.None);
        await firstAnswer.Task.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task ApplyAsync(TraceEvent change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var deployment = _deployment ?? throw new InvalidOperationException("start the stage first");
        switch (change)
        {
            case LinkChanged c:
                var i = _links.FindIndex(l => l.Joins(c.A, c.B));
                if (i < 0) throw new ArgumentException($"no link joins {c.A} and {c.B}", nameof(change));
                _links[i] = _links[i] with { Mbps = c.Mbps ?? _links[i].Mbps, DelayMs = c.DelayMs ?? _links[i].DelayMs };
                await DeclareAsync(_links[i]);
                Shape(c.A);
                Shape(c.B);
                break;
            case RequirementChanged c:
                await deployment.SetLatencyRequirementAsync(c.Ms);
                break;
            case MemoryBudgetChanged c:
                await SetBudgetsAsync(Update(c.Device, d => d with { MemoryBudgetMb = c.Mb }));
                break;
            case MemoryLimitChanged c:
                // No cgroup in-process: the limit becomes a budget, the smaller of the two.
                var device = Update(c.Device, d => d with { MemoryLimitMb = c.Mb });
                await SetBudgetsAsync(device with { MemoryBudgetMb = Math.Min(c.Mb, device.MemoryBudgetMb ?? double.MaxValue) });
                break;
            case ComputeBudgetChanged c:
                await SetBudgetsAsync(Update(c.Device, d => d with { ComputeBudgetMflops = c.Mflops }));
                break;
            case CpuQuotaChanged c:
                var quota = Update(c.Device, d => d with { Cpus = c.Cpus });
                if (quota.Initiator) _client!.Options.SpeedFactor = SpeedFactor(c.Cpus);
                else Options<DeviceOptions>(c.Device).SpeedFactor = SpeedFactor(c.Cpus);
                break;
            case DeviceJoined c:
                await JoinAsync(c.Device, cancellationToken);
                break;
            case DeviceLeft c:
                await Take(c.Device).StopSiloAsync(c.Device, cancellationToken);
                ShapeAll();
                break;
            case DeviceCrashed c:
                await Take(c.Device).KillSiloAsync(c.Device);
                ShapeAll();
                break;
            case DeviceFroze c:
                await Take(c.Device).KillSiloAsync(c.Device);
                ShapeAll();
                lock (_rejoins) _rejoins.Add(RejoinAsync(c.Device, TimeSpan.FromSeconds(c.ForS)));
                break;
            default:
                throw new NotSupportedException($"the in-process stage has no rule for '{change.Kind}' events");
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PlanRecord>> GetPlansAsync(CancellationToken cancellationToken) =>
        await (_deployment ?? throw new InvalidOperationException("start the stage first")).GetHistoryAsync().WaitAsync(cancellationToken);

    /// <inheritdoc />
    public async Task StopRequestsAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        if (_sending is not null) await _sending.WaitAsync(cancellationToken);
        _requests.Writer.TryComplete();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_sending is not null)
        {
            try { await _sending; }
            catch (OperationCanceledException) { }
        }
        _requests.Writer.TryComplete();
        Task[] rejoins;
        lock (_rejoins) rejoins = [.. _rejoins];
        await Task.WhenAll(rejoins.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        _deployment?.Dispose();
        if (_client is not null) await _client.DisposeAsync();
        // The primary's cluster last: the others joined through it.
        List<DevCluster> started;
        lock (_silos)
        {
            started = [.. _started];
            _started.Clear();
            _silos.Clear();
        }
        foreach (var silos in Enumerable.Reverse(started)) await silos.DisposeAsync();
        _stop.Dispose();
        if (_cacheRoot.Length > 0 && Directory.Exists(_cacheRoot)) Directory.Delete(_cacheRoot, recursive: true);
    }

    /// <summary>Emulation speed factor of a device with <paramref name="cpus"/> cores: how many times slower than one core here its atoms run.</summary>
    public static double SpeedFactor(double cpus) => Math.Clamp(1 / cpus, 0.01, 1000);

    /// <summary>Sends a request every interval (at most <see cref="InProcessStageSettings.MaxInFlight"/> at once) until stopped.</summary>
    private async Task SendAsync(Deployment deployment, byte[] input, byte[] reference, TimeSpan interval, TaskCompletionSource firstAnswer)
    {
        var inFlight = new List<Task>();
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                inFlight.RemoveAll(t => t.IsCompleted);
                if (inFlight.Count >= _settings.MaxInFlight)
                {
                    Interlocked.Increment(ref _skipped);
                    continue;
                }
                inFlight.Add(OneAsync());
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException) { }
        // Outstanding requests end by themselves: each is bounded by the client's response and segment timeouts.
        await Task.WhenAll(inFlight);

        async Task OneAsync()
        {
            StageRequest outcome;
            try
            {
                var r = await deployment.InferAsync(input, CancellationToken.None);
                var difference = TensorCodec.RelativeDifference(r.Output, reference);
                outcome = difference <= 1e-3
                    ? new StageRequest(DateTimeOffset.UtcNow, true, r.LatencyMs, r.PlanVersion, r.Assignment, null)
                    : new StageRequest(DateTimeOffset.UtcNow, false, r.LatencyMs, r.PlanVersion, r.Assignment,
                        string.Create(CultureInfo.InvariantCulture, $"output differs from the local run by {difference:0.0e0} (relative)"));
            }
            catch (Exception e)
            {
                outcome = new StageRequest(DateTimeOffset.UtcNow, false, 0, 0, [], $"{e.GetType().Name}: {e.Message}");
            }
            _requests.Writer.TryWrite(outcome);
            firstAnswer.TrySetResult();
        }
    }

    private DevSilo Silo(TraceDevice device, string? primary)
    {
        var link = SlowestLink(device.Id);
        var settings = new Dictionary<string, string?>
        {
            ["Device:SpeedFactor"] = SpeedFactor(device.Cpus).ToString(CultureInfo.InvariantCulture),
            ["Device:InferenceThreads"] = _settings.Threads.ToString(CultureInfo.InvariantCulture),
            ["Device:MemoryBudgetMb"] = Budget(device).MemoryBudgetMb?.ToString(CultureInfo.InvariantCulture),
            ["Device:ComputeBudgetMflops"] = device.ComputeBudgetMflops?.ToString(CultureInfo.InvariantCulture),
            ["Emulation:Enabled"] = "true",
            ["Emulation:LinkMbps"] = link.Mbps.ToString(CultureInfo.InvariantCulture),
            ["Emulation:LinkLatencyMs"] = link.DelayMs.ToString(CultureInfo.InvariantCulture),
            ["Planner:Strategy"] = _start!.Strategy,
        };
        // A device that joins later enters the running cluster through its primary silo.
        if (primary is not null) settings["Silo:Primary"] = primary;
        return new DevSilo(device.Id, settings);
    }

    private async Task JoinAsync(string device, CancellationToken cancellationToken)
    {
        if (_silos.ContainsKey(device)) throw new InvalidOperationException($"{device} is already running");
        var joined = await DevCluster.StartAsync([Silo(_devices[device], _primary)], _cacheRoot, ClusterId, _settings.Logging, cancellationToken);
        lock (_silos)
        {
            _silos[device] = joined;
            _started.Add(joined);
        }
        ShapeAll();
    }

    private async Task RejoinAsync(string device, TimeSpan after)
    {
        try
        {
            await Task.Delay(after, _stop.Token);
            await JoinAsync(device, _stop.Token);
        }
        catch (OperationCanceledException) { }
    }

    private DevCluster Take(string device)
    {
        lock (_silos)
        {
            if (!_silos.Remove(device, out var silos)) throw new InvalidOperationException($"{device} is not running");
            return silos;
        }
    }

    private TraceDevice Update(string id, Func<TraceDevice, TraceDevice> change) => _devices[id] = change(_devices[id]);

    /// <summary>A device's budgets as the planner sees them here: a memory limit counts as a budget.</summary>
    private static TraceDevice Budget(TraceDevice d) =>
        d with { MemoryBudgetMb = Math.Min(d.MemoryLimitMb, d.MemoryBudgetMb ?? double.MaxValue) };

    private async Task SetBudgetsAsync(TraceDevice device)
    {
        if (device.Initiator) throw new NotSupportedException($"in-process, the initiator {device.Id}'s budgets are fixed when it connects");
        var d = Budget(device);
        await _client!.Cluster.GetGrain<IDeviceGrain>(device.Id).SetBudgetsAsync(new DeviceBudgets((long?)(d.MemoryBudgetMb * 1e6), d.ComputeBudgetMflops * 1e6));
    }

    private async Task DeclareAsync(TraceLink link)
    {
        await _client!.Cluster.GetGrain<ILinkGrain>(GrainKeys.Link(link.A, link.B)).DeclareAsync(link.Mbps, link.DelayMs);
        await _client.Cluster.GetGrain<ILinkGrain>(GrainKeys.Link(link.B, link.A)).DeclareAsync(link.Mbps, link.DelayMs);
    }

    /// <summary>The slowest link from <paramref name="device"/> to a device that is there (any link when none is).</summary>
    private TraceLink SlowestLink(string device)
    {
        var mine = _links.Where(l => l.A == device || l.B == device).ToList();
        if (mine.Count == 0) return new TraceLink(device, device, 100_000, 0);
        var present = mine.Where(l => IsPresent(l.A == device ? l.B : l.A)).ToList();
        return (present.Count > 0 ? present : mine).OrderBy(l => l.Mbps).ThenByDescending(l => l.DelayMs).First();
    }

    private bool IsPresent(string device)
    {
        if (_devices.TryGetValue(device, out var d) && d.Initiator) return true;
        lock (_silos) return _silos.ContainsKey(device);
    }

    private void ShapeAll()
    {
        foreach (var id in _devices.Keys) Shape(id);
    }

    /// <summary>
    /// EMULATION: sets the rate and delay <paramref name="device"/>'s outgoing transfers are shaped to, on its
    /// running silo (the options instance its grains read on every transfer) or on the phone's client.
    /// </summary>
    private void Shape(string device)
    {
        var link = SlowestLink(device);
        if (_devices[device].Initiator)
        {
            if (_client is null) return;
            _client.Options.EmulatedUplinkMbps = link.Mbps;
            _client.Options.EmulatedUplinkLatencyMs = link.DelayMs;
            return;
        }
        lock (_silos)
        {
            if (!_silos.ContainsKey(device)) return;
        }
        var emulation = Options<EmulationOptions>(device);
        emulation.LinkMbps = link.Mbps;
        emulation.LinkLatencyMs = link.DelayMs;
    }

    private T Options<T>(string device) where T : class
    {
        DevCluster silos;
        lock (_silos) silos = _silos.TryGetValue(device, out var s) ? s : throw new InvalidOperationException($"{device} is not running");
        return silos.Services(device).GetRequiredService<IOptions<T>>().Value;
    }
}
