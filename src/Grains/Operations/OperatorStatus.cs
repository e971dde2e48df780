using AdaMec.Interfaces;
using Orleans.Runtime;

namespace AdaMec.Grains.Operations;

/// <summary>
/// A device as the operator page shows it. <c>Speed</c>: how many times slower than predicted it runs
/// atoms, as it measures them (what the planner plans with; <c>SpeedSource</c> as in
/// <see cref="DeviceStatus.SpeedSource"/>). <c>EmulationSpeedFactor</c>: EMULATION, the declared
/// factor it slows its atoms by when <c>Emulated</c>.
/// </summary>
public sealed record OperatorDevice(string Id, string Silo, double Speed, string SpeedSource, double EmulationSpeedFactor, long AvailableMemoryBytes, double CpuLoad,
    long ResidentBytes, IReadOnlyList<string> ResidentAtoms, long? MemoryBudgetBytes, double? ComputeBudgetFlops, bool Emulated, string? Error);

/// <summary>A deployment as the operator page shows it: live plan, target, history and measured latency.</summary>
public sealed record OperatorDeployment(string Id, string Initiator, int Version, IReadOnlyList<string> Live, IReadOnlyList<string> Target,
    IReadOnlyList<string>? Pin, bool Migrating, double LatencyRequirementMs, double PredictedLatencyMs, bool Feasible, string PlannerSilo,
    IReadOnlyList<PlanRecord> History, IReadOnlyList<LatencyReport> Latency, string? Error);

/// <summary>What /api/status answers: this silo, the live devices, links among them and the initiators, every deployment.</summary>
public sealed record OperatorSnapshot(string Device, string Silo, DateTimeOffset At, IReadOnlyList<OperatorDevice> Devices,
    IReadOnlyList<LinkEstimate> Links, IReadOnlyList<OperatorDeployment> Deployments);

/// <summary>
/// Reads the cluster for the operator page from the grains (no database of its own): membership for
/// the devices, device grains, the deployment directory, planners, link grains and latency logs. Any
/// silo answers the same. A grain that does not answer within <see cref="Timeout"/> becomes a row with an error.
/// </summary>
public static class OperatorStatus
{
    /// <summary>How long one grain may take to answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Reads the snapshot.</summary>
    public static async Task<OperatorSnapshot> ReadAsync(IGrainFactory grains, ILocalSiloDetails silo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(silo);
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true, cancellationToken).WaitAsync(Timeout, cancellationToken);
        var members = hosts.Where(h => h.Status == SiloStatus.Active).OrderBy(h => h.SiloName, StringComparer.Ordinal).ToArray();
        var devices = await Task.WhenAll(members.Select(m => DeviceAsync(grains, m.SiloName, m.SiloAddress.ToString(), cancellationToken)));

        var ids = await grains.GetGrain<IDeploymentDirectoryGrain>(GrainKeys.Directory).ListAsync().WaitAsync(Timeout, cancellationToken);
        var deployments = await Task.WhenAll(ids.Select(id => DeploymentAsync(grains, id, cancellationToken)));

        var ends = devices.Select(d => d.Id).Concat(deployments.Select(d => d.Initiator)).Where(e => e.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        var pairs = ends.SelectMany(from => ends.Where(to => to != from).Select(to => (from, to))).ToArray();
        var links = await Task.WhenAll(pairs.Select(async p =>
        {
            try { return await grains.GetGrain<ILinkGrain>(GrainKeys.Link(p.from, p.to)).GetAsync().WaitAsync(Timeout, cancellationToken); }
            catch (Exception e) when (e is OrleansException or TimeoutException or AdaMecException) { return null; }
        }));
        return new OperatorSnapshot(silo.Name, silo.SiloAddress.ToString(), DateTimeOffset.UtcNow, devices, links.OfType<LinkEstimate>().ToArray(), deployments);
    }

    private static async Task<OperatorDevice> DeviceAsync(IGrainFactory grains, string id, string silo, CancellationToken cancellationToken)
    {
        try
        {
            var s = await grains.GetGrain<IDeviceGrain>(id).GetStatusAsync().WaitAsync(Timeout, cancellationToken);
            return new OperatorDevice(id, silo, s.Speed, s.SpeedSource, s.SpeedFactor, s.AvailableMemoryBytes, s.CpuLoad, s.ResidentBytes, s.ResidentAtoms,
                s.Budgets.MemoryBudgetBytes, s.Budgets.ComputeBudgetFlops, s.Emulated, null);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or AdaMecException)
        {
            return new OperatorDevice(id, silo, 0, "", 0, 0, 0, 0, [], null, null, false, e.Message);
        }
    }

    private static async Task<OperatorDeployment> DeploymentAsync(IGrainFactory grains, string id, CancellationToken cancellationToken)
    {
        try
        {
            var planner = grains.GetGrain<IPlannerGrain>(id);
            var status = await planner.GetStatusAsync().WaitAsync(Timeout, cancellationToken);
            var history = await planner.GetHistoryAsync().WaitAsync(Timeout, cancellationToken);
            var latency = await grains.GetGrain<ILatencyLogGrain>(id).ReadAsync().WaitAsync(Timeout, cancellationToken);
            var live = status.Live;
            return new OperatorDeployment(id, live.Initiator, live.Version, live.Assignment, status.Target, status.Pin, status.Migrating,
                status.LatencyRequirementMs, live.PredictedLatencyMs, live.Feasible, status.PlannerSilo, history, latency, null);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or AdaMecException)
        {
            return new OperatorDeployment(id, "", 0, [], [], null, false, 0, 0, false, "", [], [], e.Message);
        }
    }
}
