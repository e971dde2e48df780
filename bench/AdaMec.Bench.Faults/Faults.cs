using System.Diagnostics;
using System.Security.Cryptography;
using AdaMec.Testbed;

namespace AdaMec.Bench.Faults;

/// <summary>The faults, in the order the bench runs them.</summary>
public static class Faults
{
    /// <summary>Every fault.</summary>
    public static IReadOnlyList<IFault> All { get; } =
    [
        new KillSiloFault(), new FreezeSiloFault(), new RestartPostgresFault(), new KillPlannerSiloFault(), new CorruptWeightsFault(),
    ];

    /// <summary>The faults' names.</summary>
    public static IReadOnlyList<string> Names => All.Select(f => f.Name).ToArray();
}

/// <summary>
/// kill -9 of an edge silo that does not host the planner. Detection: the membership table declares it
/// dead. Recovery: the planner's plan settled without the device (its atoms re-placed).
/// </summary>
internal sealed class KillSiloFault : IFault
{
    public string Name => "kill-silo";

    public async Task<FaultRun> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        var victim = await context.VictimAsync("edge2");
        var endpoints = await context.ActiveEndpointsAsync(victim, cancellationToken);
        var at = context.Load.NowS;
        var clock = Stopwatch.StartNew();
        context.Cluster.Kill(victim);
        context.Log.WriteLine($"faults: kill -9 {victim} at {at:0.0} s");
        var detection = await context.UntilDeclaredDeadAsync(victim, endpoints, clock, cancellationToken);
        var settled = await context.UntilSettledAsync(s => !s.Live.Assignment.Contains(victim), clock, cancellationToken);
        var recovery = settled is null ? (double?)null : clock.Elapsed.TotalSeconds;
        // Requests on the re-planned cluster of the devices left: they must all succeed (counted by the bench).
        if (settled is not null) await context.Load.UntilSentAsync(context.Load.Sent + FaultContext.RequestsAfter, cancellationToken);
        return new FaultRun(at, detection, recovery, at + recovery)
        {
            Notes = [$"killed {victim}; plan after: {(settled is null ? "not settled" : FaultContext.Describe(settled.Live.Assignment))}"],
            Problem = settled is null ? $"the plan did not settle without {victim} within {context.Patience.TotalSeconds:0} s" : null,
        };
    }
}

/// <summary>
/// SIGSTOP of an edge silo (a frozen board), SIGCONT once its atoms are re-placed. Detection: declared
/// dead. Recovery: atoms re-placed. Then the thawed silo learns it was declared dead and stops itself;
/// the bench, as its supervisor, starts it again, and the pin gives it its atoms back.
/// </summary>
internal sealed class FreezeSiloFault : IFault
{
    public string Name => "sigstop-silo";

    public async Task<FaultRun> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        var victim = await context.VictimAsync("edge3");
        var endpoints = await context.ActiveEndpointsAsync(victim, cancellationToken);
        var at = context.Load.NowS;
        var clock = Stopwatch.StartNew();
        context.Cluster.Freeze(victim);
        context.Log.WriteLine($"faults: SIGSTOP {victim} at {at:0.0} s");
        var detection = await context.UntilDeclaredDeadAsync(victim, endpoints, clock, cancellationToken);
        var replaced = await context.UntilSettledAsync(s => !s.Live.Assignment.Contains(victim), clock, cancellationToken);
        var recovery = replaced is null ? (double?)null : clock.Elapsed.TotalSeconds;
        var thawedAt = clock.Elapsed.TotalSeconds;
        context.Cluster.Thaw(victim);
        context.Log.WriteLine($"faults: SIGCONT {victim} at {context.Load.NowS:0.0} s");
        var notes = new List<string> { $"froze {victim} for {thawedAt:0.0} s" };

        // Declared dead, the silo stops itself when it runs again (Orleans does not let a dead silo back in).
        var process = context.Cluster.ProcessOf(victim);
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            wait.CancelAfter(TimeSpan.FromSeconds(30));
            try { await process.WaitForExitAsync(wait.Token); }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { }
        }
        string? problem = replaced is null ? $"{victim}'s atoms were not re-placed within {context.Patience.TotalSeconds:0} s" : null;
        if (process.HasExited)
        {
            notes.Add($"on SIGCONT it stopped itself (exit {process.ExitCode}) after {clock.Elapsed.TotalSeconds - thawedAt:0.0} s; restarted");
            context.Cluster.StartSilo(victim);
        }
        else
        {
            notes.Add("on SIGCONT it kept running");
        }
        await context.Cluster.UntilActiveAsync(victim, cancellationToken);
        var back = await context.UntilSettledAsync(s => s.Live.Assignment.SequenceEqual(context.Pin), Stopwatch.StartNew(), cancellationToken);
        if (back is null) problem ??= $"{victim} did not get its pinned atoms back after SIGCONT";
        else notes.Add($"pinned atoms back on {victim} {clock.Elapsed.TotalSeconds - thawedAt:0.0} s after SIGCONT");
        var backAt = context.Load.NowS;
        // It gets work again: requests sent from now on must run atoms on it (counted by the bench).
        if (back is not null) await context.Load.UntilSentAsync(context.Load.Sent + FaultContext.RequestsAfter, cancellationToken);
        return new FaultRun(at, detection, recovery, at + recovery)
        {
            Notes = notes, Problem = problem, Rejoined = back is null ? null : (victim, backAt),
        };
    }
}

/// <summary>
/// The PostgreSQL server stopped (fast shutdown) for 5 s and started again, under traffic. Nothing to
/// detect; recovery: every silo's liveness row written again after the server is back, none declared dead.
/// </summary>
internal sealed class RestartPostgresFault : IFault
{
    private static readonly TimeSpan Down = TimeSpan.FromSeconds(5);

    public string Name => "restart-postgres";

    public async Task<FaultRun> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        var at = context.Load.NowS;
        var clock = Stopwatch.StartNew();
        context.Log.WriteLine($"faults: PostgreSQL down for {Down.TotalSeconds:0} s at {at:0.0} s");
        await Task.Run(() => TestbedPostgres.RestartAsync(context.Cluster.Postgres, Down, cancellationToken), cancellationToken);
        var upAt = DateTime.UtcNow;
        var upS = clock.Elapsed.TotalSeconds;
        double? recovery = null;
        IReadOnlyList<MemberRow> rows = [];
        while (clock.Elapsed < context.Patience)
        {
            rows = await context.Cluster.TryMembersAsync(cancellationToken) ?? [];
            var active = rows.Where(r => r.Status == MemberRow.Active).ToArray();
            if (FaultCluster.Devices.All(d => active.Any(r => r.Device == d && r.IAmAlive > upAt)))
            {
                recovery = clock.Elapsed.TotalSeconds;
                break;
            }
            await Task.Delay(200, cancellationToken);
        }
        var dead = FaultCluster.Devices.Where(d => context.Cluster.ProcessOf(d).HasExited).ToArray();
        return new FaultRun(at, null, recovery, at + recovery)
        {
            Notes = [$"server back after {upS:0.0} s; every silo's liveness row written again {(recovery is null ? "never" : $"{recovery - upS:0.0} s later")}"],
            Problem = dead.Length > 0 ? $"silo(s) {string.Join(", ", dead)} exited while PostgreSQL was down"
                : recovery is null ? $"membership did not recover within {context.Patience.TotalSeconds:0} s: {string.Join("; ", rows.Select(r => $"{r.Device} {r.Status} {r.IAmAlive:HH:mm:ss}"))}" : null,
        };
    }
}

/// <summary>
/// kill -9 of the silo hosting the deployment's planner grain. Detection: declared dead. Recovery: the
/// planner answers from another silo, resumed from durable storage with the same pin and no shorter history.
/// </summary>
internal sealed class KillPlannerSiloFault : IFault
{
    public string Name => "kill-planner-silo";

    public async Task<FaultRun> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        var before = await context.Deployment.GetStatusAsync();
        var history = (await context.Deployment.GetHistoryAsync()).Count;
        var victim = await context.PlannerDeviceAsync();
        var endpoints = await context.ActiveEndpointsAsync(victim, cancellationToken);
        var at = context.Load.NowS;
        var clock = Stopwatch.StartNew();
        context.Cluster.Kill(victim);
        context.Log.WriteLine($"faults: kill -9 {victim} (the planner's silo) at {at:0.0} s");
        var detection = await context.UntilDeclaredDeadAsync(victim, endpoints, clock, cancellationToken);
        var resumed = await context.UntilSettledAsync(s => s.PlannerSilo.Length > 0 && s.PlannerSilo != before.PlannerSilo && !s.Live.Assignment.Contains(victim), clock, cancellationToken);
        var recovery = resumed is null ? (double?)null : clock.Elapsed.TotalSeconds;
        var historyAfter = resumed is null ? 0 : (await context.Deployment.GetHistoryAsync()).Count;
        string? problem = resumed is null ? $"the planner did not answer from another silo within {context.Patience.TotalSeconds:0} s"
            : resumed.Pin is null || !resumed.Pin.SequenceEqual(context.Pin) ? $"the pin did not survive: [{string.Join(",", resumed.Pin ?? [])}]"
            : historyAfter < history ? $"history shrank from {history} to {historyAfter} decisions"
            : null;
        return new FaultRun(at, detection, recovery, at + recovery)
        {
            Notes = [$"killed {victim}; planner resumed on {resumed?.PlannerSilo ?? "-"}, pin kept: {resumed?.Pin?.SequenceEqual(context.Pin) == true}, history {history} -> {historyAfter}"],
            Problem = problem,
        };
    }
}

/// <summary>
/// One weights file in an edge's atom cache corrupted while its silo is down (stopped cleanly, bytes
/// flipped, started again). Detection: the silo rejects the cached file when the pin brings the atom
/// back (restart to the log line). Recovery: the pinned plan live again. The file is re-pulled (its
/// SHA-256 is right again) and every result matches the local chain, so the bad bytes never ran.
/// </summary>
internal sealed class CorruptWeightsFault : IFault
{
    public string Name => "corrupt-weights";

    public async Task<FaultRun> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        var victim = await context.VictimAsync("edge1");
        var index = Enumerable.Range(0, context.Pin.Count).First(i => context.Pin[i] == victim && context.Deployment.Manifest.Atoms[i].FileBytes > 0);
        var spec = context.Deployment.Manifest.Atoms[index];
        var file = Path.Combine(context.Cluster.CacheOf(victim), spec.Sha256.ToLowerInvariant() + ".amw");
        if (!File.Exists(file)) return new FaultRun(context.Load.NowS, null, null, null) { Problem = $"no cached weights file {file} on {victim}" };
        var at = context.Load.NowS;
        await context.Cluster.StopSiloAsync(victim, cancellationToken);
        Corrupt(file);
        context.Log.WriteLine($"faults: corrupted {Path.GetFileName(file)} (atom {index}) in {victim}'s cache at {at:0.0} s; restarting {victim}");
        var clock = Stopwatch.StartNew();
        context.Cluster.StartSilo(victim);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var rejection = WatchLogAsync(context, victim, index, clock, watching.Token);
        var back = await context.UntilSettledAsync(s => s.Live.Assignment.SequenceEqual(context.Pin), clock, cancellationToken);
        var recovery = back is null ? (double?)null : clock.Elapsed.TotalSeconds;
        await watching.CancelAsync();
        var detection = await rejection;
        var repaired = File.Exists(file) && string.Equals(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file))), spec.Sha256, StringComparison.OrdinalIgnoreCase);
        return new FaultRun(at, detection, recovery, at + recovery)
        {
            Notes = [$"atom {index} ({spec.File}, {spec.FileBytes} bytes) on {victim}; rejected from the cache: {detection is not null}; file re-pulled: {repaired}"],
            Problem = detection is null ? $"{victim} never said it rejected the corrupted cache file of atom {index}"
                : !repaired ? $"the cache file of atom {index} on {victim} is not the right weights after recovery"
                : back is null ? $"the pinned plan was not live again within {context.Patience.TotalSeconds:0} s" : null,
        };
    }

    /// <summary>Flips 64 bytes in the middle of the file: the size stays right, the content does not.</summary>
    private static void Corrupt(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var start = Math.Max(0, bytes.Length / 2 - 32);
        for (var i = start; i < Math.Min(bytes.Length, start + 64); i++) bytes[i] ^= 0xFF;
        File.WriteAllBytes(file, bytes);
    }

    /// <summary>Seconds on <paramref name="clock"/> when the silo's log first says it rejected the cached file; null if it never does.</summary>
    private static async Task<double?> WatchLogAsync(FaultContext context, string device, int index, Stopwatch clock, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (Rejected(context.Cluster.LogOf(device), index)) return clock.Elapsed.TotalSeconds;
            if (cancellationToken.IsCancellationRequested) return null;
            try { await Task.Delay(100, cancellationToken); }
            catch (OperationCanceledException) { /* one last look above */ }
        }
    }

    private static bool Rejected(string log, int index) =>
        log.Split('\n').Any(l => l.Contains($"/{index}@", StringComparison.Ordinal) && l.Contains("from cache rejected", StringComparison.Ordinal));
}
