using AdaMec.Interfaces;
using Orleans.Runtime;

namespace AdaMec.Client;

/// <summary>A device (silo) of the cluster as `adamec cluster status` reports it.</summary>
/// <param name="Id">Device id (the silo's name).</param>
/// <param name="Silo">The silo's address, as planners report theirs in <see cref="DeploymentStatus.PlannerSilo"/>.</param>
/// <param name="AvailableMemoryBytes">Memory available to atoms now (OS or cgroup).</param>
/// <param name="ResidentAtoms">Keys of the atoms loaded on the device.</param>
public sealed record DeviceStatusRow(string Id, string Silo, long AvailableMemoryBytes, IReadOnlyList<string> ResidentAtoms)
{
    /// <summary>
    /// How many times slower than the manifest's predicted atom latencies the device runs atoms, as
    /// it measures them (see <see cref="SpeedSource"/>): what the planner plans with.
    /// </summary>
    public double Speed { get; init; }

    /// <summary>"measured" (timed passes), "quota" (the last measurement scaled by a CPU quota change) or "prior" (nothing timed yet).</summary>
    public string SpeedSource { get; init; } = "";

    /// <summary>Timed forward passes behind <see cref="Speed"/>.</summary>
    public int SpeedSamples { get; init; }

    /// <summary>The device's CPU cgroup quota in cores; -1 when none applies.</summary>
    public double CpuQuotaCores { get; init; } = -1;

    /// <summary>The device's memory cgroup limit; -1 when none applies.</summary>
    public long MemoryLimitBytes { get; init; } = -1;

    /// <summary>EMULATION: the declared factor the device slows its atoms by when <see cref="Emulated"/> (1 = none); not a planner input.</summary>
    public double EmulationSpeedFactor { get; init; }

    /// <summary>
    /// The same value as <see cref="EmulationSpeedFactor"/>, under the name `cluster status --json` has always
    /// printed it (<c>speedFactor</c>): scripts read it. What the planner plans with is <see cref="Speed"/>.
    /// </summary>
    public double SpeedFactor => EmulationSpeedFactor;

    /// <summary>Bytes of resident atoms.</summary>
    public long ResidentBytes { get; init; }

    /// <summary>CPU load (0 to 1).</summary>
    public double CpuLoad { get; init; }

    /// <summary>True when speed or links are emulated.</summary>
    public bool Emulated { get; init; }

    /// <summary>Why the device grain did not answer (the other fields are then empty), or null.</summary>
    public string? Error { get; init; }
}

/// <summary>A deployment as `adamec cluster status` reports it.</summary>
/// <param name="Id">Deployment id.</param>
/// <param name="Version">Live plan version.</param>
/// <param name="Live">Device per atom the requests run on now.</param>
/// <param name="Target">Device per atom the planner moves towards.</param>
/// <param name="Pin">The operator's pinned assignment, or null.</param>
/// <param name="PlannerSilo">The address of the silo hosting the deployment's planner grain.</param>
/// <param name="HistoryLength">Plan decisions recorded so far.</param>
public sealed record DeploymentStatus(string Id, int Version, IReadOnlyList<string> Live, IReadOnlyList<string> Target,
    IReadOnlyList<string>? Pin, string PlannerSilo, int HistoryLength)
{
    /// <summary>The initiator device.</summary>
    public string Initiator { get; init; } = "";

    /// <summary>True while atoms move towards the target.</summary>
    public bool Migrating { get; init; }

    /// <summary>The deployment's latency requirement, ms.</summary>
    public double LatencyRequirementMs { get; init; }

    /// <summary>Predicted latency of the live plan, ms.</summary>
    public double PredictedLatencyMs { get; init; }

    /// <summary>Whether the live plan meets the requirement and budgets.</summary>
    public bool Feasible { get; init; }

    /// <summary>
    /// How many times slower than the manifest's predicted atom latencies the initiator runs its own atoms,
    /// as it measures them (see <see cref="InitiatorSpeedSource"/>): what the planner plans with. 0 until
    /// the initiator reports.
    /// </summary>
    public double InitiatorSpeed { get; init; }

    /// <summary>"measured", "quota" or "prior" as for devices; empty until the initiator reports.</summary>
    public string InitiatorSpeedSource { get; init; } = "";

    /// <summary>Timed local passes behind <see cref="InitiatorSpeed"/>.</summary>
    public int InitiatorSpeedSamples { get; init; }

    /// <summary>Memory the initiator has free (its own cgroup, else /proc/meminfo); -1 when unknown or not reported.</summary>
    public long InitiatorAvailableMemoryBytes { get; init; } = -1;

    /// <summary>EMULATION: the declared factor the initiator slows its local atoms by (1 = none); not a planner input.</summary>
    public double InitiatorEmulationSpeedFactor { get; init; } = 1;

    /// <summary>
    /// Milliseconds from the triggering change to the first request served by the plan it brought, of
    /// the newest decision that has one (see <see cref="PlanRecord.TimeToBenefitMs"/>); null when none has yet.
    /// </summary>
    public double? TimeToBenefitMs { get; init; }

    /// <summary>
    /// Per device (the initiator included), its own predicted ms per atom that the newest plan used
    /// (<see cref="AtomLatencyReport"/>: basis "f_mem" when the manifest carries the memory correction and
    /// the device knows its memory, else "speed"), with its thread count and the memory predicted for.
    /// </summary>
    public IReadOnlyList<AtomLatencyReport> AtomLatencies { get; init; } = [];

    /// <summary>The newest plan decisions (at most <see cref="ClusterStatus.HistoryShown"/>), oldest first, with their time-to-benefit and atoms switched.</summary>
    public IReadOnlyList<PlanRecord> History { get; init; } = [];

    /// <summary>Why the planner did not answer (the other fields are then empty), or null.</summary>
    public string? Error { get; init; }
}

/// <summary>A directed link as `adamec cluster status` reports it.</summary>
/// <param name="From">Sending device.</param>
/// <param name="To">Receiving device.</param>
/// <param name="Mbps">Estimated bandwidth.</param>
/// <param name="LatencyMs">Estimated one-way latency.</param>
/// <param name="Source">"measured", "declared" or "probing" (never measured yet; the planner probes a link before it plans on it).</param>
/// <param name="Samples">Transfers the estimate rests on.</param>
/// <param name="AgeS">Seconds since the last sample or declaration.</param>
public sealed record LinkStatusRow(string From, string To, double Mbps, double LatencyMs, string Source, int Samples, double AgeS);

/// <summary>What `adamec cluster status` shows: live devices, registered deployments, links between the devices.</summary>
public sealed record ClusterStatusReport(IReadOnlyList<DeviceStatusRow> Devices, IReadOnlyList<DeploymentStatus> Deployments, IReadOnlyList<LinkStatusRow> Links);

/// <summary>Reads the cluster's state for operators: membership, device grains, the deployment directory, planners, links.</summary>
public static class ClusterStatus
{
    /// <summary>Plan decisions shown per deployment.</summary>
    public const int HistoryShown = 10;

    /// <summary>
    /// Devices are the active silos (membership); deployments the directory's; links every ordered pair
    /// of devices and deployment initiators. A grain that fails to answer becomes a row with an error.
    /// </summary>
    public static async Task<ClusterStatusReport> ReadAsync(IClusterClient cluster, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var members = await cluster.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true, cancellationToken);
        var devices = new List<DeviceStatusRow>();
        foreach (var member in members.Where(m => m.Status == SiloStatus.Active).OrderBy(m => m.SiloName, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var silo = member.SiloAddress.ToString();
            try
            {
                var status = await cluster.GetGrain<IDeviceGrain>(member.SiloName).GetStatusAsync();
                devices.Add(new DeviceStatusRow(member.SiloName, silo, status.AvailableMemoryBytes, status.ResidentAtoms)
                {
                    Speed = status.Speed,
                    SpeedSource = status.SpeedSource,
                    SpeedSamples = status.SpeedSamples,
                    CpuQuotaCores = status.CpuQuotaCores,
                    MemoryLimitBytes = status.MemoryLimitBytes,
                    EmulationSpeedFactor = status.SpeedFactor,
                    ResidentBytes = status.ResidentBytes,
                    CpuLoad = status.CpuLoad,
                    Emulated = status.Emulated,
                });
            }
            catch (Exception e) when (e is OrleansException or TimeoutException or AdaMecException)
            {
                devices.Add(new DeviceStatusRow(member.SiloName, silo, 0, []) { Error = e.Message });
            }
        }

        var deployments = new List<DeploymentStatus>();
        foreach (var id in await cluster.GetGrain<IDeploymentDirectoryGrain>(GrainKeys.Directory).ListAsync())
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var status = await cluster.GetGrain<IPlannerGrain>(id).GetStatusAsync();
                var history = await cluster.GetGrain<IPlannerGrain>(id).GetHistoryAsync();
                deployments.Add(new DeploymentStatus(id, status.Live.Version, status.Live.Assignment, status.Target, status.Pin, status.PlannerSilo, status.Replans)
                {
                    Initiator = status.Live.Initiator,
                    Migrating = status.Migrating,
                    LatencyRequirementMs = status.LatencyRequirementMs,
                    PredictedLatencyMs = status.Live.PredictedLatencyMs,
                    Feasible = status.Live.Feasible,
                    InitiatorSpeed = status.Initiator?.Speed ?? 0,
                    InitiatorSpeedSource = status.Initiator?.SpeedSource ?? "",
                    InitiatorSpeedSamples = status.Initiator?.SpeedSamples ?? 0,
                    InitiatorAvailableMemoryBytes = status.Initiator?.AvailableMemoryBytes ?? -1,
                    InitiatorEmulationSpeedFactor = status.Initiator?.EmulationSpeedFactor ?? 1,
                    AtomLatencies = status.AtomLatencies,
                    TimeToBenefitMs = history.LastOrDefault(r => r.TimeToBenefitMs is not null)?.TimeToBenefitMs,
                    History = history.TakeLast(HistoryShown).ToArray(),
                });
            }
            catch (Exception e) when (e is OrleansException or TimeoutException or AdaMecException)
            {
                deployments.Add(new DeploymentStatus(id, 0, [], [], null, "", 0) { Error = e.Message });
            }
        }

        var ends = devices.Where(d => d.Error is null).Select(d => d.Id)
            .Concat(deployments.Select(d => d.Initiator).Where(i => i.Length > 0))
            .Distinct(StringComparer.Ordinal).ToList();
        // One call per ordered pair: asked all at once, they cost one round trip rather than n².
        var pairs = ends.SelectMany(from => ends.Where(to => to != from).Select(to => (From: from, To: to))).ToList();
        var estimates = await Task.WhenAll(pairs.Select(p => cluster.GetGrain<ILinkGrain>(GrainKeys.Link(p.From, p.To)).GetAsync())).WaitAsync(cancellationToken);
        var links = pairs.Zip(estimates, (p, e) => new LinkStatusRow(p.From, p.To, e.Mbps, e.LatencyMs, e.Source, e.Samples, e.AgeSeconds)).ToList();
        return new ClusterStatusReport(devices, deployments, links);
    }
}
