using System.Globalization;
using AdaMec.Core.Planning;

namespace AdaMec.Core.Deployments;

/// <summary>
/// One deployment's life, pure: no Orleans, no I/O, time from a <see cref="TimeProvider"/>. Inputs are
/// the methods (deploy, requirement, pin, membership, context, atom resident / load failed / evicted,
/// source released, plan decided or failed); each returns the <see cref="DeploymentEffects"/> to apply
/// at once (notify, persist, a queued re-plan). The work still to do — re-plans, offload steps in the
/// planner's order, retries with backoff, releases of old copies — comes from <see cref="NextWork"/>,
/// which a shell calls on every tick of its timer until it answers <see cref="IdleWork"/>.
/// <para>
/// Invariants (checked by property tests): the live plan only names the initiator or devices where the
/// atom became resident and has not been evicted, released or lost with its device since; no atom is
/// moved twice towards one target; failed loads of one atom onto one device are tried at most
/// <see cref="DeploymentMachineOptions.MaxRetries"/> + 1 times until something lifts the block (an
/// operator action, the device joining again, a budget change on it); a pin is the target while its
/// devices live, except for pairs blocked that way.
/// </para>
/// </summary>
public sealed class DeploymentMachine
{
    /// <summary>How many of the newest history entries <see cref="RequestsServed"/> looks at.</summary>
    private const int ServedLookBack = 16;

    private readonly DeploymentMachineOptions _options;
    private readonly TimeProvider _time;
    private readonly List<PlanHistoryEntry> _history = [];
    private readonly SortedSet<string> _devices = new(StringComparer.Ordinal);
    private readonly List<OrderedMove> _order = [];
    private readonly HashSet<int> _moved = [];
    // One-time offloading: atoms resident on their target device that the live plan does not use yet.
    private readonly Dictionary<int, string> _held = [];
    private readonly OffloadSwitching _switching;
    private readonly Dictionary<(int Atom, string Device), int> _failures = [];
    private readonly Dictionary<(int Atom, string Device), DateTimeOffset> _retryAt = [];
    private readonly HashSet<(int Atom, string Device)> _blocked = [];
    private readonly Dictionary<(int Atom, string Device), DateTimeOffset> _releases = [];
    private readonly List<Pending> _pending = [];
    private readonly Dictionary<ContextKind, DateTimeOffset> _lastContextReplan = [];
    private readonly Dictionary<string, int> _unanswered = new(StringComparer.Ordinal); // re-plans that found an active device silent, since it joined
    private GapStreak? _gap;
    private DateTimeOffset? _recalibratedAt;
    private DeploymentModel? _model;
    private DeploymentInitiator? _initiator;
    private string[]? _pin;
    private string[] _live = [];
    private string[] _target = [];
    private long _tickets;

    public DeploymentMachine(string deployment, DeploymentMachineOptions options, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deployment);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        Deployment = deployment;
        _options = options;
        _time = time;
        _switching = PlanningStrategies.Names.Contains(options.Strategy)
            ? OffloadPolicies.For(PlanningStrategies.Create(options.Strategy)).Switching
            : OffloadSwitching.EachAtom;
    }

    public string Deployment { get; }

    public bool IsDeployed => _model is not null;

    public DeploymentModel Model => _model ?? throw NotDeployed();

    public DeploymentInitiator Initiator => _initiator ?? throw NotDeployed();

    public double RequirementMs { get; private set; }

    public IReadOnlyList<string>? Pin => _pin;

    public IReadOnlyList<string> Live => _live;

    public IReadOnlyList<string> Target => _target;

    public int Version { get; private set; }

    public double PredictedLatencyMs { get; private set; }

    public bool Feasible { get; private set; }

    /// <summary>The active devices (cluster members), ordinal order.</summary>
    public IReadOnlyCollection<string> Devices => _devices;

    /// <summary>The newest entries, oldest first, at most <see cref="DeploymentMachineOptions.HistoryLimit"/>.</summary>
    public IReadOnlyList<PlanHistoryEntry> History => _history;

    /// <summary>How many plan decisions were ever recorded (the history keeps only the newest).</summary>
    public int Sequence { get; private set; }

    /// <summary>Whether the live plan still differs from the target.</summary>
    public bool Migrating => !_live.AsSpan().SequenceEqual(_target);

    /// <summary>How many times the target assignment changed (each change is a new target).</summary>
    public int TargetEpoch { get; private set; }

    private int TargetSequence { get; set; }

    public LivePlanView LivePlan() => new(Version, Initiator.DeviceId, _live.ToArray(), PredictedLatencyMs, Feasible);

    /// <summary>Whether loads of <paramref name="atom"/> onto <paramref name="device"/> are given up (failed too often, or evicted from there) until lifted.</summary>
    public bool IsBlocked(int atom, string device) => _blocked.Contains((atom, device));

    // ---------------------------------------------------------------- inputs

    /// <summary>
    /// Deploys or re-deploys. The same initiator re-deploying takes over (new requirement, initiator
    /// facts); a different manifest starts again from the initiator and releases the old copies;
    /// another initiator device is refused.
    /// </summary>
    public DeploymentEffects Deploy(DeploymentModel model, DeploymentInitiator initiator, double requirementMs, IEnumerable<string> activeDevices)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(initiator);
        ArgumentNullException.ThrowIfNull(activeDevices);
        ValidateRequirement(requirementMs);
        ValidateInitiator(initiator);
        if (model.Atoms is null || model.Atoms.Count == 0)
            throw new DeploymentException(DeploymentRefusal.InvalidInput, $"deployment {Deployment}: the model has no atoms");
        if (_initiator is { } owner && owner.DeviceId != initiator.DeviceId)
            throw new DeploymentException(DeploymentRefusal.OwnedByAnotherInitiator,
                $"deployment id '{Deployment}' belongs to initiator device '{owner.DeviceId}', not '{initiator.DeviceId}': choose another deployment id");

        ResetDevices(activeDevices);
        var now = _time.GetUtcNow();
        var fresh = _model is null || _model.ManifestSha256 != model.ManifestSha256 || _model.Atoms.Count != model.Atoms.Count;
        if (fresh)
        {
            if (_model is not null)
            {
                // New weights under the same id: every old copy must go before a new one loads into its grain.
                for (var i = 0; i < _live.Length; i++)
                {
                    if (_live[i] != initiator.DeviceId && _devices.Contains(_live[i])) _releases[(i, _live[i])] = now;
                }
                foreach (var key in _releases.Keys.ToArray()) _releases[key] = now;
            }
            if (_pin is not null && _pin.Length != model.Atoms.Count) _pin = null;
            _model = model;
            _live = Enumerable.Repeat(initiator.DeviceId, model.Atoms.Count).ToArray();
            _target = _live.ToArray();
            _order.Clear();
            _moved.Clear();
            _held.Clear();
            TargetEpoch++;
            TargetSequence = 0;
            Version++;
            PredictedLatencyMs = 0;
            Feasible = false;
        }
        _initiator = initiator;
        RequirementMs = requirementMs;
        LiftAll();
        var replan = Queue(ReplanCause.Deploy, null, "deploy", now);
        return new DeploymentEffects(fresh ? LivePlan() : null, true, replan);
    }

    /// <summary>Sets the latency requirement; a change queues a re-plan.</summary>
    public DeploymentEffects SetRequirement(double milliseconds)
    {
        RequireDeployed();
        ValidateRequirement(milliseconds);
        if (milliseconds == RequirementMs) return DeploymentEffects.None;
        RequirementMs = milliseconds;
        LiftAll();
        return new DeploymentEffects(null, true, Queue(ReplanCause.Operator, null, string.Create(CultureInfo.InvariantCulture, $"latency requirement {milliseconds:0.###} ms"), _time.GetUtcNow()));
    }

    /// <summary>Pins the plan to an assignment (device per atom: active devices or the initiator), or clears the pin with null.</summary>
    public DeploymentEffects SetPin(IReadOnlyList<string>? assignment)
    {
        RequireDeployed();
        if (assignment is not null)
        {
            if (assignment.Count != _live.Length)
                throw new DeploymentException(DeploymentRefusal.InvalidInput, $"a pinned plan needs a device for each of {_live.Length} atoms, got {assignment.Count}");
            var unknown = assignment.FirstOrDefault(d => d != Initiator.DeviceId && !_devices.Contains(d));
            if (unknown is not null)
                throw new DeploymentException(DeploymentRefusal.UnknownDevice, $"cannot pin to device '{unknown}': no active silo serves it (active: {string.Join(", ", _devices)})");
        }
        _pin = assignment?.ToArray();
        LiftAll();
        return new DeploymentEffects(null, true, Queue(ReplanCause.Operator, null, assignment is null ? "unpinned" : "pinned by operator", _time.GetUtcNow()));
    }

    /// <summary>An operator asks for a re-plan now.</summary>
    public DeploymentEffects RequestReplan(string trigger)
    {
        RequireDeployed();
        ArgumentException.ThrowIfNullOrWhiteSpace(trigger);
        LiftAll();
        return new DeploymentEffects(null, false, Queue(ReplanCause.Operator, null, trigger, _time.GetUtcNow()));
    }

    /// <summary>The active devices now. Atoms on departed devices fall back to the initiator at once; a re-plan is queued.</summary>
    public DeploymentEffects MembershipChanged(IEnumerable<string> activeDevices)
    {
        ArgumentNullException.ThrowIfNull(activeDevices);
        var now = new SortedSet<string>(activeDevices, StringComparer.Ordinal);
        var left = _devices.Where(d => !now.Contains(d)).ToArray();
        var joined = now.Where(d => !_devices.Contains(d)).ToArray();
        if (left.Length == 0 && joined.Length == 0) return DeploymentEffects.None;
        ResetDevices(now);
        if (_model is null) return DeploymentEffects.None;

        foreach (var device in left.Concat(joined)) _unanswered.Remove(device);
        var gone = new HashSet<string>(left, StringComparer.Ordinal);
        var changed = FallBack(i => gone.Contains(_live[i]));
        // A device that left took its copies; one that joined (again) is a fresh silo.
        var touched = new HashSet<string>(left.Concat(joined), StringComparer.Ordinal);
        Forget(k => touched.Contains(k.Device));
        _order.RemoveAll(m => gone.Contains(m.To));
        var change = string.Join(" ", left.Select(d => "-" + d).Concat(joined.Select(d => "+" + d)));
        var pending = _pending.FirstOrDefault(p => p.Work.Cause == ReplanCause.Membership);
        if (pending is not null) pending.Work = pending.Work with { Trigger = pending.Work.Trigger + " " + change };
        else Queue(ReplanCause.Membership, null, "membership: " + change, _time.GetUtcNow());
        return new DeploymentEffects(changed ? LivePlan() : null, changed);
    }

    /// <summary>
    /// A re-plan's context gather found active devices that did not answer, or no link from the initiator to them, so
    /// the plan was made without them. A silo is an active member a moment before calls can be placed on it: the
    /// re-plan on its join may miss it, and without another re-plan nothing ever offers it atoms (the planner
    /// subscribes only to devices that answered). So another membership re-plan is queued with backoff
    /// (<see cref="DeploymentMachineOptions.RetryDelay"/>, doubling), at most <see cref="DeploymentMachineOptions.MaxRetries"/>
    /// times per device until its membership changes again.
    /// </summary>
    /// <param name="devices">Devices the gather missed; those not active members are ignored.</param>
    public DeploymentEffects ContextMissing(IEnumerable<string> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        if (_model is null) return DeploymentEffects.None;
        var missing = devices.Where(d => _devices.Contains(d) && d != Initiator.DeviceId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        foreach (var device in missing) _unanswered[device] = _unanswered.GetValueOrDefault(device) + 1;
        var retry = missing.Where(d => _unanswered[d] <= _options.MaxRetries).ToArray();
        if (retry.Length == 0 || _pending.Any(p => p.Work.Cause == ReplanCause.Membership)) return DeploymentEffects.None;
        var attempt = retry.Max(d => _unanswered[d]);
        Queue(ReplanCause.Membership, null, $"membership: {string.Join(",", retry)} did not answer the last re-plan (try {attempt + 1})", _time.GetUtcNow() + Backoff(attempt));
        return DeploymentEffects.None;
    }

    /// <summary>
    /// A context grain's signal. Declared budgets re-plan at once (and lift blocks on that device);
    /// measured kinds re-plan at most once per interval per kind, with hysteresis.
    /// </summary>
    /// <param name="kind">What moved.</param>
    /// <param name="source">The device id or link key whose context moved.</param>
    /// <param name="detail">The history's trigger text.</param>
    /// <param name="observedAt">When the source saw the change (time-to-benefit counts from there); null: now. A time after now counts as now.</param>
    /// <param name="measurement">The measured value that moved, kept as typed fields in the plan history; null for declared changes.</param>
    public DeploymentEffects ContextChanged(ContextKind kind, string source, string detail, DateTimeOffset? observedAt = null, TriggerMeasurement? measurement = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(detail);
        if (_model is null) return DeploymentEffects.None;
        var now = _time.GetUtcNow();
        var changedAt = observedAt is { } seen && seen < now ? seen : now;
        if (kind == ContextKind.Budgets) Forget(k => k.Device == source);
        var due = kind == ContextKind.Budgets || !_lastContextReplan.TryGetValue(kind, out var last)
            ? now
            : Max(now, last + _options.ContextReplanInterval);
        var trigger = "context: " + detail;
        var pending = _pending.FirstOrDefault(p => p.Work.Cause == ReplanCause.Context && p.Work.Kind == kind);
        if (pending is not null)
        {
            pending.Work = pending.Work with
            {
                Trigger = trigger,
                ChangedAt = Min(pending.Work.ChangedAt, changedAt),
                Measurement = TriggerMeasurement.Coalesce(pending.Work.Measurement, measurement),
            };
            if (due < pending.DueAt) pending.DueAt = due;
        }
        else
        {
            Queue(ReplanCause.Context, kind, trigger, due, changedAt, measurement);
        }
        return DeploymentEffects.None;
    }

    /// <summary>
    /// An atom became resident on a device (a load finished, or a move to the initiator). The live plan
    /// switches when that is still the target; the old copy is released after a delay.
    /// </summary>
    public DeploymentEffects AtomResident(int atom, string device, long bytesMoved)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (_model is null || (uint)atom >= (uint)_live.Length) return DeploymentEffects.None;
        var now = _time.GetUtcNow();
        var initiator = Initiator.DeviceId;
        _releases.Remove((atom, device));
        _failures.Remove((atom, device));
        _retryAt.Remove((atom, device));
        if (_live[atom] == device) return DeploymentEffects.None;
        if (_target[atom] != device || (device != initiator && !_devices.Contains(device)))
        {
            // Superseded while it loaded: keep the live plan, drop the copy nobody uses.
            if (device != initiator && _devices.Contains(device)) _releases[(atom, device)] = now;
            return DeploymentEffects.None;
        }
        if (WholePlan)
        {
            // One-time offloading: the atom waits, resident, until every atom of the target is.
            _held[atom] = device;
            _moved.Add(atom);
            _order.RemoveAll(m => m.Atom == atom);
            UpdateTargetRecord(e => e with { BytesMoved = e.BytesMoved + bytesMoved });
            return new DeploymentEffects(SwitchHeldIfComplete(now) ? LivePlan() : null, true);
        }
        var old = _live[atom];
        _live[atom] = device;
        _moved.Add(atom);
        Version++;
        _order.RemoveAll(m => m.Atom == atom);
        if (old != initiator && _devices.Contains(old)) _releases[(atom, old)] = now + _options.SourceReleaseDelay;
        var version = Version;
        UpdateTargetRecord(e => e with
        {
            BytesMoved = e.BytesMoved + bytesMoved,
            AtomsSwitched = e.AtomsSwitched + 1,
            Switches = [.. e.Switches, new AtomSwitch(atom, old, device, version, Ms(now - e.ChangedAt), null)],
        });
        return new DeploymentEffects(LivePlan(), true);
    }

    /// <summary>A load failed: retry with backoff, at most <see cref="DeploymentMachineOptions.MaxRetries"/> times; then give the pair up.</summary>
    public DeploymentEffects AtomLoadFailed(int atom, string device, string reason)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (_model is null || (uint)atom >= (uint)_live.Length) return DeploymentEffects.None;
        var failures = _failures[(atom, device)] = _failures.GetValueOrDefault((atom, device)) + 1;
        if (failures <= _options.MaxRetries)
        {
            _retryAt[(atom, device)] = _time.GetUtcNow() + Backoff(failures);
            return DeploymentEffects.None;
        }
        // Keep serving the live plan; the pair stays given up until something lifts it.
        _retryAt.Remove((atom, device));
        _blocked.Add((atom, device));
        if (_target[atom] == device) _target[atom] = _live[atom];
        _order.RemoveAll(m => m.Atom == atom);
        UpdateTargetRecord(e => e);
        return new DeploymentEffects(SwitchHeldIfComplete(_time.GetUtcNow()) ? LivePlan() : null, true);
    }

    /// <summary>
    /// A device dropped one of this deployment's atoms. If the live plan used that copy, the atom falls
    /// back to the initiator at once and a re-plan is queued; the pair is not tried again until lifted.
    /// </summary>
    public DeploymentEffects AtomEvicted(int atom, string device, string reason)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(reason);
        if (_model is null || (uint)atom >= (uint)_live.Length) return DeploymentEffects.None;
        _releases.Remove((atom, device));
        if (_held.TryGetValue(atom, out var waiting) && waiting == device)
        {
            // A held copy went before the plan switched: give the pair up like a failed load and re-plan.
            _held.Remove(atom);
            _blocked.Add((atom, device));
            if (_target[atom] == device) _target[atom] = _live[atom];
            UpdateTargetRecord(e => e);
            Queue(ReplanCause.Eviction, null, string.Create(CultureInfo.InvariantCulture, $"eviction: atom {atom} from {device} before the plan switched ({reason})"), _time.GetUtcNow());
            return new DeploymentEffects(SwitchHeldIfComplete(_time.GetUtcNow()) ? LivePlan() : null, true);
        }
        if (_live[atom] != device || device == Initiator.DeviceId) return DeploymentEffects.None;
        _blocked.Add((atom, device));
        _live[atom] = Initiator.DeviceId;
        Version++;
        TargetEpoch++;
        _moved.Clear();
        ReconcileHeld();
        UpdateTargetRecord(e => e);
        Queue(ReplanCause.Eviction, null, string.Create(CultureInfo.InvariantCulture, $"eviction: atom {atom} from {device} ({reason})"), _time.GetUtcNow());
        return new DeploymentEffects(LivePlan(), true);
    }

    /// <summary>
    /// A live atom turned out not to be resident (checked after the planner resumed: its device
    /// restarted meanwhile). It falls back to the initiator at once and a re-plan is queued; unlike an
    /// eviction, the device may be used again at once.
    /// </summary>
    public DeploymentEffects AtomMissing(int atom, string device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (_model is null || (uint)atom >= (uint)_live.Length || _live[atom] != device || device == Initiator.DeviceId) return DeploymentEffects.None;
        _releases.Remove((atom, device));
        FallBack(i => i == atom);
        Queue(ReplanCause.Membership, null, string.Create(CultureInfo.InvariantCulture, $"resumed: atom {atom} not resident on {device}"), _time.GetUtcNow());
        return new DeploymentEffects(LivePlan(), true);
    }

    /// <summary>A release ran (or failed: the copy is no longer ours to track either way).</summary>
    public DeploymentEffects SourceReleased(int atom, string device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return _releases.Remove((atom, device)) ? new DeploymentEffects(null, true) : DeploymentEffects.None;
    }

    /// <summary>
    /// The initiator served <paramref name="requests"/> requests on live plan version <paramref name="planVersion"/>
    /// (the version they started on), <paramref name="medianMs"/> the median of their latencies. The first such
    /// request after an atom switch, and after a decision's plan became wholly live, times their benefit
    /// (<see cref="AtomSwitch.ServedMs"/>, <see cref="PlanHistoryEntry.TimeToBenefitMs"/>). Requests on the
    /// settled live plan are held against its prediction: a gap beyond
    /// <see cref="DeploymentMachineOptions.PredictionGapThreshold"/> that every report shows for
    /// <see cref="DeploymentMachineOptions.PredictionGapWindow"/> queues a re-plan that first recalibrates
    /// the devices and links the live plan uses (<see cref="ReplanWork.Recalibrate"/>).
    /// </summary>
    public DeploymentEffects RequestsServed(int planVersion, int requests, double medianMs)
    {
        if (_model is null || planVersion <= 0) return DeploymentEffects.None;
        var queued = WatchPrediction(planVersion, requests, medianMs);
        var now = _time.GetUtcNow();
        var changed = false;
        // Only recent decisions can still wait for their first request: older ones were superseded.
        for (var k = _history.Count - 1; k >= Math.Max(0, _history.Count - ServedLookBack); k--)
        {
            var entry = _history[k];
            var since = Ms(now - entry.ChangedAt);
            var updated = entry;
            if (entry.Switches.Any(s => s.ServedMs is null && s.Version <= planVersion))
                updated = updated with { Switches = entry.Switches.Select(s => s.ServedMs is null && s.Version <= planVersion ? s with { ServedMs = since } : s).ToArray() };
            if (entry.TimeToBenefitMs is null && entry.Completed && entry.LiveVersion > 0 && entry.LiveVersion <= planVersion && entry.Switches.Count > 0)
                updated = updated with { TimeToBenefitMs = since };
            if (ReferenceEquals(updated, entry)) continue;
            _history[k] = updated;
            changed = true;
        }
        return changed || queued ? new DeploymentEffects(null, changed) : DeploymentEffects.None;
    }

    /// <summary>Whether requests on the settled live plan have strayed from its prediction long enough to recalibrate; queues that re-plan.</summary>
    private bool WatchPrediction(int planVersion, int requests, double medianMs)
    {
        if (Migrating || planVersion != Version || requests <= 0 || !double.IsFinite(medianMs) || !(PredictedLatencyMs > 0))
        {
            // Requests of an older plan say nothing of this one; a plan still moving has no single prediction.
            if (planVersion != Version || Migrating) _gap = null;
            return false;
        }
        var now = _time.GetUtcNow();
        if (Math.Abs(medianMs / PredictedLatencyMs - 1) <= _options.PredictionGapThreshold)
        {
            _gap = null;
            return false;
        }
        if (_gap is null || _gap.Version != Version || _gap.PredictedMs != PredictedLatencyMs) _gap = new GapStreak(Version, PredictedLatencyMs, now);
        _gap.Medians.Add(medianMs);
        _gap.Requests += requests;
        if (_gap.Medians.Count < _options.PredictionGapReports || now - _gap.Since < _options.PredictionGapWindow) return false;
        if (_recalibratedAt is { } last && now - last < _options.RecalibrationCooldown) return false;
        if (_pending.Any(p => p.Work.Cause == ReplanCause.PredictionGap)) return false;

        var measured = _gap.Medians.Order().ElementAt(_gap.Medians.Count / 2);
        var recalibration = Involved();
        var trigger = string.Create(CultureInfo.InvariantCulture,
            $"prediction gap: predicted {PredictedLatencyMs:0.0} ms, measured {measured:0.0} ms ({measured / PredictedLatencyMs - 1:+0%;-0%}, median of {_gap.Medians.Count} reports, {_gap.Requests} requests over {(now - _gap.Since).TotalSeconds:0.0} s); recalibrating ")
            + (recalibration.Devices.Count == 0 ? "no device" : "devices " + string.Join(",", recalibration.Devices))
            + (recalibration.Links.Count == 0 ? "" : ", links " + string.Join(",", recalibration.Links.Select(l => l.From + "->" + l.To)));
        var work = new ReplanWork(++_tickets, ReplanCause.PredictionGap, null, trigger, 0) 
        {
            ChangedAt = _gap.Since,
            Recalibrate = recalibration,
            Measurement = new TriggerMeasurement(Deployment, "requestLatencyMs", PredictedLatencyMs, measured),
        };
        _pending.Add(new Pending(work, now));
        _recalibratedAt = now;
        _gap = null;
        return true;
    }

    /// <summary>The cluster devices the live plan runs atoms on, and the links its tensors cross (initiator to first atom, between atoms on different devices, last atom back).</summary>
    private Recalibration Involved()
    {
        var initiator = Initiator.DeviceId;
        var devices = _live.Where(d => d != initiator).Distinct().Order(StringComparer.Ordinal).ToArray();
        var links = new List<(string From, string To)>();
        var at = initiator;
        foreach (var device in _live.Append(initiator))
        {
            if (device != at && !links.Contains((at, device))) links.Add((at, device));
            at = device;
        }
        return new Recalibration(devices, links);
    }

    // ---------------------------------------------------------------- work

    /// <summary>
    /// The next thing to do, by the clock: a due release, then a due re-plan, then the next offload
    /// step in the planner's order (skipping steps waiting for a retry); else idle until the next due time.
    /// </summary>
    public DeploymentWork NextWork()
    {
        if (_model is null) return new IdleWork(null);
        var now = _time.GetUtcNow();
        DateTimeOffset? wake = null;
        void Later(DateTimeOffset at) => wake = wake is { } w && w <= at ? w : at;

        foreach (var ((atom, device), due) in _releases.OrderBy(r => r.Value).ThenBy(r => r.Key.Atom))
        {
            if (due > now) { Later(due); break; }
            if (_live[atom] != device) return new ReleaseWork(atom, device);
        }

        foreach (var pending in _pending.OrderBy(p => p.DueAt).ThenBy(p => p.Work.Ticket))
        {
            if (pending.DueAt <= now) return pending.Work;
            Later(pending.DueAt);
            break;
        }

        var initiator = Initiator.DeviceId;
        var candidates = _order.Select(m => (m.Atom, m.To))
            .Concat(Enumerable.Range(0, _live.Length).Select(i => (Atom: i, To: _target[i])));
        foreach (var (atom, to) in candidates)
        {
            if (_live[atom] == to || _target[atom] != to || _moved.Contains(atom) || _blocked.Contains((atom, to))) continue;
            if (to != initiator && !_devices.Contains(to)) continue; // a membership re-plan will move the target
            if (_retryAt.TryGetValue((atom, to), out var retry) && retry > now)
            {
                Later(retry);
                continue;
            }
            var peer = _live[atom] != initiator && _live[atom] != to ? _live[atom] : null;
            return new OffloadWork(atom, to, peer, _failures.GetValueOrDefault((atom, to)) + 1, to != initiator);
        }
        return new IdleWork(wake);
    }

    /// <summary>
    /// Builds the planning problem for a queued re-plan from gathered context: the initiator (with the
    /// speed and memory it reported of itself, when the context has an entry for it; else its deploy-time
    /// facts) plus the devices that answered, links among them, each device's memory counting only this
    /// deployment's own resident atoms as reclaimable. Throws <see cref="PlanningProblemException"/> for unusable context.
    /// </summary>
    public PlanningRequest PreparePlan(ReplanWork work, ContextSnapshot context)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(context);
        RequireDeployed();
        var model = Model;
        var initiator = Initiator;
        // The initiator's own report (speed it measured, memory it has), when the context carries one:
        // it holds every atom, so all of them count as reclaimable there.
        var reported = context.Devices.FirstOrDefault(d => d.DeviceId == initiator.DeviceId);
        double? initiatorMemory = initiator.MemoryBudgetBytes;
        if (reported is { AvailableMemoryBytes: >= 0 })
            initiatorMemory = Math.Min(initiatorMemory ?? double.PositiveInfinity, reported.AvailableMemoryBytes + model.Atoms.Sum(a => a.MemoryBytes));
        var initiatorSpeed = reported is { SpeedFactor: > 0 } && double.IsFinite(reported.SpeedFactor) ? reported.SpeedFactor : initiator.SpeedFactor;
        var devices = new List<PlanningDevice> { new(initiator.DeviceId, true, initiatorMemory, initiator.ComputeBudgetFlops) };
        var speed = new Dictionary<string, double>(StringComparer.Ordinal) { [initiator.DeviceId] = initiatorSpeed };
        foreach (var device in context.Devices)
        {
            if (device.DeviceId == initiator.DeviceId || !_devices.Contains(device.DeviceId) || speed.ContainsKey(device.DeviceId)) continue;
            double? memory = device.MemoryBudgetBytes;
            if (device.AvailableMemoryBytes >= 0) // -1: unknown
            {
                var own = device.OwnResidentAtoms.Where(i => (uint)i < (uint)model.Atoms.Count).Distinct().Sum(i => model.Atoms[i].MemoryBytes);
                memory = Math.Min(memory ?? double.PositiveInfinity, device.AvailableMemoryBytes + own);
            }
            devices.Add(new PlanningDevice(device.DeviceId, false, memory, device.ComputeBudgetFlops));
            speed[device.DeviceId] = device.SpeedFactor;
        }
        var links = context.Links
            .Where(l => l.From != l.To && speed.ContainsKey(l.From) && speed.ContainsKey(l.To) && double.IsFinite(l.Mbps) && l.Mbps > 0)
            .DistinctBy(l => (l.From, l.To))
            .Select(l => new PlanningLink(l.From, l.To, l.Mbps, l.LatencyMs))
            .ToArray();
        // Per-atom figures a device (or the initiator) predicted for itself, where it sent usable ones.
        var reportedMs = context.Devices
            .Where(d => speed.ContainsKey(d.DeviceId) && d.AtomMs is { } ms && ms.Count == model.Atoms.Count && ms.All(v => double.IsFinite(v) && v >= 0))
            .DistinctBy(d => d.DeviceId)
            .ToDictionary(d => d.DeviceId, d => d.AtomMs!, StringComparer.Ordinal);
        var atoms = model.Atoms.Select((a, i) => new PlanningAtom(a.Id, a.Flops, a.WeightBytes, a.MemoryBytes, a.OutputBytes,
            speed.ToDictionary(s => s.Key, s => reportedMs.TryGetValue(s.Key, out var ms) ? ms[i] : a.PredictedMs * s.Value, StringComparer.Ordinal))).ToArray();
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < _live.Length; i++) current[model.Atoms[i].Id] = speed.ContainsKey(_live[i]) ? _live[i] : initiator.DeviceId;
        var problem = PlanningProblem.Create(model.InputBytes, RequirementMs, devices, links, atoms, current);
        IPlanningStrategy strategy = _pin is { } pin && pin.All(speed.ContainsKey)
            ? new PinnedStrategy(pin)
            : PlanningStrategies.Create(_options.Strategy);
        return new PlanningRequest(work, problem, strategy);
    }

    /// <summary>
    /// Takes in a decision: applies hysteresis (measured context keeps a feasible target unless the new
    /// one is clearly faster), keeps given-up pairs where they are, sets the target and the offloading
    /// order, and records the decision (a re-plan on context that keeps the target is not news).
    /// </summary>
    public DeploymentEffects Decided(PlanningRequest request, PlanDecision decision)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decision);
        RequireDeployed();
        var work = request.Work;
        _pending.RemoveAll(p => p.Work.Ticket == work.Ticket);
        var problem = decision.Problem;
        if (problem.Atoms.Count != _live.Length) return DeploymentEffects.None; // a re-deploy overtook it
        if (work.Cause == ReplanCause.Context && work.Kind is { } kind) _lastContextReplan[kind] = _time.GetUtcNow();

        var assignment = decision.Assignment.ToArray();
        var cost = decision.Cost;
        var order = decision.OffloadOrder;
        var evaluator = new PlanEvaluator(problem);
        var measured = work.Cause is ReplanCause.Resumed or ReplanCause.PredictionGap || (work.Cause == ReplanCause.Context && work.Kind != ContextKind.Budgets);
        if (measured && request.Strategy is not PinnedStrategy && TryIndices(problem, _target, out var kept))
        {
            var keptCost = evaluator.Evaluate(kept);
            if (keptCost.Feasible && cost.LatencyMs > keptCost.LatencyMs * (1 - _options.Hysteresis))
            {
                assignment = kept;
                cost = keptCost;
                order = OffloadPolicies.For(request.Strategy).Order(problem, kept);
            }
        }
        var overridden = false;
        for (var i = 0; i < assignment.Length; i++)
        {
            var device = problem.Devices[assignment[i]].Id;
            if (device != _live[i] && _blocked.Contains((i, device)) && problem.Current[i] != assignment[i])
            {
                assignment[i] = problem.Current[i];
                overridden = true;
            }
        }
        if (overridden)
        {
            cost = evaluator.Evaluate(assignment);
            order = OffloadPolicies.For(request.Strategy).Order(problem, assignment);
        }

        var target = assignment.Select(d => problem.Devices[d].Id).ToArray();
        var changed = !target.AsSpan().SequenceEqual(_target);
        if (changed)
        {
            _target = target;
            TargetEpoch++;
            _moved.Clear();
            ReconcileHeld();
        }
        _order.Clear();
        foreach (var step in order)
        {
            var atom = problem.AtomIndexOf(step.Atom);
            if (_target[atom] == step.To) _order.Add(new OrderedMove(atom, step.To));
        }
        PredictedLatencyMs = cost.LatencyMs;
        Feasible = cost.Feasible;
        var quiet = work.Cause is ReplanCause.Context or ReplanCause.Resumed;
        if (!changed && quiet && _history.Count > 0) return new DeploymentEffects(null, true);

        var entry = new PlanHistoryEntry(++Sequence, _time.GetUtcNow(), work.Trigger, _live.ToArray(), _target.ToArray(),
            decision.Strategy, cost.Feasible, cost.LatencyMs, decision.DecisionTimeMs, (long)cost.WeightBytesMoved, 0, 0, !Migrating)
        {
            ChangedAt = work.ChangedAt,
            LiveVersion = Migrating ? 0 : Version,
            Measurement = work.Measurement,
        };
        _history.Add(entry);
        if (_history.Count > _options.HistoryLimit) _history.RemoveRange(0, _history.Count - _options.HistoryLimit);
        TargetSequence = entry.Sequence;
        // One-time offloading: a new target may need nothing that is not already held.
        if (SwitchHeldIfComplete(_time.GetUtcNow())) return new DeploymentEffects(LivePlan(), true, null, _history[^1]);
        return new DeploymentEffects(null, true, null, entry);
    }

    /// <summary>Gathering context or deciding failed: try the re-plan again with backoff, at most <see cref="DeploymentMachineOptions.MaxRetries"/> times.</summary>
    public DeploymentEffects PlanFailed(ReplanWork work, string reason)
    {
        ArgumentNullException.ThrowIfNull(work);
        var pending = _pending.FirstOrDefault(p => p.Work.Ticket == work.Ticket);
        if (pending is null) return DeploymentEffects.None;
        var failures = pending.Work.Failures + 1;
        if (failures > _options.MaxRetries)
        {
            _pending.Remove(pending); // the next input re-plans
            return DeploymentEffects.None;
        }
        pending.Work = pending.Work with { Failures = failures };
        pending.DueAt = _time.GetUtcNow() + Backoff(failures);
        return DeploymentEffects.None;
    }

    /// <summary>The last recorded decision, if any.</summary>
    public PlanHistoryEntry? LastRecord => _history.Count > 0 ? _history[^1] : null;

    // ---------------------------------------------------------------- durable state

    public DeploymentMemento Save()
    {
        RequireDeployed();
        return new DeploymentMemento(Initiator, RequirementMs, _pin?.ToArray(), _live.ToArray(), _target.ToArray(), Version, PredictedLatencyMs, Feasible,
            _history.ToArray(), Sequence, TargetSequence, _order.ToArray(), _moved.Where(i => !_held.ContainsKey(i)).Order().ToArray(),
            _releases.Select(r => new PendingRelease(r.Key.Atom, r.Key.Device, r.Value)).ToArray());
    }

    /// <summary>
    /// Resumes a saved deployment of <paramref name="model"/>: atoms on devices no longer active fall
    /// back to the initiator, and a re-plan is queued (quiet unless the target changes).
    /// </summary>
    public static DeploymentMachine Restore(string deployment, DeploymentMachineOptions options, TimeProvider time, DeploymentModel model, DeploymentMemento memento, IEnumerable<string> activeDevices)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(memento);
        var n = model.Atoms.Count;
        if (memento.Live.Count != n || memento.Target.Count != n || (memento.Pin is { } p && p.Count != n))
            throw new DeploymentException(DeploymentRefusal.InvalidInput, $"deployment {deployment}: the saved plan does not match the model's {n} atoms");
        var machine = new DeploymentMachine(deployment, options, time)
        {
            _model = model,
            _initiator = memento.Initiator,
            RequirementMs = memento.RequirementMs,
            _pin = memento.Pin?.ToArray(),
            _live = memento.Live.ToArray(),
            _target = memento.Target.ToArray(),
            Version = memento.Version,
            PredictedLatencyMs = memento.PredictedLatencyMs,
            Feasible = memento.Feasible,
            Sequence = memento.Sequence,
            TargetSequence = memento.TargetSequence,
        };
        machine._history.AddRange(memento.History.TakeLast(options.HistoryLimit));
        machine._order.AddRange(memento.Order.Where(m => (uint)m.Atom < (uint)n));
        machine._moved.UnionWith(memento.Moved.Where(i => (uint)i < (uint)n));
        foreach (var release in memento.Releases) machine._releases[(release.Atom, release.Device)] = release.DueAt;
        machine.ResetDevices(activeDevices);
        var gone = machine._live.Where(d => d != memento.Initiator.DeviceId && !machine._devices.Contains(d)).Distinct().Order(StringComparer.Ordinal).ToArray();
        machine.FallBack(i => !machine._devices.Contains(machine._live[i]));
        foreach (var key in machine._releases.Keys.Where(k => !machine._devices.Contains(k.Device)).ToArray()) machine._releases.Remove(key);
        var now = time.GetUtcNow();
        if (gone.Length > 0) machine.Queue(ReplanCause.Membership, null, "membership: " + string.Join(" ", gone.Select(d => "-" + d)), now);
        machine.Queue(ReplanCause.Resumed, null, "resumed", now);
        return machine;
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Reports on one live plan (version and prediction) that all showed a gap beyond the threshold, since <see cref="Since"/>.</summary>
    private sealed class GapStreak(int version, double predictedMs, DateTimeOffset since)
    {
        public int Version { get; } = version;

        public double PredictedMs { get; } = predictedMs;

        public DateTimeOffset Since { get; } = since;

        public List<double> Medians { get; } = [];

        public int Requests { get; set; }
    }

    private sealed class Pending(ReplanWork work, DateTimeOffset dueAt)
    {
        public ReplanWork Work { get; set; } = work;

        public DateTimeOffset DueAt { get; set; } = dueAt;
    }

    private ReplanWork Queue(ReplanCause cause, ContextKind? kind, string trigger, DateTimeOffset due, DateTimeOffset? changedAt = null, TriggerMeasurement? measurement = null)
    {
        var work = new ReplanWork(++_tickets, cause, kind, trigger, 0) { ChangedAt = changedAt ?? _time.GetUtcNow(), Measurement = measurement };
        _pending.Add(new Pending(work, due));
        return work;
    }

    private void ResetDevices(IEnumerable<string> devices)
    {
        var copy = devices.ToArray();
        _devices.Clear();
        _devices.UnionWith(copy);
    }

    private bool FallBack(Func<int, bool> which)
    {
        var changed = false;
        for (var i = 0; i < _live.Length; i++)
        {
            if (_live[i] == Initiator.DeviceId || !which(i)) continue;
            _live[i] = Initiator.DeviceId; // the initiator holds every atom: safe at once
            changed = true;
        }
        if (changed)
        {
            Version++;
            // The lost copies may be shipped again: that is a new target, not a second move towards the old one.
            TargetEpoch++;
            _moved.Clear();
            ReconcileHeld();
            UpdateTargetRecord(e => e);
        }
        return changed;
    }

    /// <summary>One-time offloading (<see cref="OffloadSwitching.WholePlan"/>) applies, unless an operator pinned the plan.</summary>
    private bool WholePlan => _switching == OffloadSwitching.WholePlan && _pin is null;

    /// <summary>
    /// After the target changed or copies were lost: held atoms the target still wants where they are stay held
    /// (and count as moved); the rest are dropped, their copies released.
    /// </summary>
    private void ReconcileHeld()
    {
        var now = _time.GetUtcNow();
        foreach (var (atom, device) in _held.ToArray())
        {
            if (_target[atom] == device && _live[atom] != device && (device == Initiator.DeviceId || _devices.Contains(device)))
            {
                _moved.Add(atom);
                continue;
            }
            _held.Remove(atom);
            if (_live[atom] != device && device != Initiator.DeviceId && _devices.Contains(device)) _releases[(atom, device)] = now;
        }
    }

    /// <summary>
    /// One-time offloading: once every atom of the target is live or held where the target wants it, the live
    /// plan takes them all up in one version. Returns whether it switched.
    /// </summary>
    private bool SwitchHeldIfComplete(DateTimeOffset now)
    {
        if (_held.Count == 0) return false;
        for (var i = 0; i < _live.Length; i++)
        {
            if (_live[i] != _target[i] && !(_held.TryGetValue(i, out var device) && device == _target[i])) return false;
        }
        Version++;
        var version = Version;
        var initiator = Initiator.DeviceId;
        var moves = new List<(int Atom, string From, string To)>();
        foreach (var (atom, device) in _held.OrderBy(h => h.Key))
        {
            if (_live[atom] == device) continue;
            var old = _live[atom];
            _live[atom] = device;
            if (old != initiator && _devices.Contains(old)) _releases[(atom, old)] = now + _options.SourceReleaseDelay;
            moves.Add((atom, old, device));
        }
        _held.Clear();
        UpdateTargetRecord(e => e with
        {
            AtomsSwitched = e.AtomsSwitched + moves.Count,
            Switches = [.. e.Switches, .. moves.Select(m => new AtomSwitch(m.Atom, m.From, m.To, version, Ms(now - e.ChangedAt), null))],
        });
        return true;
    }

    /// <summary>Forgets retries, blocks and releases of pairs matching <paramref name="which"/>.</summary>
    private void Forget(Func<(int Atom, string Device), bool> which)
    {
        foreach (var key in _failures.Keys.Where(which).ToArray()) _failures.Remove(key);
        foreach (var key in _retryAt.Keys.Where(which).ToArray()) _retryAt.Remove(key);
        _blocked.RemoveWhere(k => which(k));
        foreach (var key in _releases.Keys.Where(k => which(k) && !_devices.Contains(k.Device)).ToArray()) _releases.Remove(key);
    }

    /// <summary>An operator acted (or the model changed): every given-up pair may be tried again.</summary>
    private void LiftAll()
    {
        _failures.Clear();
        _retryAt.Clear();
        _blocked.Clear();
    }

    private void UpdateTargetRecord(Func<PlanHistoryEntry, PlanHistoryEntry> update)
    {
        var at = _history.FindLastIndex(e => e.Sequence == TargetSequence);
        if (at < 0) return;
        var entry = update(_history[at]);
        _history[at] = entry with { Completed = !Migrating, LiveVersion = Migrating ? 0 : entry.Completed && entry.LiveVersion > 0 ? entry.LiveVersion : Version };
    }

    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromTicks(_options.RetryDelay.Ticks * (1L << Math.Min(failures - 1, 20)));

    private static bool TryIndices(PlanningProblem problem, string[] devices, out int[] indices)
    {
        indices = new int[devices.Length];
        if (devices.Length != problem.Atoms.Count) return false;
        var known = problem.Devices.Select((d, i) => (d.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
        for (var i = 0; i < devices.Length; i++)
        {
            if (!known.TryGetValue(devices[i], out indices[i])) return false;
        }
        return true;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static double Ms(TimeSpan span) => Math.Max(0, span.TotalMilliseconds);

    private void RequireDeployed()
    {
        if (_model is null) throw NotDeployed();
    }

    private DeploymentException NotDeployed() =>
        new(DeploymentRefusal.NotDeployed, $"no model is deployed as '{Deployment}' (deploy it first, or the silo that held it has gone: deploy again)");

    private static void ValidateRequirement(double milliseconds)
    {
        if (!double.IsFinite(milliseconds) || milliseconds <= 0)
            throw new DeploymentException(DeploymentRefusal.InvalidInput, $"latency requirement must be a finite number > 0 ms, got {milliseconds}");
    }

    private static void ValidateInitiator(DeploymentInitiator initiator)
    {
        if (string.IsNullOrWhiteSpace(initiator.DeviceId))
            throw new DeploymentException(DeploymentRefusal.InvalidInput, "initiator device id must be a non-empty string");
        if (!double.IsFinite(initiator.SpeedFactor) || initiator.SpeedFactor <= 0)
            throw new DeploymentException(DeploymentRefusal.InvalidInput, $"initiator speed factor must be a finite number > 0, got {initiator.SpeedFactor}");
        if (initiator.MemoryBudgetBytes is { } m && (!double.IsFinite(m) || m < 0))
            throw new DeploymentException(DeploymentRefusal.InvalidInput, $"initiator memory budget must be finite and >= 0, got {m}");
        if (initiator.ComputeBudgetFlops is { } f && (!double.IsFinite(f) || f < 0))
            throw new DeploymentException(DeploymentRefusal.InvalidInput, $"initiator compute budget must be finite and >= 0, got {f}");
    }
}
