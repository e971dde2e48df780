using System.Text.Json;
using AdaMec.Core.Atoms;
using AdaMec.Core.Deployments;
using AdaMec.Core.Planning;
using AdaMec.Core.Serialization;
using AdaMec.Interfaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace AdaMec.Grains;

/// <summary>
/// One per deployment. Re-plans on context or membership change, offloads atoms in the planner's
/// order, and switches the live plan atom by atom as each becomes resident, so requests keep
/// flowing on the old plan until the new one is ready. Keeps the plan history.
/// Reentrant: requests for the plan are served while atoms are being offloaded.
/// </summary>
[Reentrant]
[CollectionAgeLimit(Days = 7)]
#pragma warning disable CA1001 // the semaphore lives as long as the activation; nothing waits on its handle
internal sealed class PlannerGrain(
    IClusterMembershipService membership,
    IOptions<PlannerOptions> options,
    ILogger<PlannerGrain> logger) : Grain, IPlannerGrain
{
    private readonly SemaphoreSlim _planning = new(1, 1);
    private readonly List<PlanRecord> _history = [];
    private readonly HashSet<string> _subscribed = new(StringComparer.Ordinal);
    private AtomManifest? _manifest;
    private string _manifestJson = "";
    private string[] _specJson = [];
    private InitiatorInfo? _initiator;
    private IInitiatorCallback? _callback;
    private double _requirementMs;
    private string[] _live = [];
    private string[] _target = [];
    private List<(int Atom, string To)> _order = [];
    private IReadOnlyList<string>? _pin;
    private SortedSet<string> _devices = new(StringComparer.Ordinal);
    private int _version;
    private bool _migrating;
    private bool _contextReplanQueued;
    private double _predictedMs;
    private bool _feasible;
    private IGrainTimer? _timer;
    private string? _membershipReplanPending;
    private int _failedOffloads;
    private const int MaxOffloadRetries = 5;

    private string Deployment => this.GetPrimaryKeyString();

    public async Task<LivePlan> DeployAsync(DeploymentRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Initiator);
        ArgumentNullException.ThrowIfNull(request.Callback);
        ValidateRequirement(request.LatencyRequirementMs);
        if (!double.IsFinite(request.Initiator.SpeedFactor) || request.Initiator.SpeedFactor <= 0)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"initiator speed factor must be a finite number > 0, got {request.Initiator.SpeedFactor}");
        if (request.Initiator.MemoryBudgetBytes is < 0 || request.Initiator.ComputeBudgetFlops is { } f && (!double.IsFinite(f) || f < 0))
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, "initiator budgets must be finite and >= 0");

        _initiator = request.Initiator;
        _callback = request.Callback;
        _requirementMs = request.LatencyRequirementMs;
        if (_manifest is null || request.ManifestJson != _manifestJson)
        {
            AtomManifest manifest;
            try
            {
                manifest = JsonSerializer.Deserialize<AtomManifest>(request.ManifestJson, AdaMecJson.Options) ?? throw new JsonException("empty manifest");
                manifest.Validate();
            }
            catch (Exception e) when (e is JsonException or AtomFileException)
            {
                throw new AdaMecException(AdaMecErrorCode.InvalidModel, $"deployment {Deployment}: the manifest is not usable: {e.Message}");
            }
            _manifest = manifest;
            _manifestJson = request.ManifestJson;
            _specJson = manifest.Atoms.Select(a => JsonSerializer.Serialize(a, AdaMecJson.Compact)).ToArray();
            _live = Enumerable.Repeat(request.Initiator.DeviceId, manifest.Atoms.Count).ToArray();
            _target = _live.ToArray();
            _order = [];
            _version++;
        }
        _devices = ActiveDevices();
        _timer ??= this.RegisterGrainTimer(CheckMembershipAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromMilliseconds(options.Value.MembershipPollMs),
            Period = TimeSpan.FromMilliseconds(options.Value.MembershipPollMs),
            Interleave = true,
        });
        await ReplanAsync("deploy");
        return Live();
    }

    public Task<LivePlan> GetPlanAsync()
    {
        RequireDeployed();
        return Task.FromResult(Live());
    }

    public Task<PlannerStatus> GetStatusAsync()
    {
        RequireDeployed();
        return Task.FromResult(new PlannerStatus(Live(), _target.ToArray(), _migrating || !_live.SequenceEqual(_target), _history.Count, _requirementMs, _devices.ToArray()));
    }

    public async Task SetLatencyRequirementAsync(double milliseconds)
    {
        RequireDeployed();
        ValidateRequirement(milliseconds);
        if (milliseconds == _requirementMs) return;
        _requirementMs = milliseconds;
        await ReplanAsync($"latency requirement {milliseconds:0.###} ms");
    }

    public async Task<PlanRecord> PinAsync(IReadOnlyList<string>? assignment)
    {
        RequireDeployed();
        if (assignment is not null)
        {
            if (assignment.Count != _live.Length)
                throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"a pinned plan needs a device for each of {_live.Length} atoms, got {assignment.Count}");
            var known = ActiveDevices();
            var unknown = assignment.FirstOrDefault(d => d != _initiator!.DeviceId && !known.Contains(d));
            if (unknown is not null)
                throw new AdaMecException(AdaMecErrorCode.UnknownDevice, $"cannot pin to device '{unknown}': no active silo serves it (active: {string.Join(", ", known)})");
        }
        _pin = assignment?.ToArray();
        return await ReplanAsync(assignment is null ? "unpinned" : "pinned by operator");
    }

    public Task<IReadOnlyList<PlanRecord>> GetHistoryAsync()
    {
        RequireDeployed();
        return Task.FromResult<IReadOnlyList<PlanRecord>>(_history.ToArray());
    }

    public Task AtomEvictedAsync(AtomEviction eviction)
    {
        ArgumentNullException.ThrowIfNull(eviction);
        return ContextChangedAsync(new ContextSignal(ContextSignalKind.Memory, eviction.Device, $"atom {eviction.AtomIndex} evicted from {eviction.Device} ({eviction.Reason})"));
    }

    public async Task ContextChangedAsync(ContextSignal signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var what = signal.Detail;
        if (_manifest is null || _contextReplanQueued) return;
        _contextReplanQueued = true;
        try
        {
            await ReplanAsync($"context: {what}");
        }
        finally
        {
            _contextReplanQueued = false;
        }
    }

    public async Task<PlanRecord> ReplanAsync(string trigger)
    {
        RequireDeployed();
        await _planning.WaitAsync();
        try
        {
            _contextReplanQueued = false;
            return await PlanCoreAsync(trigger);
        }
        finally
        {
            _planning.Release();
        }
    }

    private async Task<PlanRecord> PlanCoreAsync(string trigger)
    {
        var manifest = _manifest!;
        var initiator = _initiator!;
        var devices = ActiveDevices();
        var statuses = new List<DeviceStatus>();
        foreach (var task in devices.Select(d => (Device: d, Task: GrainFactory.GetGrain<IDeviceGrain>(d).GetStatusAsync())).ToArray())
        {
            try { statuses.Add(await task.Task); }
            catch (Exception e) when (e is not OutOfMemoryException) { /* left while we asked: plan without it */ }
        }

        var all = new List<string> { initiator.DeviceId };
        all.AddRange(statuses.Select(s => s.DeviceId).Where(d => d != initiator.DeviceId));
        var speed = statuses.ToDictionary(s => s.DeviceId, s => s.SpeedFactor);
        speed[initiator.DeviceId] = initiator.SpeedFactor;

        var linkTasks = new List<Task<LinkEstimate>>();
        foreach (var from in all)
        {
            foreach (var to in all)
            {
                if (from == to) continue;
                var link = GrainFactory.GetGrain<ILinkGrain>(GrainKeys.Link(from, to));
                if (_subscribed.Add(GrainKeys.Link(from, to))) await link.SubscribeAsync(new ContextSubscription(Deployment, TimeSpan.FromDays(7)));
                linkTasks.Add(link.GetAsync());
            }
        }
        foreach (var status in statuses)
        {
            if (_subscribed.Add(status.DeviceId)) await GrainFactory.GetGrain<IDeviceGrain>(status.DeviceId).SubscribeAsync(new ContextSubscription(Deployment, TimeSpan.FromDays(7)));
        }
        var links = (await Task.WhenAll(linkTasks)).Select(l => new PlanningLink(l.From, l.To, l.Mbps, l.LatencyMs)).ToArray();

        var planningDevices = new List<PlanningDevice> { new(initiator.DeviceId, true, initiator.MemoryBudgetBytes, initiator.ComputeBudgetFlops) };
        foreach (var s in statuses.Where(s => s.DeviceId != initiator.DeviceId))
        {
            double? memory = s.Budgets.MemoryBudgetBytes;
            if (s.AvailableMemoryBytes > 0) memory = Math.Min(memory ?? double.PositiveInfinity, s.AvailableMemoryBytes + s.ResidentBytes);
            planningDevices.Add(new PlanningDevice(s.DeviceId, false, memory, s.Budgets.ComputeBudgetFlops));
        }
        var atoms = manifest.Atoms.Select(a => new PlanningAtom(a.Id, a.Flops, a.WeightBytes, a.MemoryBytes, a.OutputBytes,
            all.ToDictionary(d => d, d => a.PredictedMs * speed[d]))).ToArray();
        for (var i = 0; i < _live.Length; i++)
        {
            if (!all.Contains(_live[i])) _live[i] = initiator.DeviceId;
        }
        var current = manifest.Atoms.Select((a, i) => (a.Id, Device: _live[i])).ToDictionary(p => p.Id, p => p.Device);
        var problem = PlanningProblem.Create(manifest.Atoms[0].InputBytes, _requirementMs, planningDevices, links, atoms, current);

        IPlanningStrategy strategy = _pin is { } pin && pin.All(all.Contains)
            ? new PinnedStrategy(pin)
            : PlanningStrategies.Create(options.Value.Strategy);
        var decision = Planner.Decide(problem, strategy);
        if (strategy is not PinnedStrategy && trigger.StartsWith("context:", StringComparison.Ordinal) && _target.All(all.Contains) && _target.Length == _live.Length)
        {
            // Hysteresis: keep a still-feasible target unless the new one is clearly faster.
            var kept = new PinnedStrategy(_target);
            var keptCost = new PlanEvaluator(problem).Evaluate(kept.Plan(problem).Assignment);
            if (keptCost.Feasible && decision.Cost.LatencyMs > keptCost.LatencyMs * (1 - options.Value.Hysteresis))
                decision = Planner.Decide(problem, kept) with { Strategy = decision.Strategy };
        }
        AdaMecTelemetry.PlanDecisionDuration.Record(decision.DecisionTimeMs);

        var old = _live.ToArray();
        var target = decision.Assignment.Select(i => problem.Devices[i].Id).ToArray();
        var unchanged = target.SequenceEqual(_target) && _history.Count > 0;
        _target = target;
        _order = decision.OffloadOrder.Select(s => (problem.AtomIndexOf(s.Atom), s.To)).ToList();
        _predictedMs = decision.Cost.LatencyMs;
        _feasible = decision.Feasible;
        // Measured context moves all the time; a re-plan it triggers that keeps the target is not news.
        if (unchanged && trigger.StartsWith("context:", StringComparison.Ordinal)) return _history[^1];
        var record = new PlanRecord(_history.Count + 1, DateTimeOffset.UtcNow, trigger, old, _target.ToArray(), decision.Strategy, decision.Feasible,
            decision.Cost.LatencyMs, decision.DecisionTimeMs, (long)decision.Cost.WeightBytesMoved, 0, 0, old.SequenceEqual(_target));
        _history.Add(record);
        Log.Replanned(logger, Deployment, trigger, decision.Strategy, decision.DecisionTimeMs, string.Join(",", _target), decision.Cost.LatencyMs, decision.Feasible);
        if (!_migrating && !record.Completed) _ = MigrateAsync();
        return record;
    }

    /// <summary>Moves atoms towards the target in the planner's order; each switch is visible at once.</summary>
    private async Task MigrateAsync()
    {
        _migrating = true;
        try
        {
            while (true)
            {
                var step = _order.FirstOrDefault(s => _live[s.Atom] != s.To && _target[s.Atom] == s.To);
                if (step == default)
                {
                    var pending = Enumerable.Range(0, _live.Length).FirstOrDefault(i => _live[i] != _target[i], -1);
                    if (pending < 0) break;
                    step = (pending, _target[pending]);
                }
                var record = _history.Count - 1;
                try
                {
                    long bytes = 0;
                    if (step.To != _initiator!.DeviceId)
                    {
                        var from = _live[step.Atom];
                        var result = await GrainFactory.GetGrain<IAtomGrain>(GrainKeys.Atom(Deployment, step.Atom, step.To))
                            .LoadAsync(new AtomLoadRequest(_specJson[step.Atom], _initiator.DeviceId, _callback!, from == _initiator.DeviceId ? null : from));
                        bytes = result.BytesTransferred;
                    }
                    if (_target[step.Atom] != step.To) continue; // re-planned meanwhile
                    _live[step.Atom] = step.To;
                    _version++;
                    var entry = _history[record];
                    _history[record] = entry with
                    {
                        BytesMoved = entry.BytesMoved + bytes,
                        AtomsSwitched = entry.AtomsSwitched + 1,
                        Completed = _live.SequenceEqual(_target),
                    };
                    Log.Switched(logger, Deployment, step.Atom, step.To, _version);
                    _failedOffloads = 0;
                    _ = NotifyAsync(Live());
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Log.OffloadFailed(logger, e, Deployment, step.Atom, step.To);
                    // Keep serving the live plan; try again shortly (placement can fail for a moment
                    // while a silo leaves), a few times, then wait for the next context or membership change.
                    _target = _live.ToArray();
                    if (++_failedOffloads <= MaxOffloadRetries) _ = RetryLaterAsync($"retry {_failedOffloads}: offloading atom {step.Atom} to {step.To} failed");
                    break;
                }
            }
        }
        finally
        {
            _migrating = false;
        }
    }

    private async Task RetryLaterAsync(string trigger)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(options.Value.MembershipPollMs * 2));
        await ReplanAsync(trigger);
    }

    private async Task CheckMembershipAsync(CancellationToken cancellationToken)
    {
        if (_manifest is null) return;
        var now = ActiveDevices();
        if (!now.SetEquals(_devices)) AdoptMembership(now);
        if (_membershipReplanPending is not { } pending) return;
        try
        {
            await ReplanAsync($"membership: {pending}");
            _membershipReplanPending = null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Grains on a silo that is leaving can fail or time out for a moment; a change dropped
            // here would leave a target on a gone device until some other trigger. Try again next poll.
            Log.MembershipReplanFailed(logger, e, Deployment, pending);
        }
    }

    /// <summary>Takes in a new set of devices: atoms on departed ones fall back to the initiator, a re-plan is due.</summary>
    private void AdoptMembership(SortedSet<string> now)
    {
        var left = _devices.Except(now).ToArray();
        var joined = now.Except(_devices).ToArray();
        _devices = now;
        // Their device grains, and the link grains placed with them, went too: a device that comes
        // back gets subscribed to afresh.
        _subscribed.RemoveWhere(key => GrainKeys.TryParseLink(key, out var from, out var to)
            ? left.Contains(from) || left.Contains(to)
            : left.Contains(key));
        var change = string.Join(" ", left.Select(d => "-" + d).Concat(joined.Select(d => "+" + d)));
        Log.MembershipChanged(logger, Deployment, change);
        _membershipReplanPending = _membershipReplanPending is null ? change : _membershipReplanPending + " " + change;
        var moved = false;
        for (var i = 0; i < _live.Length; i++)
        {
            if (left.Contains(_live[i]))
            {
                _live[i] = _initiator!.DeviceId; // the initiator holds every atom: safe at once
                moved = true;
            }
        }
        if (moved)
        {
            _version++;
            _ = NotifyAsync(Live());
        }
    }

    private async Task NotifyAsync(LivePlan plan)
    {
        try
        {
            await _callback!.PlanChangedAsync(plan);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.NotifyFailed(logger, e, Deployment, plan.Version);
        }
    }

    private SortedSet<string> ActiveDevices() => new(
        membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.Name),
        StringComparer.Ordinal);

    private LivePlan Live() => new(Deployment, _version, _initiator!.DeviceId, _live.ToArray(), _predictedMs, _feasible);

    private void RequireDeployed()
    {
        if (_manifest is null)
            throw new AdaMecException(AdaMecErrorCode.UnknownDeployment, $"no model is deployed as '{Deployment}' (deploy it first, or the silo that held it has gone: deploy again)");
    }

    private static void ValidateRequirement(double milliseconds)
    {
        if (!double.IsFinite(milliseconds) || milliseconds <= 0)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"latency requirement must be a finite number > 0 ms, got {milliseconds}");
    }
}
