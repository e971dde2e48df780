namespace AdaMec.Interfaces;

/// <summary>The live assignment of a deployment: the device of every atom, in chain order.</summary>
/// <param name="Deployment">The deployment id (the planner grain's key).</param>
/// <param name="Version">Grows by one whenever any atom switches device.</param>
/// <param name="Initiator">The device that holds the input and receives the output.</param>
/// <param name="Assignment">Device id per atom, chain order.</param>
/// <param name="PredictedLatencyMs">The cost model's latency of this assignment.</param>
/// <param name="Feasible">Whether the plan being moved towards meets the latency requirement and budgets.</param>
[GenerateSerializer, Immutable, Alias("AdaMec.LivePlan")]
public sealed record LivePlan(
    [property: Id(0)] string Deployment,
    [property: Id(1)] int Version,
    [property: Id(2)] string Initiator,
    [property: Id(3)] IReadOnlyList<string> Assignment,
    [property: Id(4)] double PredictedLatencyMs,
    [property: Id(5)] bool Feasible);

/// <summary>What the initiator (the mobile app) says about itself when it deploys a model.</summary>
/// <param name="SpeedFactor">
/// The initiator's speed before it has timed anything (its emulation factor, 1 without emulation): the
/// planner's fallback until <see cref="Context"/> or an <see cref="IPlannerGrain.ReportInitiatorAsync"/> arrives.
/// </param>
[GenerateSerializer, Immutable, Alias("AdaMec.InitiatorInfo")]
public sealed record InitiatorInfo(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] double SpeedFactor,
    [property: Id(2)] long? MemoryBudgetBytes,
    [property: Id(3)] double? ComputeBudgetFlops)
{
    /// <summary>What runs the initiator's own atoms: "torch" or "onnx" (empty from clients older than backends).</summary>
    [Id(4)] public string Backend { get; init; } = "";

    /// <summary>The initiator's own measurement at deploy time; null from clients that do not measure.</summary>
    [Id(5)] public InitiatorContext? Context { get; init; }
}

/// <summary>
/// The initiator's own speed and memory, measured the way a device measures itself: its local atom
/// passes timed against the manifest's predictions, memory from its own cgroup, else /proc/meminfo.
/// </summary>
/// <param name="Speed">How many times slower than the manifest's predicted atom latencies the initiator runs its atoms (finite, &gt; 0).</param>
/// <param name="SpeedSource">"measured", "quota" or "prior", as <see cref="DeviceStatus.SpeedSource"/>.</param>
/// <param name="SpeedSamples">Timed local passes behind <paramref name="Speed"/>.</param>
/// <param name="PriorSpeed">What the CPU quota and emulation alone make of the initiator (see <see cref="DeviceStatus.PriorSpeed"/>).</param>
/// <param name="AvailableMemoryBytes">Memory still free to the app; -1 when unknown.</param>
/// <param name="MemoryLimitBytes">The app's memory cgroup limit; -1 when none applies.</param>
/// <param name="CpuQuotaCores">The app's CPU cgroup quota in cores; -1 when none applies.</param>
/// <param name="EmulationSpeedFactor">EMULATION: the declared factor the app slows its local atoms by (1 = none); not a planner input.</param>
[GenerateSerializer, Immutable, Alias("AdaMec.InitiatorContext")]
public sealed record InitiatorContext(
    [property: Id(0)] double Speed,
    [property: Id(1)] string SpeedSource,
    [property: Id(2)] int SpeedSamples,
    [property: Id(3)] double PriorSpeed,
    [property: Id(4)] long AvailableMemoryBytes,
    [property: Id(5)] long MemoryLimitBytes,
    [property: Id(6)] double CpuQuotaCores,
    [property: Id(7)] double EmulationSpeedFactor)
{
    /// <summary>
    /// The initiator's own predicted latency of each atom (chain order) under its memory and speed now,
    /// as a device reports it (<see cref="AtomLatencyReport"/>); null from clients that do not predict.
    /// </summary>
    [Id(8)] public AtomLatencyReport? Atoms { get; init; }
}

/// <summary>Deploys one model for one initiator.</summary>
/// <param name="ManifestJson">The atoms folder's manifest.json, verbatim (atom specs, shapes, SHA-256).</param>
/// <param name="Callback">The initiator's observer: serves atom weight files and hears plan changes.</param>
[GenerateSerializer, Immutable, Alias("AdaMec.DeploymentRequest")]
public sealed record DeploymentRequest(
    [property: Id(0)] string ManifestJson,
    [property: Id(1)] InitiatorInfo Initiator,
    [property: Id(2)] double LatencyRequirementMs,
    [property: Id(3)] IInitiatorCallback Callback);

/// <summary>One entry of a deployment's plan history.</summary>
[GenerateSerializer, Immutable, Alias("AdaMec.PlanRecord")]
public sealed record PlanRecord(
    [property: Id(0)] int Sequence,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string Trigger,
    [property: Id(3)] IReadOnlyList<string> OldPlan,
    [property: Id(4)] IReadOnlyList<string> NewPlan,
    [property: Id(5)] string Strategy,
    [property: Id(6)] bool Feasible,
    [property: Id(7)] double PredictedLatencyMs,
    [property: Id(8)] double DecisionTimeMs,
    [property: Id(9)] long PlannedBytesToMove,
    [property: Id(10)] long BytesMoved,
    [property: Id(11)] int AtomsSwitched,
    [property: Id(12)] bool Completed)
{
    /// <summary>When the triggering change happened (the source's own observation when it gave one); time-to-benefit counts from here. Null in records from before it was kept.</summary>
    [Id(13)] public DateTimeOffset? ChangedAt { get; init; }

    /// <summary>The live plan version at which this decision's plan became wholly live; 0 until it has.</summary>
    [Id(14)] public int LiveVersion { get; init; }

    /// <summary>
    /// Milliseconds from the triggering change to the first request served by this decision's plan once
    /// wholly live, as the initiator reports its requests; null until then, and for a decision that
    /// switched no atom.
    /// </summary>
    [Id(15)] public double? TimeToBenefitMs { get; init; }

    /// <summary>Every atom switched towards this decision's plan, in switching order, each timed from the triggering change.</summary>
    [Id(16)] public IReadOnlyList<AtomSwitchRecord> Switches { get; init; } = [];

    /// <summary>
    /// What was measured to trigger this decision: "availableMemoryMb", "cpuQuotaCores", "speed" (of a device
    /// or the initiator), "mbps", "latencyMs" (a link), "requestLatencyMs" (a prediction gap); null when no
    /// measurement triggered it (a deploy, an operator, membership, a declared budget).
    /// </summary>
    [Id(17)] public string? Measurement { get; init; }

    /// <summary>Whose measurement it was: a device id, a link key (from-&gt;to), or the deployment for a prediction gap; null with <see cref="Measurement"/>.</summary>
    [Id(18)] public string? MeasurementSource { get; init; }

    /// <summary>The measured value before the change (the reference last signalled; for a prediction gap, the predicted latency); null when unknown.</summary>
    [Id(19)] public double? MeasuredBefore { get; init; }

    /// <summary>The measured value that triggered the decision; null when unknown.</summary>
    [Id(20)] public double? MeasuredAfter { get; init; }
}

/// <summary>One atom switched to another device by a plan decision, timed from the decision's triggering change.</summary>
/// <param name="Atom">Atom index.</param>
/// <param name="From">The device it ran on before.</param>
/// <param name="To">The device it runs on now.</param>
/// <param name="Version">The live plan version the switch made.</param>
/// <param name="SwitchedMs">Milliseconds from the triggering change to the switch (weights loaded, live plan updated).</param>
/// <param name="ServedMs">Milliseconds from the triggering change to the first request served with the atom on its new device; null until one is.</param>
[GenerateSerializer, Immutable, Alias("AdaMec.AtomSwitchRecord")]
public sealed record AtomSwitchRecord(
    [property: Id(0)] int Atom,
    [property: Id(1)] string From,
    [property: Id(2)] string To,
    [property: Id(3)] int Version,
    [property: Id(4)] double SwitchedMs,
    [property: Id(5)] double? ServedMs);

/// <summary>A planner's state: the live plan, the plan it is moving towards, and whether atoms are in flight.</summary>
[GenerateSerializer, Immutable, Alias("AdaMec.PlannerStatus")]
public sealed record PlannerStatus(
    [property: Id(0)] LivePlan Live,
    [property: Id(1)] IReadOnlyList<string> Target,
    [property: Id(2)] bool Migrating,
    [property: Id(3)] int Replans,
    [property: Id(4)] double LatencyRequirementMs,
    [property: Id(5)] IReadOnlyList<string> Devices)
{
    /// <summary>The operator's pinned assignment (device per atom), or null when the planner chooses.</summary>
    [Id(6)] public IReadOnlyList<string>? Pin { get; init; }

    /// <summary>The address of the silo hosting this planner grain.</summary>
    [Id(7)] public string PlannerSilo { get; init; } = "";

    /// <summary>The initiator's latest report of its own speed and memory; null until one arrives.</summary>
    [Id(8)] public InitiatorContext? Initiator { get; init; }

    /// <summary>
    /// Per device (the initiator included), the per-atom latencies the newest plan was made with, as the
    /// device (or the initiator) predicted them; empty before the first plan on reported figures.
    /// </summary>
    [Id(9)] public IReadOnlyList<AtomLatencyReport> AtomLatencies { get; init; } = [];
}

/// <summary>
/// Asks a device for its predicted latency of each atom of a deployment under its context now
/// (<see cref="IDeviceGrain.PredictAtomsAsync"/>).
/// </summary>
/// <param name="Deployment">The deployment id.</param>
/// <param name="PredictedMs">The manifest's predictedMs per atom, chain order.</param>
/// <param name="MemoryModelJson">The manifest's <c>memoryModel</c> block (JSON), or null when it has none.</param>
[GenerateSerializer, Immutable, Alias("AdaMec.AtomLatencyQuery")]
public sealed record AtomLatencyQuery(
    [property: Id(0)] string Deployment,
    [property: Id(1)] IReadOnlyList<double> PredictedMs,
    [property: Id(2)] string? MemoryModelJson);

/// <summary>
/// A device's (or the initiator's) predicted latency of each atom of a deployment, under its available
/// memory now (paper formula 6 when the manifest carries f_mem) and its measured speed.
/// </summary>
/// <param name="Device">The device (or initiator) id.</param>
/// <param name="AtomMs">Predicted ms per atom, chain order.</param>
/// <param name="Basis">"f_mem" (formula 6 at <paramref name="AvailableMemoryBytes"/>, times the speed) or "speed" (predictedMs times the speed).</param>
/// <param name="Threads">Threads an atom's forward pass runs with on this device.</param>
/// <param name="ProfiledThreads">Threads the predictor's profile was taken with (0: unknown); the measured speed carries the difference.</param>
/// <param name="AvailableMemoryBytes">The memory the prediction is for; -1 when unknown.</param>
/// <param name="Speed">The speed the figures are scaled by (see <see cref="DeviceStatus.Speed"/>).</param>
/// <param name="SpeedSource">"measured", "quota" or "prior".</param>
[GenerateSerializer, Immutable, Alias("AdaMec.AtomLatencyReport")]
public sealed record AtomLatencyReport(
    [property: Id(0)] string Device,
    [property: Id(1)] IReadOnlyList<double> AtomMs,
    [property: Id(2)] string Basis,
    [property: Id(3)] int Threads,
    [property: Id(4)] int ProfiledThreads,
    [property: Id(5)] long AvailableMemoryBytes,
    [property: Id(6)] double Speed,
    [property: Id(7)] string SpeedSource);

/// <summary>Budgets of one device. Absent means unlimited.</summary>
[GenerateSerializer, Immutable, Alias("AdaMec.DeviceBudgets")]
public sealed record DeviceBudgets(
    [property: Id(0)] long? MemoryBudgetBytes,
    [property: Id(1)] double? ComputeBudgetFlops);

/// <summary>A device's budgets, live resources and speed (measured, see <see cref="Speed"/>).</summary>
/// <param name="SpeedFactor">EMULATION: the declared factor the device slows its atoms by when <paramref name="Emulated"/> (1 = none). Not a planner input.</param>
/// <param name="Emulated">True when speed or bandwidth is emulated (a testbed on one machine).</param>
[GenerateSerializer, Immutable, Alias("AdaMec.DeviceStatus")]
public sealed record DeviceStatus(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string Silo,
    [property: Id(2)] double SpeedFactor,
    [property: Id(3)] DeviceBudgets Budgets,
    [property: Id(4)] long AvailableMemoryBytes,
    [property: Id(5)] double CpuLoad,
    [property: Id(6)] long ResidentBytes,
    [property: Id(7)] IReadOnlyList<string> ResidentAtoms,
    [property: Id(8)] long WeightBytesReceived,
    [property: Id(9)] IReadOnlyList<string> Evicted,
    [property: Id(10)] bool Emulated)
{
    /// <summary>What runs this device's atoms: "torch" (TorchSharp) or "onnx" (ONNX Runtime); predictions and speed calibration are per backend.</summary>
    [Id(11)] public string Backend { get; init; } = "";

    /// <summary>
    /// How many times slower than the manifest's predicted per-atom latency this device runs atoms, on
    /// its backend, as measured (see <see cref="SpeedSource"/>); what the planner plans with. 0 from a
    /// device that does not measure (an older silo): the planner falls back to <see cref="SpeedFactor"/>.
    /// </summary>
    [Id(12)] public double Speed { get; init; }

    /// <summary>"measured" (median of recent forward passes), "quota" (the last measurement scaled by a CPU quota change, until passes are timed under it) or "prior" (nothing timed yet).</summary>
    [Id(13)] public string SpeedSource { get; init; } = "";

    /// <summary>Forward passes behind <see cref="Speed"/>.</summary>
    [Id(14)] public int SpeedSamples { get; init; }

    /// <summary>The CPU cgroup quota in cores; -1 when none applies.</summary>
    [Id(15)] public double CpuQuotaCores { get; init; } = -1;

    /// <summary>The memory cgroup limit; -1 when none applies.</summary>
    [Id(16)] public long MemoryLimitBytes { get; init; } = -1;

    /// <summary>Free memory the device keeps: under it, it evicts; the planner only counts memory above it.</summary>
    [Id(17)] public long MemoryFloorBytes { get; init; }

    /// <summary>What the CPU quota and emulation alone make of this device (1: a whole, unemulated device); the planner scales a device that timed nothing yet by what measured devices show against theirs.</summary>
    [Id(18)] public double PriorSpeed { get; init; } = 1;
}

/// <summary>Asks an atom grain to become resident: pull weights, verify SHA-256, load.</summary>
/// <param name="SpecJson">The atom's spec from the manifest (JSON).</param>
/// <param name="Initiator">The initiator's callback, which can always serve the weights.</param>
/// <param name="PeerDevice">A device where the atom is resident now; preferred over the initiator.</param>
[GenerateSerializer, Immutable, Alias("AdaMec.AtomLoadRequest")]
public sealed record AtomLoadRequest(
    [property: Id(0)] string SpecJson,
    [property: Id(1)] string InitiatorDevice,
    [property: Id(2)] IInitiatorCallback Initiator,
    [property: Id(3)] string? PeerDevice);

/// <summary>How an atom became resident.</summary>
/// <param name="Source">"cache", "resident", a peer device id, or the initiator's id.</param>
[GenerateSerializer, Immutable, Alias("AdaMec.AtomLoadResult")]
public sealed record AtomLoadResult(
    [property: Id(0)] string AtomKey,
    [property: Id(1)] string Device,
    [property: Id(2)] string Source,
    [property: Id(3)] long BytesTransferred,
    [property: Id(4)] double TransferMs,
    [property: Id(5)] double LoadMs);

/// <summary>A slice of an atom's weight file.</summary>
[GenerateSerializer, Immutable, Alias("AdaMec.WeightChunk")]
public sealed record WeightChunk(
    [property: Id(0)] byte[] Data,
    [property: Id(1)] long TotalBytes);

/// <summary>Runs atoms starting at <paramref name="AtomIndex"/> along <paramref name="Route"/>.</summary>
/// <param name="RequestId">The inference's id (in logs on every device).</param>
/// <param name="Route">Device of each atom from AtomIndex on; the chain goes on while the next device is not the initiator.</param>
/// <param name="Input">The tensor entering atom AtomIndex, float32 little-endian bytes.</param>
/// <param name="FromDevice">Who sent the tensor (to attribute the measured transfer to a link).</param>
[GenerateSerializer, Immutable, Alias("AdaMec.ForwardRequest")]
public sealed record ForwardRequest(
    [property: Id(0)] Guid RequestId,
    [property: Id(1)] string Deployment,
    [property: Id(2)] int AtomIndex,
    [property: Id(3)] IReadOnlyList<string> Route,
    [property: Id(4)] string Initiator,
    [property: Id(5)] byte[] Input,
    [property: Id(6)] string FromDevice)
{
    /// <summary>Where the last atom of the segment (or an atom that cannot run) delivers, one hop.</summary>
    [Id(7)] public IInitiatorCallback? ReplyTo { get; init; }

    /// <summary>The initiator's key for this segment: the delivery carries it back.</summary>
    [Id(8)] public Guid Segment { get; init; }

    /// <summary>
    /// When <see cref="FromDevice"/> began sending the tensor (UTC ticks, its clock, before any emulated
    /// transfer delay): the receiver measures the hop as its arrival time minus this.
    /// </summary>
    [Id(9)] public long SentAtUtcTicks { get; init; }

    /// <summary>Devices that ran the segment's atoms so far, chain order.</summary>
    [Id(10)] public IReadOnlyList<string> Ran { get; init; } = [];

    /// <summary>Time spent in the segment's atom grains so far (compute, executor queue, emulation), ms.</summary>
    [Id(11)] public double ServerMs { get; init; }
}

/// <summary>
/// What a segment of cluster atoms delivers to the initiator: the tensor and where the chain resumes.
/// When <see cref="Failure"/> is set, the atom at <see cref="NextAtomIndex"/> could not run and
/// <see cref="Output"/> is its input, so the initiator continues from there without losing work.
/// </summary>
/// <param name="NextAtomIndex">The first atom not run (the initiator runs it), or the atom count when done.</param>
/// <param name="ServerMs">Time spent inside the segment's grains (compute and inner hops), to tell transfer time from compute.</param>
/// <param name="Devices">Devices that ran atoms of the segment, chain order from the segment's first atom.</param>
[GenerateSerializer, Immutable, Alias("AdaMec.ForwardResult")]
public sealed record ForwardResult(
    [property: Id(0)] byte[] Output,
    [property: Id(1)] int NextAtomIndex,
    [property: Id(2)] double ServerMs,
    [property: Id(3)] IReadOnlyList<string> Devices)
{
    /// <summary>The inference's id.</summary>
    [Id(4)] public Guid RequestId { get; init; }

    /// <summary>The segment key from <see cref="ForwardRequest.Segment"/>.</summary>
    [Id(5)] public Guid Segment { get; init; }

    /// <summary>Null when the segment ran to its end; else why atom <see cref="NextAtomIndex"/> could not run.</summary>
    [Id(6)] public string? Failure { get; init; }

    /// <summary>The device that delivers (to attribute the measured transfer to a link).</summary>
    [Id(7)] public string FromDevice { get; init; } = "";

    /// <summary>When the delivering device began sending (UTC ticks, its clock, before any emulated delay).</summary>
    [Id(8)] public long SentAtUtcTicks { get; init; }
}

/// <summary>A measured transfer over a link.</summary>
[GenerateSerializer, Immutable, Alias("AdaMec.TransferSample")]
public sealed record TransferSample(
    [property: Id(0)] long Bytes,
    [property: Id(1)] double Milliseconds)
{
    /// <summary>True for an active probe's payload (kept apart from real transfers so they do not push it out).</summary>
    [Id(2)] public bool Probe { get; init; }
}

/// <summary>The planner's view of a link.</summary>
/// <param name="Source">"declared", "measured" or "probing" (never measured; a probe is due or under way).</param>
[GenerateSerializer, Immutable, Alias("AdaMec.LinkEstimate")]
public sealed record LinkEstimate(
    [property: Id(0)] string From,
    [property: Id(1)] string To,
    [property: Id(2)] double Mbps,
    [property: Id(3)] double LatencyMs,
    [property: Id(4)] string Source,
    [property: Id(5)] int Samples)
{
    /// <summary>Seconds since the last sample or declaration (0 for the default estimate).</summary>
    [Id(6)] public double AgeSeconds { get; init; }
}

/// <summary>What kind of context moved.</summary>
[GenerateSerializer, Alias("AdaMec.ContextSignalKind")]
public enum ContextSignalKind
{
    /// <summary>Declared memory or compute budgets changed.</summary>
    Budgets = 0,
    /// <summary>A link's bandwidth or latency estimate moved beyond the threshold.</summary>
    Link = 1,
    /// <summary>A device's available memory moved beyond the threshold.</summary>
    Memory = 2,
    /// <summary>A device's CPU quota, load or speed moved beyond the threshold.</summary>
    Compute = 3,
}

/// <summary>A context grain's signal to a subscribed planner.</summary>
/// <param name="Source">The device id or link key (from-&gt;to) whose context moved.</param>
/// <param name="Detail">Human-readable, for the plan history and logs; never parsed.</param>
[GenerateSerializer, Immutable, Alias("AdaMec.ContextSignal")]
public sealed record ContextSignal(
    [property: Id(0)] ContextSignalKind Kind,
    [property: Id(1)] string Source,
    [property: Id(2)] string Detail)
{
    /// <summary>The measurement that moved ("availableMemoryMb", "cpuQuotaCores", "speed", "mbps", ...); null for declared changes.</summary>
    [Id(3)] public string? Measurement { get; init; }

    /// <summary>Its value last signalled (NaN when none).</summary>
    [Id(4)] public double Before { get; init; } = double.NaN;

    /// <summary>Its value now (NaN when none).</summary>
    [Id(5)] public double After { get; init; } = double.NaN;

    /// <summary>When the source observed the change (UTC ticks; 0 when unknown): time-to-benefit counts from here.</summary>
    [Id(6)] public long ObservedAtUtcTicks { get; init; }
}

/// <summary>A planner's lease on a context grain's signals.</summary>
[GenerateSerializer, Immutable, Alias("AdaMec.ContextSubscription")]
public sealed record ContextSubscription(
    [property: Id(0)] string Deployment,
    [property: Id(1)] TimeSpan Lease);

/// <summary>A device dropped an atom that it did not drop on its planner's request.</summary>
/// <param name="Reason">"memory budget", "memory pressure", ... (for history and logs; never parsed).</param>
[GenerateSerializer, Immutable, Alias("AdaMec.AtomEviction")]
public sealed record AtomEviction(
    [property: Id(0)] string Deployment,
    [property: Id(1)] int AtomIndex,
    [property: Id(2)] string Device,
    [property: Id(3)] string Reason);
