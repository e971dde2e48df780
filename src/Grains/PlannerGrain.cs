using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AdaMec.Core.Atoms;
using AdaMec.Core.Deployments;
using AdaMec.Core.Planning;
using AdaMec.Core.Serialization;
using AdaMec.Interfaces;
using AdaMec.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Serialization.Invocation;

namespace AdaMec.Grains;

/// <summary>
/// One per deployment: a thin, durable shell over the pure <see cref="DeploymentMachine"/>. It feeds
/// the machine its inputs (requests, typed context signals, eviction notices, membership from
/// <see cref="IClusterMembershipService.MembershipUpdates"/>), gathers context and runs the planner
/// off the scheduler, and carries out the machine's work one item per turn from a grain timer:
/// offload steps, retries, releases of old copies. State is written to grain storage whenever the
/// machine says so, so a re-activation (its silo died, or it was collected) resumes the same plan.
/// <para>
/// Not reentrant: every input runs in its own turn, so the machine is never touched by two turns at
/// once. The three read-only calls (plan, status, history) may interleave: they only read, and
/// status must answer while an atom loads. Initiator notifications and lease renewals run from
/// interleaving timers so a slow initiator or context grain never holds up planning.
/// </para>
/// </summary>
[MayInterleave(nameof(MayInterleave))]
[CollectionAgeLimit(Days = 7)]
#pragma warning disable CA1001 // the cancellation source lives as long as the activation and is cancelled on deactivation
internal sealed partial class PlannerGrain(
    [PersistentState("planner", AdaMecStorage.Name)] IPersistentState<PlannerState> state,
    [PersistentState("planner-manifest", AdaMecStorage.Name)] IPersistentState<PlannerManifestState> manifestState,
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    TimeProvider time,
    IOptions<PlannerOptions> options,
    IOptions<DeviceOptions> deviceOptions,
    AdaMecMetrics metrics,
    ILogger<PlannerGrain> logger) : Grain, IPlannerGrain, Security.IInitiatorOwned
#pragma warning restore CA1001
{
    string? Security.IInitiatorOwned.OwnerInitiator => _initiator?.DeviceId;

    /// <summary>After asking its initiator to probe the links to a device, a planner asks again about that device no sooner than this.</summary>
    private static readonly TimeSpan InitiatorProbeRetry = TimeSpan.FromMinutes(1);

    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<string> _subscribed = new(StringComparer.Ordinal);
    private DeploymentMachine? _machine;
    private string[] _specJson = [];
    private InitiatorInfo? _initiator;
    private InitiatorContext? _initiatorContext; // the initiator's latest report of itself (written with the state: a resumed planner plans on it until the next report)
    private (string Sha, AtomLatencyQuery Query)? _atomQuery; // what devices are asked for their per-atom predictions
    private IReadOnlyList<AtomLatencyReport> _atomLatencies = []; // the per-atom figures the newest plan was made with
    private InitiatorContext? _initiatorSignalled; // the report the last re-plan signal compared against (hysteresis)
    private IInitiatorCallback? _callback;
    private readonly Dictionary<string, DateTimeOffset> _initiatorProbeAsked = new(StringComparer.Ordinal); // device -> when the initiator was asked to probe its links to it
    private readonly HashSet<string> _initiatorLinksMeasured = new(StringComparer.Ordinal); // devices whose links with the initiator hold samples (they keep them)
    private IGrainTimer? _work;
    private IGrainTimer? _notifier;
    private IGrainTimer? _lease;
    private Task? _membershipWatch;
    private LivePlan? _pendingNotify;
    private bool _membershipDirty;
    private bool _verifyResidency;
    private ActivityContext _lastReplan; // offloads are spans of the re-plan that asked for them

    private string Deployment => this.GetPrimaryKeyString();

    private DeploymentMachine Machine => _machine is { IsDeployed: true } machine
        ? machine
        : throw new AdaMecException(AdaMecErrorCode.UnknownDeployment, $"no model is deployed as '{Deployment}' (deploy it first, or the silo that held it has gone: deploy again)");

    /// <summary>Plan, status and history only read state; they may run while a turn awaits an atom load.</summary>
    public static bool MayInterleave(IInvokable request) =>
        request?.GetInterfaceType() == typeof(IPlannerGrain)
        && request.GetMethod()?.Name is nameof(GetPlanAsync) or nameof(GetStatusAsync) or nameof(GetHistoryAsync);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.RecordExists && manifestState.RecordExists && state.State.Initiator is not null
            && state.State.ManifestSha256 == manifestState.State.ManifestSha256)
        {
            try
            {
                Resume();
                LogResumed(logger, Deployment, _machine!.Version, string.Join(",", _machine.Live), _machine.Pin is null ? "none" : string.Join(",", _machine.Pin));
                Start();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A state this code cannot read: the initiator deploys again (requests do so on UnknownDeployment).
                LogResumeFailed(logger, e, Deployment);
                _machine = null;
            }
        }
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Cancel and go: the membership stream may only notice at its next update, and waiting for it
        // here could outlast the runtime's deactivation timeout during shutdown, which the runtime then
        // logs as an error. The watch stops touching the grain once the token is cancelled.
        try
        {
            _stopping.Cancel();
        }
        catch (AggregateException e)
        {
            LogStopFailed(logger, e, Deployment);
        }
        return Task.CompletedTask;
    }

    // ---------------------------------------------------------------- requests

    public async Task<LivePlan> DeployAsync(DeploymentRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Initiator);
        ArgumentNullException.ThrowIfNull(request.Callback);
        ArgumentNullException.ThrowIfNull(request.ManifestJson);
        var manifest = ParseManifest(request.ManifestJson);
        var sha = Sha256(request.ManifestJson);
        var model = DeploymentModel.FromManifest(manifest, sha);
        var machine = _machine ?? new DeploymentMachine(Deployment, options.Value.ToMachineOptions(), time);
        var effects = Refusing(() => machine.Deploy(model, PlannerState.ToInitiator(request.Initiator), request.LatencyRequirementMs, ActiveDevices()));

        // Accepted: from here on the new initiator, callback and manifest are ours.
        _machine = machine;
        if (_initiator?.DeviceId != request.Initiator.DeviceId || request.Initiator.Context is not null)
            _initiatorContext = _initiatorSignalled = request.Initiator.Context is { } reported ? ValidInitiatorContext(reported) : null;
        _initiator = request.Initiator;
        _callback = request.Callback;
        _initiatorLinksMeasured.Clear(); // the initiator may be another device now
        _initiatorProbeAsked.Clear();
        if (manifestState.State.ManifestSha256 != sha || !manifestState.RecordExists)
        {
            _specJson = manifest.Atoms.Select(a => JsonSerializer.Serialize(a, AdaMecJson.Compact)).ToArray();
            await WriteAsync(manifestState, new PlannerManifestState { ManifestJson = request.ManifestJson, ManifestSha256 = sha });
        }
        else if (_specJson.Length != manifest.Atoms.Count)
        {
            _specJson = manifest.Atoms.Select(a => JsonSerializer.Serialize(a, AdaMecJson.Compact)).ToArray();
        }
        await ApplyAsync(effects);
        Start();
        try
        {
            await GrainFactory.GetGrain<IDeploymentDirectoryGrain>(GrainKeys.Directory).RegisterAsync(Deployment);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogDirectoryFailed(logger, e, Deployment);
        }
        try
        {
            await RunReplanAsync(effects.Replan!);
        }
        finally
        {
            Schedule();
        }
        return Live();
    }

    public Task<LivePlan> GetPlanAsync() => Task.FromResult(Live());

    public Task<PlannerStatus> GetStatusAsync()
    {
        var machine = Machine;
        return Task.FromResult(new PlannerStatus(Live(), machine.Target.ToArray(), machine.Migrating || _verifyResidency, machine.Sequence, machine.RequirementMs, machine.Devices.ToArray())
        {
            Pin = machine.Pin?.ToArray(),
            PlannerSilo = silo.SiloAddress.ToString(),
            Initiator = _initiatorContext,
            AtomLatencies = _atomLatencies,
        });
    }

    public Task<IReadOnlyList<PlanRecord>> GetHistoryAsync() =>
        Task.FromResult<IReadOnlyList<PlanRecord>>(Machine.History.Select(PlannerState.ToRecord).ToArray());

    public async Task SetLatencyRequirementAsync(double milliseconds)
    {
        var effects = Refusing(() => Machine.SetRequirement(milliseconds));
        await ApplyAsync(effects);
        if (effects.Replan is { } replan) await RunThenScheduleAsync(replan);
    }

    public async Task<PlanRecord> PinAsync(IReadOnlyList<string>? assignment)
    {
        var effects = Refusing(() => Machine.SetPin(assignment));
        await ApplyAsync(effects);
        return await RunThenScheduleAsync(effects.Replan!);
    }

    public async Task<PlanRecord> ReplanAsync(string trigger)
    {
        var effects = Refusing(() => Machine.RequestReplan(string.IsNullOrWhiteSpace(trigger) ? "operator" : trigger));
        await ApplyAsync(effects);
        return await RunThenScheduleAsync(effects.Replan!);
    }

    public async Task ContextChangedAsync(ContextSignal signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        if (_machine is not { IsDeployed: true } machine) return;
        var kind = signal.Kind switch
        {
            ContextSignalKind.Budgets => ContextKind.Budgets,
            ContextSignalKind.Link => ContextKind.Link,
            ContextSignalKind.Memory => ContextKind.Memory,
            _ => ContextKind.Compute,
        };
        DateTimeOffset? observed = signal.ObservedAtUtcTicks > 0 && signal.ObservedAtUtcTicks <= DateTimeOffset.MaxValue.UtcTicks
            ? new DateTimeOffset(signal.ObservedAtUtcTicks, TimeSpan.Zero)
            : null;
        var measured = string.IsNullOrEmpty(signal.Measurement)
            ? null
            : new TriggerMeasurement(signal.Source ?? "", signal.Measurement, TriggerMeasurement.Finite(signal.Before), TriggerMeasurement.Finite(signal.After));
        await ApplyAsync(machine.ContextChanged(kind, signal.Source ?? "", signal.Detail ?? "", observed, measured));
        Schedule();
    }

    public async Task RequestsServedAsync(LatencyReport report)
    {
        // One-way: nobody hears a refusal, so a report out of range is dropped (the latency log checked it already).
        if (_machine is not { IsDeployed: true } machine || ContextReportValidation.Latency(report) is not null) return;
        await ApplyAsync(machine.RequestsServed(report.PlanVersion, report.Requests, report.MedianMs));
        Schedule(); // a sustained gap between prediction and outcome queued a recalibration
    }

    public async Task ReportInitiatorAsync(string initiator, InitiatorContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var machine = Machine;
        if (initiator != machine.Initiator.DeviceId)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"initiator: deployment {Deployment} belongs to '{machine.Initiator.DeviceId}', not '{initiator}'");
        var reported = ValidInitiatorContext(context);
        _initiatorContext = reported;
        // The same hysteresis a device grain applies to its own readings before it signals.
        var o = deviceOptions.Value;
        var before = _initiatorSignalled;
        string? change = null;
        TriggerMeasurement? measured = null;
        if (before is null || Math.Abs(reported.Speed / before.Speed - 1) > o.SpeedSignalThreshold)
        {
            var from = before?.Speed ?? machine.Initiator.SpeedFactor;
            change = FormattableString.Invariant($"speed of initiator {initiator} ({reported.SpeedSource}, {reported.SpeedSamples} passes) {from:0.00}x -> {reported.Speed:0.00}x");
            measured = new TriggerMeasurement(initiator, "speed", from, reported.Speed);
        }
        else if (reported.AvailableMemoryBytes >= 0 && before.AvailableMemoryBytes >= 0
                 && Math.Abs(reported.AvailableMemoryBytes - before.AvailableMemoryBytes) is var delta
                 && delta > o.MemorySignalThreshold * before.AvailableMemoryBytes && delta >= o.MemorySignalMinMb * 1024 * 1024)
        {
            change = FormattableString.Invariant($"memory of initiator {initiator} {before.AvailableMemoryBytes / 1048576.0:0} MB -> {reported.AvailableMemoryBytes / 1048576.0:0} MB available");
            measured = new TriggerMeasurement(initiator, "availableMemoryMb", before.AvailableMemoryBytes / 1048576.0, reported.AvailableMemoryBytes / 1048576.0);
        }
        if (change is null) return;
        _initiatorSignalled = reported;
        LogInitiatorChanged(logger, Deployment, change);
        var kind = change.StartsWith("speed", StringComparison.Ordinal) ? ContextKind.Compute : ContextKind.Memory;
        await ApplyAsync(machine.ContextChanged(kind, initiator, change, measurement: measured));
        Schedule();
    }

    /// <summary>A report the planner can plan with, or an error naming the field.</summary>
    private static InitiatorContext ValidInitiatorContext(InitiatorContext c) =>
        ContextReportValidation.Initiator(c) is { } invalid
            ? throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"initiator context {invalid}")
            : c;

    public async Task AtomEvictedAsync(AtomEviction eviction)
    {
        ArgumentNullException.ThrowIfNull(eviction);
        if (_machine is not { IsDeployed: true } machine || eviction.Deployment != Deployment) return;
        var effects = machine.AtomEvicted(eviction.AtomIndex, eviction.Device ?? "", eviction.Reason ?? "evicted");
        if (effects.Notify is { } plan) LogEvicted(logger, Deployment, eviction.AtomIndex, eviction.Device ?? "", eviction.Reason ?? "", plan.Version);
        await ApplyAsync(effects);
        Schedule();
    }

    // ---------------------------------------------------------------- the work loop

    /// <summary>One item of the machine's work per tick, so requests queued behind it get their turn.</summary>
    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        if (_machine is not { IsDeployed: true } machine || _stopping.IsCancellationRequested) return;
        try
        {
            if (_membershipDirty)
            {
                _membershipDirty = false;
                var before = machine.Devices.ToArray();
                var effects = machine.MembershipChanged(ActiveDevices());
                var left = before.Except(machine.Devices).ToArray();
                if (left.Length > 0 || before.Length != machine.Devices.Count)
                {
                    LogMembershipChanged(logger, Deployment, string.Join(",", machine.Devices));
                    // Their device grains, and the link grains placed with them, went too: a device that comes back is subscribed afresh.
                    _subscribed.RemoveWhere(key => GrainKeys.TryParseLink(key, out var from, out var to)
                        ? left.Contains(from) || left.Contains(to)
                        : left.Contains(key));
                }
                await ApplyAsync(effects);
            }
            if (_verifyResidency)
            {
                await VerifyResidencyAsync(machine);
                // Only now is the resumed live plan known to be resident; status reports Migrating until then.
                _verifyResidency = false;
            }
            switch (machine.NextWork())
            {
                case ReleaseWork release:
                    await ReleaseAsync(machine, release);
                    break;
                case ReplanWork replan:
                    await RunReplanAsync(replan);
                    break;
                case OffloadWork offload:
                    await OffloadAsync(machine, offload);
                    break;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Already recorded with the machine (re-plans retry with backoff); the next tick goes on.
            LogWorkFailed(logger, e, Deployment);
        }
        finally
        {
            Schedule();
        }
    }

    /// <summary>Sets the work timer from the machine's agenda: now, at the next due time, or not until an input.</summary>
    private void Schedule()
    {
        if (_work is null || _machine is not { IsDeployed: true } machine) return;
        var due = Timeout.InfiniteTimeSpan;
        if (_membershipDirty || _verifyResidency)
        {
            due = TimeSpan.Zero;
        }
        else
        {
            switch (machine.NextWork())
            {
                case IdleWork { WakeAt: { } wake }:
                    var wait = wake - time.GetUtcNow();
                    due = wait > TimeSpan.Zero ? wait + TimeSpan.FromMilliseconds(1) : TimeSpan.Zero;
                    break;
                case IdleWork:
                    break;
                default:
                    due = TimeSpan.Zero;
                    break;
            }
        }
        _work.Change(due, Timeout.InfiniteTimeSpan);
    }

    private async Task<PlanRecord> RunThenScheduleAsync(ReplanWork replan)
    {
        try
        {
            var entry = await RunReplanAsync(replan);
            return PlannerState.ToRecord(entry ?? Machine.LastRecord ?? throw new AdaMecException(AdaMecErrorCode.Unknown, $"deployment {Deployment}: no plan decision recorded"));
        }
        finally
        {
            Schedule();
        }
    }

    /// <summary>Gathers context, decides on the thread pool (never inside the grain turn), hands the decision to the machine.</summary>
    private async Task<PlanHistoryEntry?> RunReplanAsync(ReplanWork work)
    {
        var machine = Machine;
        // A re-plan is a trace of its own (linked to whatever call or signal caused it); its offloads are its children.
        var cause = Activity.Current;
        Activity.Current = null;
        using var activity = AdaMecTelemetry.Activities.StartActivity(AdaMecTelemetry.Spans.Replan, ActivityKind.Internal, default(ActivityContext),
            links: cause is null ? null : [new ActivityLink(cause.Context)]);
        activity?.SetTag(AdaMecTelemetry.Tags.Deployment, Deployment);
        activity?.SetTag(AdaMecTelemetry.Tags.Trigger, work.Cause.ToString().ToLowerInvariant());
        activity?.SetTag("adamec.trigger.text", work.Trigger);
        if (activity is not null) _lastReplan = activity.Context;
        try
        {
            if (work.Recalibrate is { } recalibrate) await RecalibrateAsync(recalibrate);
            var context = await GatherAsync(machine);
            var request = machine.PreparePlan(work, context);
            var decision = await Task.Run(() => Planner.Decide(request.Problem, request.Strategy));
            KeyValuePair<string, object?>[] tags = [new(AdaMecTelemetry.Tags.Trigger, work.Cause.ToString().ToLowerInvariant()), new("adamec.strategy", request.Strategy)];
            metrics.PlanDecisionDuration.Record(decision.DecisionTimeMs, tags);
            metrics.PlanDecisions.Add(1, tags);
            activity?.SetTag("adamec.strategy", request.Strategy);
            activity?.SetTag("adamec.decision.ms", decision.DecisionTimeMs);
            var effects = machine.Decided(request, decision);
            if (effects.Recorded is { } recorded)
            {
                activity?.SetTag("adamec.plan", string.Join(",", recorded.NewPlan));
                activity?.SetTag("adamec.feasible", recorded.Feasible);
                activity?.SetTag("adamec.predicted.ms", recorded.PredictedLatencyMs);
            }
            if (effects.Recorded is { } entry)
                LogReplanned(logger, Deployment, entry.Trigger, entry.Strategy, entry.DecisionTimeMs, string.Join(",", entry.NewPlan), entry.PredictedLatencyMs, entry.Feasible);
            await ApplyAsync(effects);
            // An active device the gather missed (a silo just joined answers a moment later) gets another re-plan.
            var initiator = machine.Initiator.DeviceId;
            var missing = machine.Devices.Where(d => d != initiator
                && (!context.Devices.Any(c => c.DeviceId == d) || !context.Links.Any(l => l.From == initiator && l.To == d))).ToArray();
            if (missing.Length > 0) await ApplyAsync(machine.ContextMissing(missing));
            return effects.Recorded ?? machine.LastRecord;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            LogReplanFailed(logger, e, Deployment, work.Trigger, work.Failures + 1);
            await ApplyAsync(machine.PlanFailed(work, e.Message));
            throw;
        }
    }

    /// <summary>
    /// Requests strayed from the prediction: the devices the live plan uses time their speed afresh and
    /// read their resources, and its links are probed, before the re-plan gathers context. A device or
    /// link that fails to answer is planned on with what it said before.
    /// </summary>
    private async Task RecalibrateAsync(Recalibration recalibration)
    {
        var devices = recalibration.Devices.Select(d => (Name: d, Task: (Task)GrainFactory.GetGrain<IDeviceGrain>(d).RecalibrateAsync()));
        var links = recalibration.Links.Select(l => (Name: GrainKeys.Link(l.From, l.To), Task: (Task)GrainFactory.GetGrain<ILinkGrain>(GrainKeys.Link(l.From, l.To)).ProbeAsync()));
        foreach (var (name, task) in devices.Concat(links).ToArray())
        {
            try
            {
                await task;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogRecalibrationFailed(logger, e, Deployment, name);
            }
        }
    }

    private async Task OffloadAsync(DeploymentMachine machine, OffloadWork offload)
    {
        long bytes = 0;
        using var activity = AdaMecTelemetry.Activities.StartActivity(AdaMecTelemetry.Spans.Offload, ActivityKind.Internal, _lastReplan);
        activity?.SetTag(AdaMecTelemetry.Tags.Deployment, Deployment);
        activity?.SetTag(AdaMecTelemetry.Tags.Atom, offload.Atom);
        activity?.SetTag(AdaMecTelemetry.Tags.To, offload.To);
        activity?.SetTag(AdaMecTelemetry.Tags.From, offload.Peer ?? machine.Initiator.DeviceId);
        if (offload.NeedsLoad)
        {
            try
            {
                var result = await GrainFactory.GetGrain<IAtomGrain>(GrainKeys.Atom(Deployment, offload.Atom, offload.To))
                    .LoadAsync(new AtomLoadRequest(_specJson[offload.Atom], machine.Initiator.DeviceId, _callback!, offload.Peer));
                bytes = result.BytesTransferred;
                activity?.SetTag(AdaMecTelemetry.Tags.Bytes, bytes);
                activity?.SetTag("adamec.source", result.Source);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                activity?.SetStatus(ActivityStatusCode.Error, e.Message);
                LogOffloadFailed(logger, e, Deployment, offload.Atom, offload.To, offload.Attempt);
                await ApplyAsync(machine.AtomLoadFailed(offload.Atom, offload.To, e.Message));
                return;
            }
        }
        var effects = machine.AtomResident(offload.Atom, offload.To, bytes);
        if (effects.Notify is { } plan) LogSwitched(logger, Deployment, offload.Atom, offload.To, plan.Version);
        await ApplyAsync(effects);
    }

    /// <summary>The live plan moved off this copy: the device drops it (its disk cache may keep the file).</summary>
    private async Task ReleaseAsync(DeploymentMachine machine, ReleaseWork release)
    {
        try
        {
            await GrainFactory.GetGrain<IAtomGrain>(GrainKeys.Atom(Deployment, release.Atom, release.Device)).EvictAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogReleaseFailed(logger, e, Deployment, release.Atom, release.Device);
        }
        await ApplyAsync(machine.SourceReleased(release.Atom, release.Device));
    }

    /// <summary>After a resume: a live atom whose device restarted meanwhile is not resident any more.</summary>
    private async Task VerifyResidencyAsync(DeploymentMachine machine)
    {
        var initiator = machine.Initiator.DeviceId;
        for (var i = 0; i < machine.Live.Count; i++)
        {
            var device = machine.Live[i];
            if (device == initiator) continue;
            bool resident;
            try { resident = await GrainFactory.GetGrain<IAtomGrain>(GrainKeys.Atom(Deployment, i, device)).IsResidentAsync(); }
            catch (Exception e) when (e is not OutOfMemoryException) { resident = false; }
            if (!resident) await ApplyAsync(machine.AtomMissing(i, device));
        }
    }

    /// <summary>Devices that answer, links among them and the initiator; subscribes (leases) to what it has not yet.</summary>
    private async Task<ContextSnapshot> GatherAsync(DeploymentMachine machine)
    {
        var initiator = machine.Initiator.DeviceId;
        var prefix = Deployment + "/";
        var devices = new List<DeviceContext>();
        var statuses = new List<(string Device, DeviceStatus Status)>();
        foreach (var (device, task) in machine.Devices.Where(d => d != initiator)
                     .Select(d => (d, GrainFactory.GetGrain<IDeviceGrain>(d).GetStatusAsync())).ToArray())
        {
            try { statuses.Add((device, await task)); }
            catch (Exception e) when (e is not OutOfMemoryException) { LogDeviceUnanswered(logger, e, Deployment, device); /* leaving while we asked: plan without it */ }
        }
        var calibration = SpeedCalibration(statuses.Select(s => s.Status));
        // Each device's own per-atom prediction (f_mem at its memory now, its speed); one that cannot
        // answer is planned on with predictedMs × its speed, as before.
        var query = AtomQuery(machine);
        var predictions = statuses.Select(s => (s.Device, Task: GrainFactory.GetGrain<IDeviceGrain>(s.Device).PredictAtomsAsync(query))).ToArray();
        var reports = new Dictionary<string, AtomLatencyReport>(StringComparer.Ordinal);
        foreach (var (device, task) in predictions)
        {
            try { reports[device] = await task; }
            catch (Exception e) when (e is not OutOfMemoryException) { LogAtomPredictionFailed(logger, e, Deployment, device); }
        }
        foreach (var (device, status) in statuses)
        {
            var own = status.ResidentAtoms
                .Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && GrainKeys.DeviceOf(k) == device)
                .Select(k => GrainKeys.ParseAtom(k).Index)
                .ToArray();
            // The speed the device measured (its declared factor is an emulation knob, already inside
            // that measurement); memory above the floor under which it would evict again.
            var speed = status.Speed > 0 && double.IsFinite(status.Speed)
                ? status.SpeedSource == "prior" ? status.PriorSpeed * calibration : status.Speed
                : status.SpeedFactor;
            var available = status.AvailableMemoryBytes < 0 ? -1 : Math.Max(0, status.AvailableMemoryBytes - status.MemoryFloorBytes);
            devices.Add(new DeviceContext(device, speed, status.Budgets.MemoryBudgetBytes, status.Budgets.ComputeBudgetFlops, available, own)
            {
                AtomMs = reports.TryGetValue(device, out var report) ? Rescaled(report, speed) : null,
            });
            LogDeviceContext(logger, Deployment, device, speed, status.SpeedSource, calibration, available, status.Budgets.MemoryBudgetBytes ?? -1, status.Budgets.ComputeBudgetFlops ?? -1);
        }
        // The initiator's own report, on the same footing as a device's: measured speed as is, an
        // unmeasured one scaled by what measured devices show against their priors.
        if (_initiatorContext is { } me)
        {
            var speed = me.SpeedSource == "prior" ? me.PriorSpeed * calibration : me.Speed;
            devices.Add(new DeviceContext(initiator, speed, null, null, me.AvailableMemoryBytes, Enumerable.Range(0, machine.Live.Count).ToArray())
            {
                AtomMs = me.Atoms is { } mine ? Rescaled(mine, speed) : null,
            });
            if (me.Atoms is { } reported) reports[initiator] = reported;
        }
        _atomLatencies = reports.Values.OrderBy(r => r.Device, StringComparer.Ordinal).ToArray();
        var all = devices.Select(d => d.DeviceId).Where(d => d != initiator).Prepend(initiator).ToArray();
        await ProbeInitiatorLinksAsync(initiator, all.Skip(1));
        var links = new List<LinkContext>();
        foreach (var task in all.SelectMany(from => all.Where(to => to != from).Select(to => GrainFactory.GetGrain<ILinkGrain>(GrainKeys.Link(from, to)).EnsureMeasuredAsync())).ToArray())
        {
            try
            {
                var link = await task;
                links.Add(new LinkContext(link.From, link.To, link.Mbps, link.LatencyMs));
                LogLinkContext(logger, Deployment, link.From, link.To, link.Mbps, link.Source, link.Samples);
            }
            catch (Exception e) when (e is not OutOfMemoryException) { LogLinkUnanswered(logger, e, Deployment); /* its silo is leaving: the link counts as missing */ }
        }
        var keys = devices.Select(d => d.DeviceId).Where(d => d != initiator).Concat(all.SelectMany(from => all.Where(to => to != from).Select(to => GrainKeys.Link(from, to))));
        await SubscribeAsync(keys.Where(k => !_subscribed.Contains(k)).ToArray());
        return new ContextSnapshot(devices, links);
    }

    /// <summary>
    /// Asks the initiator to probe its links to and from devices it never measured, before planning on
    /// them: a link grain probes through the sending device's silo, which a client does not have, so
    /// without this a device that joined after the deploy was planned on the configured default link
    /// until real transfers measured it. Bounded by <see cref="PlannerOptions.InitiatorProbeWait"/>;
    /// a device is asked about at most once per <see cref="InitiatorProbeRetry"/>.
    /// </summary>
    private async Task ProbeInitiatorLinksAsync(string initiator, IEnumerable<string> devices)
    {
        var wait = options.Value.InitiatorProbeWait;
        if (_callback is not { } callback || wait <= TimeSpan.Zero) return;
        var now = time.GetUtcNow();
        var unmeasured = new List<string>();
        foreach (var device in devices)
        {
            if (_initiatorLinksMeasured.Contains(device) || (_initiatorProbeAsked.TryGetValue(device, out var asked) && now - asked < InitiatorProbeRetry)) continue;
            try
            {
                var estimates = await Task.WhenAll(
                    GrainFactory.GetGrain<ILinkGrain>(GrainKeys.Link(initiator, device)).GetAsync(),
                    GrainFactory.GetGrain<ILinkGrain>(GrainKeys.Link(device, initiator)).GetAsync());
                if (estimates.Any(e => e.Source == "probing")) unmeasured.Add(device);
                else _initiatorLinksMeasured.Add(device);
            }
            catch (Exception e) when (e is not OutOfMemoryException) { LogLinkUnanswered(logger, e, Deployment); }
        }
        if (unmeasured.Count == 0) return;
        foreach (var device in unmeasured) _initiatorProbeAsked[device] = now;
        var started = time.GetTimestamp();
        try
        {
            await callback.ProbeLinksAsync([.. unmeasured]).WaitAsync(wait, time);
            LogInitiatorProbed(logger, Deployment, initiator, string.Join(",", unmeasured), time.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e) when (e is not OutOfMemoryException) { LogInitiatorProbeFailed(logger, e, Deployment, initiator, string.Join(",", unmeasured)); }
    }

    /// <summary>What devices are asked for their per-atom predictions: the manifest's predictedMs and memory model (built once per manifest).</summary>
    private AtomLatencyQuery AtomQuery(DeploymentMachine machine)
    {
        var sha = manifestState.State.ManifestSha256;
        if (_atomQuery is { } cached && cached.Sha == sha) return cached.Query;
        var memory = ParseManifest(manifestState.State.ManifestJson).MemoryModel;
        var query = new AtomLatencyQuery(Deployment, machine.Model.Atoms.Select(a => a.PredictedMs).ToArray(),
            memory is null ? null : JsonSerializer.Serialize(memory, AdaMecJson.Compact));
        _atomQuery = (sha, query);
        return query;
    }

    /// <summary>
    /// A report's figures at the speed the planner plans the device with: the same when the device
    /// measured its speed; scaled by the calibration when it only has a prior. Null when unusable.
    /// </summary>
    private static double[]? Rescaled(AtomLatencyReport report, double speed) =>
        report.Speed > 0 && double.IsFinite(report.Speed) && speed > 0 && double.IsFinite(speed)
            ? report.AtomMs.Select(ms => ms * speed / report.Speed).ToArray()
            : null;

    /// <summary>
    /// How measured devices (and devices whose measurement was scaled by a quota change) run against what their CPU quota alone predicts (the median; 1 when none
    /// measured yet). A device that has timed nothing yet is taken to run like them, scaled by its own
    /// quota: with an uncalibrated prior of 1 a fresh device would look faster than every measured one
    /// (whose speed includes the machine's load and the manifest's prediction bias), draw the atoms,
    /// measure as slow, and hand them back.
    /// </summary>
    private static double SpeedCalibration(IEnumerable<DeviceStatus> statuses)
    {
        // A "quota" reading is a measurement scaled by the quota change: it calibrates as well, and
        // leaving it out would swing the others' calibration back to 1 at the moment a quota changes.
        var ratios = statuses.Where(s => s.SpeedSource is "measured" or "quota" && s.PriorSpeed > 0 && s.Speed > 0)
            .Select(s => s.Speed / s.PriorSpeed).Order().ToArray();
        return ratios.Length == 0 ? 1 : ratios[ratios.Length / 2];
    }

    /// <summary>Takes (or renews) a lease on each context grain's signals.</summary>
    private async Task SubscribeAsync(IReadOnlyCollection<string> keys)
    {
        var subscription = new ContextSubscription(Deployment, options.Value.SubscriptionLease);
        var calls = keys.Select(key => (Key: key, Task: GrainKeys.TryParseLink(key, out _, out _)
            ? GrainFactory.GetGrain<ILinkGrain>(key).SubscribeAsync(subscription)
            : GrainFactory.GetGrain<IDeviceGrain>(key).SubscribeAsync(subscription))).ToArray();
        foreach (var (key, task) in calls)
        {
            try
            {
                await task;
                _subscribed.Add(key);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogSubscribeFailed(logger, e, Deployment, key);
            }
        }
    }

    private Task RenewLeasesAsync(CancellationToken cancellationToken) =>
        _stopping.IsCancellationRequested ? Task.CompletedTask : SubscribeAsync(_subscribed.ToArray());

    /// <summary>Sends the newest live plan to the initiator; a slow or gone initiator holds up nothing else.</summary>
    private async Task NotifyAsync(CancellationToken cancellationToken)
    {
        while (_pendingNotify is { } plan && _callback is { } callback && !_stopping.IsCancellationRequested)
        {
            _pendingNotify = null;
            try
            {
                // A gone initiator answers only at the response timeout: a stopping silo does not wait for that.
                await callback.PlanChangedAsync(plan).WaitAsync(_stopping.Token);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogNotifyFailed(logger, e, Deployment, plan.Version);
            }
        }
    }

    /// <summary>Writes the state when the machine says so, then queues the initiator's notice (state first: a crash never shows the initiator a plan storage lost).</summary>
    private async Task ApplyAsync(DeploymentEffects effects)
    {
        if (effects.Persist && _machine is { IsDeployed: true } machine && _initiator is not null && _callback is not null)
        {
            try
            {
                await WriteAsync(state, PlannerState.From(machine.Save(), manifestState.State.ManifestSha256, _initiator, _callback.GetGrainId().ToString(), _initiatorContext));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogPersistFailed(logger, e, Deployment);
            }
        }
        if (effects.Notify is not null && _notifier is not null)
        {
            _pendingNotify = Live();
            _notifier.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    // ---------------------------------------------------------------- activation

    private void Resume()
    {
        var manifest = ParseManifest(manifestState.State.ManifestJson);
        var model = DeploymentModel.FromManifest(manifest, manifestState.State.ManifestSha256);
        _specJson = manifest.Atoms.Select(a => JsonSerializer.Serialize(a, AdaMecJson.Compact)).ToArray();
        _initiator = state.State.Initiator!;
        _callback = GrainFactory.GetGrain<IInitiatorCallback>(GrainId.Parse(state.State.CallbackId));
        // The initiator's last report, else its deploy-time one; a stored report this code finds invalid is dropped.
        var reported = state.State.InitiatorContext ?? _initiator.Context;
        _initiatorContext = _initiatorSignalled = reported is not null && ContextReportValidation.Initiator(reported) is null ? reported : null;
        _machine = DeploymentMachine.Restore(Deployment, options.Value.ToMachineOptions(), time, model, state.State.ToMemento(time.GetUtcNow()), ActiveDevices());
        _verifyResidency = true;
    }

    /// <summary>Timers and the membership watch, once per activation, from the first deploy or the resume.</summary>
    private void Start()
    {
        if (_work is not null) return;
        _work = this.RegisterGrainTimer(PumpAsync, new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan) { Interleave = false });
        _notifier = this.RegisterGrainTimer(NotifyAsync, new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan) { Interleave = true });
        var renew = options.Value.SubscriptionLease / 3;
        // Keeps the planner active while deployed: collected, it would stop renewing and its context grains would stop signalling.
        _lease = this.RegisterGrainTimer(RenewLeasesAsync, new GrainTimerCreationOptions(renew, renew) { Interleave = true, KeepAlive = true });
        _membershipDirty = true;
        _membershipWatch = WatchMembershipAsync(_stopping.Token);
        Schedule();
    }

    /// <summary>Each membership update marks the view stale and wakes the work timer, which adopts it in a turn of its own.</summary>
    private async Task WatchMembershipAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                if (cancellationToken.IsCancellationRequested) break;
                if (snapshot.GetSiloStatus(silo.SiloAddress) != SiloStatus.Active)
                {
                    // This silo is stopping and this activation goes with it: re-planning for its own departure would
                    // race the shutdown (storage, notices to initiators, placement with no silo left). Whoever calls
                    // next re-activates the planner elsewhere, and it resumes from storage with the membership then.
                    _stopping.Cancel();
                    break;
                }
                _membershipDirty = true;
                _work?.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogMembershipWatchFailed(logger, e, Deployment);
        }
    }

    // ---------------------------------------------------------------- helpers

    private LivePlan Live()
    {
        var machine = Machine;
        var view = machine.LivePlan();
        return new LivePlan(Deployment, view.Version, view.Initiator, view.Assignment.ToArray(), view.PredictedLatencyMs, view.Feasible);
    }

    private SortedSet<string> ActiveDevices() => new(
        membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.Name),
        StringComparer.Ordinal);

    private AtomManifest ParseManifest(string json)
    {
        try
        {
            // The manifest parser every reader uses: any malformed JSON or field is an AtomFileException naming it.
            return AtomManifest.Parse(json, "manifest");
        }
        catch (AtomFileException e)
        {
            throw new AdaMecException(AdaMecErrorCode.InvalidModel, $"deployment {Deployment}: the manifest is not usable: {e.Message}");
        }
    }

    /// <summary>
    /// Writes a whole state. This activation is the only writer, so a stale ETag means the stored copy
    /// changed under it (its storage lost the record, or a duplicate activation wrote): take the current
    /// ETag and write ours over it.
    /// </summary>
    private static async Task WriteAsync<T>(IPersistentState<T> persistent, T value)
    {
        persistent.State = value;
        try
        {
            await persistent.WriteStateAsync();
        }
        catch (Orleans.Storage.InconsistentStateException)
        {
            await persistent.ReadStateAsync();
            persistent.State = value;
            await persistent.WriteStateAsync();
        }
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>The machine's refusals as the cluster's errors.</summary>
    private static DeploymentEffects Refusing(Func<DeploymentEffects> input)
    {
        try
        {
            return input();
        }
        catch (DeploymentException e)
        {
            throw new AdaMecException(e.Refusal switch
            {
                DeploymentRefusal.NotDeployed => AdaMecErrorCode.UnknownDeployment,
                DeploymentRefusal.UnknownDevice => AdaMecErrorCode.UnknownDevice,
                DeploymentRefusal.OwnedByAnotherInitiator => AdaMecErrorCode.DeploymentOwned,
                _ => AdaMecErrorCode.InvalidContext,
            }, e.Message);
        }
    }

    [LoggerMessage(105, LogLevel.Information, "Deployment {Deployment} re-planned ({Trigger}) with {Strategy} in {DecisionMs:0.00} ms: [{Plan}] predicted {LatencyMs:0.0} ms, feasible {Feasible}")]
    private static partial void LogReplanned(ILogger logger, string deployment, string trigger, string strategy, double decisionMs, string plan, double latencyMs, bool feasible);

    [LoggerMessage(106, LogLevel.Information, "Deployment {Deployment}: atom {Atom} now runs on {Device} (plan v{Version})")]
    private static partial void LogSwitched(ILogger logger, string deployment, int atom, string device, int version);

    [LoggerMessage(107, LogLevel.Warning, "Deployment {Deployment}: offloading atom {Atom} to {Device} failed (attempt {Attempt})")]
    private static partial void LogOffloadFailed(ILogger logger, Exception exception, string deployment, int atom, string device, int attempt);

    [LoggerMessage(108, LogLevel.Information, "Deployment {Deployment}: active devices now [{Devices}]")]
    private static partial void LogMembershipChanged(ILogger logger, string deployment, string devices);

    [LoggerMessage(109, LogLevel.Warning, "Deployment {Deployment}: re-planning ({Trigger}) failed (failure {Failures}); retrying with backoff")]
    private static partial void LogReplanFailed(ILogger logger, Exception exception, string deployment, string trigger, int failures);

    [LoggerMessage(110, LogLevel.Warning, "Could not tell the initiator of {Deployment} about plan v{Version}")]
    private static partial void LogNotifyFailed(ILogger logger, Exception exception, string deployment, int version);

    [LoggerMessage(111, LogLevel.Information, "Deployment {Deployment}: atom {Atom} evicted from {Device} ({Reason}); it runs on the initiator (plan v{Version}) until the re-plan")]
    private static partial void LogEvicted(ILogger logger, string deployment, int atom, string device, string reason, int version);

    [LoggerMessage(112, LogLevel.Information, "Deployment {Deployment} resumed from storage at plan v{Version}: live [{Live}], pin [{Pin}]")]
    private static partial void LogResumed(ILogger logger, string deployment, int version, string live, string pin);

    [LoggerMessage(113, LogLevel.Warning, "Deployment {Deployment}: its stored state could not be resumed; waiting for a new deploy")]
    private static partial void LogResumeFailed(ILogger logger, Exception exception, string deployment);

    [LoggerMessage(114, LogLevel.Warning, "Deployment {Deployment}: writing the planner state failed; the plan goes on in memory")]
    private static partial void LogPersistFailed(ILogger logger, Exception exception, string deployment);

    [LoggerMessage(115, LogLevel.Warning, "Deployment {Deployment}: releasing atom {Atom} on {Device} failed")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string deployment, int atom, string device);

    [LoggerMessage(116, LogLevel.Warning, "Deployment {Deployment}: subscribing to {Key} failed; renewing later")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception, string deployment, string key);

    [LoggerMessage(117, LogLevel.Warning, "Deployment {Deployment}: could not register in the deployment directory")]
    private static partial void LogDirectoryFailed(ILogger logger, Exception exception, string deployment);

    [LoggerMessage(118, LogLevel.Warning, "Deployment {Deployment}: a planner work item failed; the next tick goes on")]
    private static partial void LogWorkFailed(ILogger logger, Exception exception, string deployment);

    [LoggerMessage(119, LogLevel.Error, "Deployment {Deployment}: the membership watch stopped")]
    private static partial void LogMembershipWatchFailed(ILogger logger, Exception exception, string deployment);

    [LoggerMessage(121, LogLevel.Information, "Deployment {Deployment}: {Change}; re-planning")]
    private static partial void LogInitiatorChanged(ILogger logger, string deployment, string change);

    [LoggerMessage(122, LogLevel.Warning, "Deployment {Deployment}: recalibrating {Target} failed; planning with what it said before")]
    private static partial void LogRecalibrationFailed(ILogger logger, Exception exception, string deployment, string target);

    [LoggerMessage(123, LogLevel.Warning, "Deployment {Deployment}: device {Device} did not predict its atoms; planning it with predictedMs times its speed")]
    private static partial void LogAtomPredictionFailed(ILogger logger, Exception exception, string deployment, string device);

    [LoggerMessage(127, LogLevel.Information, "Deployment {Deployment}: device {Device} did not answer the context gather; planning without it")]
    private static partial void LogDeviceUnanswered(ILogger logger, Exception exception, string deployment, string device);

    [LoggerMessage(128, LogLevel.Debug, "Deployment {Deployment}: context of {Device}: speed {Speed:0.00}x ({Source}, peers' calibration {Calibration:0.00}), available {Available} bytes, budgets memory {MemoryBudget} compute {ComputeBudget}")]
    private static partial void LogDeviceContext(ILogger logger, string deployment, string device, double speed, string source, double calibration, long available, double memoryBudget, double computeBudget);

    [LoggerMessage(129, LogLevel.Debug, "Deployment {Deployment}: context of link {From}->{To}: {Mbps:0.0} Mbps ({Source}, {Samples} samples)")]
    private static partial void LogLinkContext(ILogger logger, string deployment, string from, string to, double mbps, string source, int samples);

    [LoggerMessage(130, LogLevel.Information, "Deployment {Deployment}: a link did not answer the context gather; it counts as missing")]
    private static partial void LogLinkUnanswered(ILogger logger, Exception exception, string deployment);

    [LoggerMessage(131, LogLevel.Information, "Deployment {Deployment}: initiator {Initiator} probed its links to {Devices}, never measured before, in {Ms:0} ms")]
    private static partial void LogInitiatorProbed(ILogger logger, string deployment, string initiator, string devices, double ms);

    [LoggerMessage(132, LogLevel.Warning, "Deployment {Deployment}: initiator {Initiator} did not probe its links to {Devices} in time; planning on what the links hold")]
    private static partial void LogInitiatorProbeFailed(ILogger logger, Exception exception, string deployment, string initiator, string devices);

    [LoggerMessage(120, LogLevel.Debug, "Deployment {Deployment}: cancelling the membership watch threw")]
    private static partial void LogStopFailed(ILogger logger, Exception exception, string deployment);
}
