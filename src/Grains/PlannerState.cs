using AdaMec.Core.Deployments;
using AdaMec.Interfaces;

namespace AdaMec.Grains;

/// <summary>
/// A planner's manifest, kept apart from <see cref="PlannerState"/> because it is large and changes
/// only on a re-deploy, while the plan is written on every atom switch.
/// </summary>
[GenerateSerializer, Alias("AdaMec.PlannerManifestState")]
public sealed class PlannerManifestState
{
    /// <summary>The deployed manifest.json, verbatim (the atom specs sent to devices come from it).</summary>
    [Id(0)] public string ManifestJson { get; set; } = "";

    /// <summary>Lowercase hex SHA-256 of <see cref="ManifestJson"/>.</summary>
    [Id(1)] public string ManifestSha256 { get; set; } = "";
}

/// <summary>A planner's durable plan: who deployed what, the pin, live plan, target and bounded history.</summary>
[GenerateSerializer, Alias("AdaMec.PlannerState")]
public sealed class PlannerState
{
    /// <summary>SHA-256 of the manifest this plan belongs to (a mismatch with <see cref="PlannerManifestState"/> means a re-deploy was cut short).</summary>
    [Id(0)] public string ManifestSha256 { get; set; } = "";

    [Id(1)] public InitiatorInfo? Initiator { get; set; }

    /// <summary>The initiator's callback (a client observer) as its grain id string.</summary>
    [Id(2)] public string CallbackId { get; set; } = "";

    [Id(3)] public double LatencyRequirementMs { get; set; }

    [Id(4)] public List<string>? Pin { get; set; }

    [Id(5)] public List<string> Live { get; set; } = [];

    [Id(6)] public List<string> Target { get; set; } = [];

    [Id(7)] public int Version { get; set; }

    [Id(8)] public double PredictedLatencyMs { get; set; }

    [Id(9)] public bool Feasible { get; set; }

    [Id(10)] public List<PlanRecord> History { get; set; } = [];

    /// <summary>Decisions ever recorded (the history keeps only the newest).</summary>
    [Id(11)] public int Sequence { get; set; }

    [Id(12)] public int TargetSequence { get; set; }

    /// <summary>Offload steps still to do, "atom@device".</summary>
    [Id(13)] public List<string> Order { get; set; } = [];

    /// <summary>Atoms already moved towards the current target.</summary>
    [Id(14)] public List<int> Moved { get; set; } = [];

    /// <summary>Old copies still to release, "atom@device".</summary>
    [Id(15)] public List<string> Releases { get; set; } = [];

    /// <summary>
    /// The initiator's newest report of itself when the state was written (null before it sent one). A resumed
    /// planner plans on it until the initiator reports again, which it does only while it sends requests:
    /// without it the first re-plan after a resume took the initiator for a device of its declared speed.
    /// </summary>
    [Id(16)] public InitiatorContext? InitiatorContext { get; set; }

    internal static PlannerState From(DeploymentMemento memento, string manifestSha256, InitiatorInfo initiator, string callbackId, InitiatorContext? initiatorContext) => new()
    {
        ManifestSha256 = manifestSha256,
        Initiator = initiator,
        InitiatorContext = initiatorContext,
        CallbackId = callbackId,
        LatencyRequirementMs = memento.RequirementMs,
        Pin = memento.Pin?.ToList(),
        Live = memento.Live.ToList(),
        Target = memento.Target.ToList(),
        Version = memento.Version,
        PredictedLatencyMs = memento.PredictedLatencyMs,
        Feasible = memento.Feasible,
        History = memento.History.Select(ToRecord).ToList(),
        Sequence = memento.Sequence,
        TargetSequence = memento.TargetSequence,
        Order = memento.Order.Select(m => $"{m.Atom}@{m.To}").ToList(),
        Moved = memento.Moved.ToList(),
        // Releases fall due again on resume: a copy held a little longer is harmless.
        Releases = memento.Releases.Select(r => $"{r.Atom}@{r.Device}").ToList(),
    };

    internal DeploymentMemento ToMemento(DateTimeOffset now) => new(
        ToInitiator(Initiator ?? throw new InvalidOperationException("no initiator saved")),
        LatencyRequirementMs,
        Pin,
        Live,
        Target,
        Version,
        PredictedLatencyMs,
        Feasible,
        History.Select(ToEntry).ToArray(),
        Sequence,
        TargetSequence,
        Order.Select(Split).Select(p => new OrderedMove(p.Atom, p.Device)).ToArray(),
        Moved,
        Releases.Select(Split).Select(p => new PendingRelease(p.Atom, p.Device, now)).ToArray());

    internal static DeploymentInitiator ToInitiator(InitiatorInfo info) =>
        new(info.DeviceId, info.SpeedFactor, info.MemoryBudgetBytes, info.ComputeBudgetFlops);

    internal static PlanRecord ToRecord(PlanHistoryEntry e) => new(e.Sequence, e.At, e.Trigger, e.OldPlan.ToArray(), e.NewPlan.ToArray(), e.Strategy, e.Feasible,
        e.PredictedLatencyMs, e.DecisionTimeMs, e.PlannedBytesToMove, e.BytesMoved, e.AtomsSwitched, e.Completed)
    {
        ChangedAt = e.ChangedAt,
        LiveVersion = e.LiveVersion,
        TimeToBenefitMs = e.TimeToBenefitMs,
        Switches = e.Switches.Select(s => new AtomSwitchRecord(s.Atom, s.From, s.To, s.Version, s.SwitchedMs, s.ServedMs)).ToArray(),
        Measurement = e.Measurement?.Name,
        MeasurementSource = e.Measurement?.Source,
        MeasuredBefore = e.Measurement?.Before,
        MeasuredAfter = e.Measurement?.After,
    };

    internal static PlanHistoryEntry ToEntry(PlanRecord r) => new(r.Sequence, r.At, r.Trigger, r.OldPlan, r.NewPlan, r.Strategy, r.Feasible, r.PredictedLatencyMs,
        r.DecisionTimeMs, r.PlannedBytesToMove, r.BytesMoved, r.AtomsSwitched, r.Completed)
    {
        // Records stored before the change time was kept count from the decision.
        ChangedAt = r.ChangedAt ?? r.At,
        LiveVersion = r.LiveVersion,
        TimeToBenefitMs = r.TimeToBenefitMs,
        Switches = (r.Switches ?? []).Select(s => new AtomSwitch(s.Atom, s.From, s.To, s.Version, s.SwitchedMs, s.ServedMs)).ToArray(),
        Measurement = r.Measurement is { } name ? new TriggerMeasurement(r.MeasurementSource ?? "", name, r.MeasuredBefore, r.MeasuredAfter) : null,
    };

    private static (int Atom, string Device) Split(string pair)
    {
        var at = pair.IndexOf('@', StringComparison.Ordinal);
        return (int.Parse(pair.AsSpan(0, at), System.Globalization.CultureInfo.InvariantCulture), pair[(at + 1)..]);
    }
}
