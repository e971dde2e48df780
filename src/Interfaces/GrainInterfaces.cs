using Orleans.Concurrency;

namespace AdaMec.Interfaces;

/// <summary>One per deployment (key: deployment id): plans, offloads atoms, switches the live plan, keeps history.</summary>
[Alias("AdaMec.IPlannerGrain")]
public interface IPlannerGrain : IGrainWithStringKey
{
    /// <summary>Deploys (or re-deploys) the model; starts with every atom on the initiator and re-plans at once.</summary>
    [Alias("Deploy")]
    Task<LivePlan> DeployAsync(DeploymentRequest request);

    /// <summary>The live plan; throws <see cref="AdaMecException"/> (UnknownDeployment) when nothing is deployed here.</summary>
    [Alias("GetPlan")]
    Task<LivePlan> GetPlanAsync();

    /// <summary>Live plan, target plan and migration state.</summary>
    [Alias("GetStatus")]
    Task<PlannerStatus> GetStatusAsync();

    /// <summary>Sets the latency requirement (finite, &gt; 0) and re-plans.</summary>
    [Alias("SetLatencyRequirement")]
    Task SetLatencyRequirementAsync(double milliseconds);

    /// <summary>Re-plans now; returns the new history entry.</summary>
    [Alias("Replan")]
    Task<PlanRecord> ReplanAsync(string trigger);

    /// <summary>Operator override: moves to this exact assignment (device per atom) and keeps it until cleared with null.</summary>
    [Alias("Pin")]
    Task<PlanRecord> PinAsync(IReadOnlyList<string>? assignment);

    /// <summary>Every plan decision so far, oldest first.</summary>
    [Alias("GetHistory")]
    Task<IReadOnlyList<PlanRecord>> GetHistoryAsync();

    /// <summary>A context grain (device or link) saw a change beyond its threshold.</summary>
    [Alias("ContextChanged"), OneWay]
    Task ContextChangedAsync(ContextSignal signal);

    /// <summary>
    /// The initiator's own speed and memory (what a device grain reports of itself); a change beyond the
    /// device signal thresholds re-plans. Only the deployment's initiator may report.
    /// </summary>
    [Alias("ReportInitiator")]
    Task ReportInitiatorAsync(string initiator, InitiatorContext context);

    /// <summary>
    /// Requests the initiator served (its latency report, relayed by the deployment's latency log): they
    /// time each decision's benefit (<see cref="PlanRecord.TimeToBenefitMs"/>) and are held against the
    /// live plan's prediction.
    /// </summary>
    [Alias("RequestsServed"), OneWay]
    Task RequestsServedAsync(LatencyReport report);

    /// <summary>A device dropped one of this deployment's atoms (memory budget or memory pressure): re-plan.</summary>
    [Alias("AtomEvicted"), OneWay]
    Task AtomEvictedAsync(AtomEviction eviction);
}

/// <summary>
/// The cluster's list of deployments (one grain, key <see cref="GrainKeys.Directory"/>), durable:
/// planners register when deployed, so operators (`adamec cluster status`) can find every deployment.
/// </summary>
[Alias("AdaMec.IDeploymentDirectoryGrain")]
public interface IDeploymentDirectoryGrain : IGrainWithStringKey
{
    /// <summary>Records a deployment id (idempotent).</summary>
    [Alias("Register")]
    Task RegisterAsync(string deployment);

    /// <summary>Forgets a deployment id (idempotent).</summary>
    [Alias("Unregister")]
    Task UnregisterAsync(string deployment);

    /// <summary>Every registered deployment id, ordinal order.</summary>
    [Alias("List")]
    Task<IReadOnlyList<string>> ListAsync();
}

/// <summary>One per device (key: device id), pinned to that device's silo.</summary>
[Alias("AdaMec.IDeviceGrain")]
public interface IDeviceGrain : IGrainWithStringKey
{
    /// <summary>Budgets, speed and live resources (memory and CPU load read from the OS or cgroup).</summary>
    [Alias("GetStatus")]
    Task<DeviceStatus> GetStatusAsync();

    /// <summary>
    /// Measures again (a planner saw requests stray from its prediction): reads the live resources now
    /// and times its speed only from passes from now on (the reading before stands until three are
    /// timed). Changes beyond the thresholds signal subscribed planners as usual. Returns the status after.
    /// </summary>
    [Alias("Recalibrate")]
    Task<DeviceStatus> RecalibrateAsync();

    /// <summary>
    /// This device's predicted latency of each atom of a deployment under its available memory now (the
    /// manifest's f_mem, paper formula 6, when it carries one) and its measured speed, with its thread
    /// count. A malformed query fails with <c>InvalidContext</c> naming the field.
    /// </summary>
    [Alias("PredictAtoms")]
    Task<AtomLatencyReport> PredictAtomsAsync(AtomLatencyQuery query);

    /// <summary>Overrides the budgets (non-negative, finite); subscribed planners re-plan.</summary>
    [Alias("SetBudgets")]
    Task SetBudgetsAsync(DeviceBudgets budgets);

    /// <summary>Records that an atom became resident; evicts the oldest residents (FIFO) while over the memory budget.</summary>
    [Alias("Admit")]
    Task<IReadOnlyList<string>> AdmitAsync(string atomKey, long memoryBytes, long bytesReceived);

    /// <summary>Forgets a resident atom (it was evicted or deactivated).</summary>
    [Alias("Release")]
    Task ReleaseAsync(string atomKey);

    /// <summary>
    /// Subscribes (or renews) a planner to this device's context signals for the lease's duration.
    /// Subscriptions are durable; a planner renews before its lease runs out.
    /// </summary>
    [Alias("Subscribe")]
    Task SubscribeAsync(ContextSubscription subscription);
}

/// <summary>One atom of one deployment on one device (key: <c>deployment/index@device</c>), pinned to that device.</summary>
[Alias("AdaMec.IAtomGrain")]
public interface IAtomGrain : IGrainWithStringKey
{
    /// <summary>Pulls the weights (peer device, else initiator), verifies size and SHA-256, loads the module.</summary>
    [Alias("Load")]
    Task<AtomLoadResult> LoadAsync(AtomLoadRequest request);

    /// <summary>Whether the module is loaded here.</summary>
    [Alias("IsResident")]
    Task<bool> IsResidentAsync();

    /// <summary>
    /// Runs this atom, then passes the output on to the next atom while it is on a cluster device,
    /// without waiting for the rest of the chain; the segment's last atom delivers the output
    /// straight to <see cref="ForwardRequest.ReplyTo"/>. An atom that cannot run delivers a failure
    /// carrying its index and input instead.
    /// </summary>
    [Alias("Run"), OneWay]
    Task RunAsync(ForwardRequest request);

    /// <summary>Serves a slice of the verified weight file to another device.</summary>
    [Alias("ReadWeights")]
    Task<WeightChunk> ReadWeightsAsync(long offset, int count);

    /// <summary>Drops the module (FIFO eviction or plan change) and deactivates.</summary>
    [Alias("Evict")]
    Task EvictAsync();
}

/// <summary>One per directed link (key: <c>from-&gt;to</c>): bandwidth and latency measured from real transfers, or declared.</summary>
[Alias("AdaMec.ILinkGrain")]
public interface ILinkGrain : IGrainWithStringKey
{
    /// <summary>Adds a measured transfer (bytes &gt; 0, milliseconds finite and &gt;= 0).</summary>
    [Alias("RecordTransfer"), OneWay]
    Task RecordTransferAsync(TransferSample sample);

    /// <summary>Declares the link (mbps finite &gt; 0, latency finite &gt;= 0); overrides measurements until cleared.</summary>
    [Alias("Declare")]
    Task DeclareAsync(double mbps, double latencyMs);

    /// <summary>Drops the declared values; measurements apply again.</summary>
    [Alias("ClearDeclaration")]
    Task ClearDeclarationAsync();

    /// <summary>The current estimate (answers while a probe is under way: an unmeasured link then says <c>probing</c>).</summary>
    [Alias("Get"), AlwaysInterleave]
    Task<LinkEstimate> GetAsync();

    /// <summary>
    /// The estimate a planner may plan on: a link that was never measured, whose recent samples all
    /// have one size, or whose estimate is stale is probed first (two payload sizes over the real
    /// transport between the two devices' silos; rate-limited, bounded in rounds and time). A declared
    /// link answers at once.
    /// </summary>
    [Alias("EnsureMeasured")]
    Task<LinkEstimate> EnsureMeasuredAsync();

    /// <summary>Probes now (operators, benchmarks), whatever the samples say; returns the new estimate.</summary>
    [Alias("Probe")]
    Task<LinkEstimate> ProbeAsync();

    /// <summary>
    /// Subscribes (or renews) a planner to changes of the estimate beyond the threshold, for the
    /// lease's duration. Subscriptions are durable; a planner renews before its lease runs out.
    /// </summary>
    [Alias("Subscribe")]
    Task SubscribeAsync(ContextSubscription subscription);
}

/// <summary>The initiator (mobile app) side, as a grain observer: serves atom weights and hears plan changes.</summary>
[Alias("AdaMec.IInitiatorCallback")]
public interface IInitiatorCallback : IGrainObserver
{
    /// <summary>A slice of the weight file of atom <paramref name="atomIndex"/>.</summary>
    [Alias("ReadWeights")]
    Task<WeightChunk> ReadWeightsAsync(string deployment, int atomIndex, long offset, int count);

    /// <summary>The live plan changed.</summary>
    [Alias("PlanChanged")]
    Task PlanChangedAsync(LivePlan plan);

    /// <summary>A cluster segment's output (or its failure), sent by the segment's last atom, one hop.</summary>
    [Alias("Deliver"), OneWay]
    Task DeliverAsync(ForwardResult result);

    /// <summary>
    /// Probes the links between this initiator and <paramref name="devices"/> that were never measured
    /// and records the samples on their link grains. A link grain cannot probe a link whose end is a
    /// client, so a planner about to plan on such a link (a device that joined after the deploy) asks
    /// the initiator. Returns when done; never throws for a link it could not probe (logged there).
    /// </summary>
    [Alias("ProbeLinks")]
    Task ProbeLinksAsync(string[] devices);
}

/// <summary>Measures the cost of passing a tensor between devices (key: device id; pinned to it).</summary>
/// <remarks>
/// Relays and payloads interleave with everything: a device's probe grain relays the other direction's
/// payloads while its own <see cref="MeasureAsync"/> awaits the far end, so two links probed in opposite
/// directions at once would otherwise wait on each other until the response timeout.
/// </remarks>
[Alias("AdaMec.IProbeGrain")]
public interface IProbeGrain : IGrainWithStringKey
{
    /// <summary>Passes <paramref name="payload"/> on along <paramref name="route"/> (device ids); returns its length at the end.</summary>
    [Alias("Relay"), AlwaysInterleave]
    Task<int> RelayAsync(byte[] payload, IReadOnlyList<string> route);

    /// <summary>
    /// Active link probe from this device to device <paramref name="receiver"/>: sends one payload of each
    /// size to <paramref name="receiver"/>'s probe grain (after one unmeasured warm-up call) and returns
    /// each call's time, ms — the payload's trip plus a small acknowledgement.
    /// </summary>
    [Alias("Measure")]
    Task<double[]> MeasureAsync(string receiver, int[] sizes);

    /// <summary>A payload of <paramref name="bytes"/> bytes, sent back to the caller: a client probes the link from this device to itself with it.</summary>
    [Alias("Payload"), AlwaysInterleave]
    Task<byte[]> PayloadAsync(int bytes);
}
