using System.Diagnostics;
using AdaMec.Client;
using AdaMec.Interfaces;

namespace AdaMec.Bench.Faults;

/// <summary>What a fault did: when it struck, what was measured, and anything that went wrong.</summary>
/// <param name="AtS">When the fault was injected, on the load's clock (s).</param>
/// <param name="DetectionS">Fault to detection, s; null when the fault has nothing to detect.</param>
/// <param name="RecoveryS">Fault to recovery (as the fault defines it), s; null when it did not recover.</param>
/// <param name="RecoveredAtS">Recovery on the load's clock; every request sent after it must succeed.</param>
public sealed record FaultRun(double AtS, double? DetectionS, double? RecoveryS, double? RecoveredAtS)
{
    /// <summary>What happened, for people (device, plan after, restarts).</summary>
    public List<string> Notes { get; init; } = [];

    /// <summary>A broken promise (state lost, a device not back, a file not re-pulled), or null.</summary>
    public string? Problem { get; init; }

    /// <summary>The device a frozen-then-thawed silo serves, and when (load clock) it had its atoms back; requests after it must run there again.</summary>
    public (string Device, double AtS)? Rejoined { get; init; }
}

/// <summary>A fault the bench injects into the running cluster while the load runs.</summary>
public interface IFault
{
    /// <summary>Short name (table, JSON, `--faults`).</summary>
    string Name { get; }

    /// <summary>Injects the fault, waits for detection and recovery, and says what it measured.</summary>
    Task<FaultRun> InjectAsync(FaultContext context, CancellationToken cancellationToken);
}

/// <summary>The running cluster, the client's deployment and the load, as a fault sees them.</summary>
public sealed class FaultContext(FaultCluster cluster, AdaMecClient client, Deployment deployment, IReadOnlyList<string> pin, LoadGenerator load, TimeSpan patience, TextWriter log)
{
    /// <summary>Requests a fault keeps sending once the cluster has recovered (or a thawed silo is back), so what follows is measured, not assumed.</summary>
    public const int RequestsAfter = 20;

    public FaultCluster Cluster { get; } = cluster;

    public AdaMecClient Client { get; } = client;

    public Deployment Deployment { get; } = deployment;

    /// <summary>The operator's pin every fault starts from (each edge holds a third of the model).</summary>
    public IReadOnlyList<string> Pin { get; } = pin;

    public LoadGenerator Load { get; } = load;

    /// <summary>How long to wait for detection or recovery before giving up.</summary>
    public TimeSpan Patience { get; } = patience;

    public TextWriter Log { get; } = log;

    /// <summary>The device whose silo hosts the deployment's planner grain.</summary>
    public async Task<string> PlannerDeviceAsync()
    {
        var status = await Deployment.GetStatusAsync();
        var devices = (await ClusterStatus.ReadAsync(Client.Cluster)).Devices;
        return devices.FirstOrDefault(d => d.Silo == status.PlannerSilo)?.Id
            ?? throw new InvalidOperationException($"no device's silo is {status.PlannerSilo}, the planner's");
    }

    /// <summary>An edge of the pin whose silo does not host the planner (so the fault is the device's loss alone).</summary>
    public async Task<string> VictimAsync(string preferred)
    {
        var planner = await PlannerDeviceAsync();
        return preferred != planner ? preferred : FaultCluster.Devices.First(d => d != planner && Pin.Contains(d));
    }

    /// <summary>Waits until <paramref name="device"/>'s incarnation(s) seen active before are dead in the table; seconds since <paramref name="since"/>.</summary>
    public async Task<double?> UntilDeclaredDeadAsync(string device, IReadOnlyCollection<string> endpoints, Stopwatch since, CancellationToken cancellationToken)
    {
        while (since.Elapsed < Patience)
        {
            if (await Cluster.TryMembersAsync(cancellationToken) is { } rows
                && rows.Where(r => r.Device == device && endpoints.Contains(r.Endpoint)).All(r => r.Status == MemberRow.Dead))
                return since.Elapsed.TotalSeconds;
            await Task.Delay(100, cancellationToken);
        }
        return null;
    }

    /// <summary>The endpoints of <paramref name="device"/>'s active incarnation(s) now.</summary>
    public async Task<IReadOnlyCollection<string>> ActiveEndpointsAsync(string device, CancellationToken cancellationToken) =>
        (await Cluster.MembersAsync(cancellationToken)).Where(r => r.Device == device && r.Status == MemberRow.Active).Select(r => r.Endpoint).ToArray();

    /// <summary>Polls the planner until <paramref name="done"/> holds on a settled plan (live = target, nothing moving); the status, or null after <see cref="Patience"/>.</summary>
    public async Task<PlannerStatus?> UntilSettledAsync(Func<PlannerStatus, bool> done, Stopwatch since, CancellationToken cancellationToken)
    {
        while (since.Elapsed < Patience)
        {
            try
            {
                var status = await Deployment.GetStatusAsync().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                if (!status.Migrating && status.Live.Assignment.SequenceEqual(status.Target) && done(status)) return status;
            }
            catch (Exception e) when (e is TimeoutException or AdaMecException or Orleans.Runtime.OrleansException)
            {
                // The planner's silo is gone or frozen; the next call activates it elsewhere.
            }
            await Task.Delay(100, cancellationToken);
        }
        return null;
    }

    /// <summary>The assignment, short: edge1 x10, edge2 x11, phone x10.</summary>
    public static string Describe(IReadOnlyList<string> assignment) =>
        string.Join(", ", assignment.GroupBy(d => d).Select(g => $"{g.Key} x{g.Count()}"));
}
