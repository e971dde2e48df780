using AdaMec.Core.Planning;

namespace AdaMec.Core.Deployments;

/// <summary>What the shell should do next for a deployment (<see cref="DeploymentMachine.NextWork"/>).</summary>
public abstract record DeploymentWork;

/// <summary>Why a re-plan is due; decides hysteresis and whether an unchanged target is news.</summary>
public enum ReplanCause
{
    /// <summary>A deploy or re-deploy.</summary>
    Deploy = 0,
    /// <summary>An operator: pin, unpin, latency requirement, explicit re-plan.</summary>
    Operator = 1,
    /// <summary>Devices joined or left.</summary>
    Membership = 2,
    /// <summary>A device evicted one of the live atoms.</summary>
    Eviction = 3,
    /// <summary>A context grain's signal (see <see cref="ReplanWork.Kind"/>).</summary>
    Context = 4,
    /// <summary>The planner resumed from storage.</summary>
    Resumed = 5,
    /// <summary>Requests took longer (or shorter) than the live plan predicts, for a sustained time: recalibrate, then re-plan.</summary>
    PredictionGap = 6,
}

/// <summary>What a sustained gap between predicted and measured latency asks to measure again before the re-plan.</summary>
/// <param name="Devices">The cluster devices the live plan runs atoms on (ordinal order).</param>
/// <param name="Links">The links the live plan's tensors cross, in chain order.</param>
public sealed record Recalibration(IReadOnlyList<string> Devices, IReadOnlyList<(string From, string To)> Links);

/// <summary>Gather context, then <see cref="DeploymentMachine.PreparePlan"/>, <see cref="Planner.Decide"/> (off the scheduler) and <see cref="DeploymentMachine.Decided"/>.</summary>
public sealed record ReplanWork(long Ticket, ReplanCause Cause, ContextKind? Kind, string Trigger, int Failures) : DeploymentWork
{
    /// <summary>
    /// When the change that asked for this re-plan happened: the source's own observation time when it
    /// gave one, else when the input arrived; the earliest of coalesced changes. Time-to-benefit counts from here.
    /// </summary>
    public DateTimeOffset ChangedAt { get; init; }

    /// <summary>Devices and links to measure again before gathering context (a prediction gap); null otherwise.</summary>
    public Recalibration? Recalibrate { get; init; }

    /// <summary>The measurement that asked for this re-plan and its values; null for declared changes, operators, membership.</summary>
    public TriggerMeasurement? Measurement { get; init; }
}

/// <summary>
/// A measured value whose change triggered a re-plan, as typed fields (the trigger text says the same
/// for people; this is for tools).
/// </summary>
/// <param name="Source">The device id, link key (from-&gt;to) or deployment whose measurement moved.</param>
/// <param name="Name">What was measured: "availableMemoryMb", "cpuQuotaCores", "speed", "mbps", "latencyMs", "requestLatencyMs", ...</param>
/// <param name="Before">Its value before the change (the reference last signalled; for a prediction gap, the prediction); null when none.</param>
/// <param name="After">Its value now; null when none.</param>
public sealed record TriggerMeasurement(string Source, string Name, double? Before, double? After)
{
    /// <summary>A finite value, else null (a source that had no reading yet sends NaN).</summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;

    /// <summary>
    /// Two changes coalesced into one re-plan: the newer one names the trigger; when it is the same
    /// measurement of the same source, the value before is the older change's (the re-plan answers both).
    /// </summary>
    public static TriggerMeasurement? Coalesce(TriggerMeasurement? older, TriggerMeasurement? newer) =>
        newer is not null && older is not null && older.Source == newer.Source && older.Name == newer.Name
            ? newer with { Before = older.Before ?? newer.Before }
            : newer;
}

/// <summary>
/// Make <see cref="Atom"/> resident on <see cref="To"/> (pull its weights from <see cref="Peer"/> when
/// set, else from the initiator), then report <see cref="DeploymentMachine.AtomResident"/> or
/// <see cref="DeploymentMachine.AtomLoadFailed"/>. A move to the initiator needs no load.
/// </summary>
public sealed record OffloadWork(int Atom, string To, string? Peer, int Attempt, bool NeedsLoad) : DeploymentWork;

/// <summary>Drop the copy of <see cref="Atom"/> on <see cref="Device"/> (the live plan no longer uses it), then report <see cref="DeploymentMachine.SourceReleased"/>.</summary>
public sealed record ReleaseWork(int Atom, string Device) : DeploymentWork;

/// <summary>Nothing to do now; ask again at <see cref="WakeAt"/> (a retry, a deferred re-plan or a release falls due), or on the next input when null.</summary>
public sealed record IdleWork(DateTimeOffset? WakeAt) : DeploymentWork;

/// <summary>What a re-plan hands to the planner: the problem and the strategy (the pin, or the configured one).</summary>
public sealed record PlanningRequest(ReplanWork Work, PlanningProblem Problem, IPlanningStrategy Strategy);

/// <summary>The live plan: the device of every atom; it only names resident atoms or the initiator.</summary>
public sealed record LivePlanView(int Version, string Initiator, IReadOnlyList<string> Assignment, double PredictedLatencyMs, bool Feasible);

/// <summary>One entry of a deployment's plan history.</summary>
public sealed record PlanHistoryEntry(
    int Sequence,
    DateTimeOffset At,
    string Trigger,
    IReadOnlyList<string> OldPlan,
    IReadOnlyList<string> NewPlan,
    string Strategy,
    bool Feasible,
    double PredictedLatencyMs,
    double DecisionTimeMs,
    long PlannedBytesToMove,
    long BytesMoved,
    int AtomsSwitched,
    bool Completed)
{
    /// <summary>When the triggering change happened (<see cref="ReplanWork.ChangedAt"/>); time-to-benefit counts from here.</summary>
    public DateTimeOffset ChangedAt { get; init; }

    /// <summary>The live plan version at which this decision's plan became wholly live; 0 until it has.</summary>
    public int LiveVersion { get; init; }

    /// <summary>
    /// From <see cref="ChangedAt"/> to the first request served by this decision's plan once wholly live
    /// (a request that started on plan version <see cref="LiveVersion"/> or later, as the initiator
    /// reports it); null until then, and for a decision that switched no atom.
    /// </summary>
    public double? TimeToBenefitMs { get; init; }

    /// <summary>Every atom switched towards this decision's plan, in switching order.</summary>
    public IReadOnlyList<AtomSwitch> Switches { get; init; } = [];

    /// <summary>The measurement that triggered this decision and its values before and after; null when no measurement did.</summary>
    public TriggerMeasurement? Measurement { get; init; }
}

/// <summary>One atom switched to another device by a plan decision, timed from the decision's triggering change.</summary>
/// <param name="Atom">Atom index.</param>
/// <param name="From">The device it ran on before.</param>
/// <param name="To">The device it runs on now.</param>
/// <param name="Version">The live plan version the switch made.</param>
/// <param name="SwitchedMs">From the triggering change to the switch (weights loaded, live plan updated).</param>
/// <param name="ServedMs">From the triggering change to the first request served with the atom on its new device; null until one is.</param>
public sealed record AtomSwitch(int Atom, string From, string To, int Version, double SwitchedMs, double? ServedMs);

/// <summary>
/// What an input asks the shell to do at once: tell the initiator about a new live plan, write the
/// durable state, and run the re-plan it queued (<see cref="Replan"/>) when the caller waits for it.
/// </summary>
public sealed record DeploymentEffects(LivePlanView? Notify, bool Persist, ReplanWork? Replan = null, PlanHistoryEntry? Recorded = null)
{
    public static DeploymentEffects None { get; } = new(null, false);
}
