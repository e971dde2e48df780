using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AdaMec.Bench.Context;
using AdaMec.Client;
using AdaMec.Grains;
using AdaMec.Interfaces;
using Xunit.Abstractions;

namespace AdaMec.Cli.Tests;

/// <summary>ResNet-18 partitioned once for the cgroup tests (a few MB per atom: moving them is quick).</summary>
public sealed class PartitionedResNet : IDisposable
{
    public PartitionedResNet()
    {
        var partition = AdamecProcess.Run("partition", "--model", "resnet18", "--out", Directory, "--latency", "flops");
        if (partition.ExitCode != 0) throw new InvalidOperationException("partition failed: " + partition.Error);
        using var manifest = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(Directory, "manifest.json")));
        var atoms = manifest.RootElement.GetProperty("atoms");
        AtomCount = atoms.GetArrayLength();
        InputBytes = atoms[0].GetProperty("inputBytes").GetInt32();
        PredictedMs = atoms.EnumerateArray().Select(a => a.GetProperty("predictedMs").GetDouble()).ToArray();
    }

    public string Root { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "adamec-cgroup-" + Guid.NewGuid().ToString("N")[..8]);

    public string Directory => System.IO.Path.Combine(Root, "resnet18");

    public int AtomCount { get; }

    public int InputBytes { get; }

    /// <summary>Each atom's predicted latency from the manifest: the work a placement takes on.</summary>
    public IReadOnlyList<double> PredictedMs { get; }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Root)) System.IO.Directory.Delete(Root, recursive: true);
    }
}

/// <summary>
/// Real adamec-silo processes in real cgroup v1 memory and cpu cgroups (made for the test, removed
/// after): a lowered memory limit, a halved CPU quota and an edge slower by its quota, against a
/// client in this process that sends requests throughout. Skips where cgroups cannot be made.
/// </summary>
public sealed class CgroupContextTests(PartitionedResNet model, ITestOutputHelper output) : IClassFixture<PartitionedResNet>
{
    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    // Further cuts when the device still reads its floor free: each this much lower, never closer than
    // OomHeadroom to the anonymous and shared memory (the kernel kills the silo rather than swap).
    private const long CutStep = 8 * MiB;
    private const long OomHeadroom = 24 * MiB;
    private const int MaxCuts = 5;

    [CgroupFact]
    public async Task MemoryLimit_LoweredUnderWhatResidentAtomsNeed_ReplansWithin3sAtomsFitAndNoRequestIsLost()
    {
        using var memory = CgroupV1.Create("memory", "adamec-mem");
        // Charges made before the move (the runtime starting) go with the process.
        try { memory.Write("memory.move_charge_at_immigrate", "1"); } catch (IOException) { }
        var cluster = "cg-mem-" + Guid.NewGuid().ToString("N")[..6];
        var gateway = LoopbackPorts.Free();
        using var silo = SiloProcess.Start(SiloArgs("edge", cluster, LoopbackPorts.Free(), gateway, primary: null), memory);
        try
        {
            await silo.UntilStartedAsync();
            await using var client = await ConnectAsync(cluster, gateway);
            using var deployment = await client.DeployAsync(model.Directory, 100_000, "mem-" + Guid.NewGuid().ToString("N")[..6]);
            await deployment.WaitForAsync(s => !s.Migrating && s.Live.Assignment.Contains("edge") && s.Live.Assignment.SequenceEqual(s.Target), Settle);
            var device = client.Cluster.GetGrain<IDeviceGrain>("edge");
            var before = await device.GetStatusAsync();
            Assert.True(before.ResidentAtoms.Count > 0);

            await using var requests = Requests.Start(deployment, model.InputBytes);
            await requests.UntilAsync(3);

            // Room for less than the floor the device keeps free: its resident atoms no longer fit. The
            // kernel refuses a limit under what it cannot reclaim (the atoms are anonymous memory, there is
            // no swap), so the limit goes half the floor over the working set as the device itself counts
            // it: usage less the inactive file cache, which the kernel drops first. Counted otherwise the
            // cut missed in both directions: with the whole cache left out and the mapped files put back,
            // shared memory (counted as cache, not droppable without swap) was missing and the cut came
            // within 1 MiB of what the process held (the kernel killed the silo, or it stalled re-reading
            // its code); with shared memory added, mapped files the kernel counts as inactive made the
            // device read 50 MiB more free than the cut meant, and it had nothing to evict.
            // The process's memory swings by tens of MB (collections, activations, reclaimed cache), so a
            // cut can still leave the floor free at the device's first reading after it: then the
            // precondition does not hold yet, and the limit goes down again in small steps, never closer
            // than OomHeadroom to what the kernel cannot reclaim (anonymous and shared memory). The 3 s
            // count from the last cut.
            var floor = before.MemoryFloorBytes;
            var cuts = new List<Cut>();
            while (true)
            {
                // A later reading of the last cut may have put the atoms under the floor meanwhile: then
                // that cut established it, and no further cut is made.
                if (cuts.Count > 0 && (await device.GetStatusAsync()).Evicted.Count > before.Evicted.Count) break;
                var working = memory.ReadLong("memory.usage_in_bytes") - memory.Stat("total_inactive_file");
                var unreclaimable = memory.Stat("total_rss") + memory.Stat("total_shmem");
                var resident = (await device.GetStatusAsync()).ResidentBytes;
                var target = working + floor / 2;
                if (cuts.Count > 0) target = Math.Min(target, cuts[^1].Limit - CutStep);
                if (target < unreclaimable + OomHeadroom)
                    throw new InvalidOperationException($"cut {cuts.Count + 1}: a limit of {target / MiB} MiB would come within {OomHeadroom / MiB} MiB of the {unreclaimable / MiB} MiB the kernel cannot reclaim; cuts so far: {string.Join("; ", cuts)}");
                var history = (await deployment.GetHistoryAsync()).Count;
                var squeezed = Lower(memory, target);
                cuts.Add(new Cut(DateTimeOffset.UtcNow, squeezed, working, resident, unreclaimable, history));
                output.WriteLine($"cut {cuts.Count}: {cuts[^1]} (floor {floor / MiB} MiB)");
                // The device's first reading of the new limit: under the floor, or already evicting.
                var reading = await UntilAsync(async () => await device.GetStatusAsync() is { } s && s.MemoryLimitBytes == squeezed ? s : null, "the device to read the new limit", silo);
                output.WriteLine($"  device read {reading.AvailableMemoryBytes / MiB} MiB free, {reading.ResidentAtoms.Count} atoms resident");
                if (reading.AvailableMemoryBytes < floor || reading.Evicted.Count > before.Evicted.Count) break;
                if (cuts.Count >= MaxCuts)
                    throw new InvalidOperationException($"after {cuts.Count} cuts the device still reads {reading.AvailableMemoryBytes / MiB} MiB free, over its {floor / MiB} MiB floor: {string.Join("; ", cuts)}");
            }
            var cut = cuts[^1];

            // Either signal may come first: the device's memory reading (the planner moves the atoms off
            // before the device evicts them) or its eviction of atoms the live plan still uses. Only a
            // re-plan after the cut that put the atoms out of fit counts.
            var replan = await UntilAsync(async () => (await deployment.GetHistoryAsync()).Skip(cut.History).FirstOrDefault(r => r.At >= cut.At &&
                (r.Trigger.Contains("evict", StringComparison.Ordinal) || r.Trigger.Contains("available memory of edge", StringComparison.Ordinal))), "a re-plan for the memory limit", silo);
            var delay = replan.At - cut.At;
            await deployment.WaitForAsync(s => !s.Migrating && s.Live.Assignment.SequenceEqual(s.Target), Settle);
            // The issue's criterion: the resident atoms fit the limit, next to what the process needs
            // besides them (measured at the cut, as the cut was computed) and the floor the device keeps
            // free. Not the device's own free-memory reading: how much freed memory the native allocator
            // hands back to the kernel varies from run to run.
            var baseline = cut.Working - cut.Resident;
            var after = await UntilAsync(async () => await device.GetStatusAsync() is { } s && baseline + s.ResidentBytes + floor <= cut.Limit ? s : null, "the resident atoms to fit the new limit", silo);
            var answered = requests.Answered;
            await requests.UntilAsync(answered + 3);
            await requests.StopAsync();

            // How the device got there: one eviction round per line (free memory it read, atoms resident then).
            foreach (var line in silo.Log().Split('\n').Where(l => l.Contains("under its floor", StringComparison.Ordinal) || l.Contains("unloaded evicted atoms", StringComparison.Ordinal))) output.WriteLine("  silo: " + line.Trim());
            output.WriteLine($"re-planned {delay.TotalMilliseconds:0} ms after cut {cuts.Count} ({replan.Trigger}); evicted {after.Evicted.Count}; " +
                $"{after.ResidentAtoms.Count} atoms resident ({after.ResidentBytes / MiB} MiB), {after.AvailableMemoryBytes / MiB} MiB free of a {after.MemoryLimitBytes / MiB} MiB limit; " +
                $"usage {memory.ReadLong("memory.usage_in_bytes") / MiB} MiB; {requests.Answered} requests, {requests.FellBack} fell back, {requests.Failures.Count} failed");
            Assert.True(delay < TimeSpan.FromSeconds(3), $"re-planned {delay.TotalMilliseconds:0} ms after the limit was lowered");
            Assert.Equal(cut.Limit, after.MemoryLimitBytes);
            Assert.NotEmpty(after.Evicted);
            Assert.True(after.ResidentBytes < before.ResidentBytes);
            Assert.False(silo.Process.HasExited, "the silo was killed (out of memory?)");
            Assert.Empty(requests.Failures);
        }
        catch
        {
            output.WriteLine(silo.Log());
            throw;
        }
    }

    [CgroupFact]
    public async Task CpuQuota_HalvedOnTheBusyEdge_SlowerSpeedWithin10sAndAtomsMoveOff()
    {
        using var cpuA = CgroupV1.Create("cpu", "adamec-cpu-a");
        using var cpuB = CgroupV1.Create("cpu", "adamec-cpu-b");
        cpuA.SetQuota(1);
        cpuB.SetQuota(1);
        var cluster = "cg-cpu-" + Guid.NewGuid().ToString("N")[..6];
        var (primary, gateway) = (LoopbackPorts.Free(), LoopbackPorts.Free());
        using var a = SiloProcess.Start(SiloArgs("edge-a", cluster, primary, gateway, primary: null), cpuA);
        using var b = SiloProcess.Start(SiloArgs("edge-b", cluster, LoopbackPorts.Free(), LoopbackPorts.Free(), primary), cpuB);
        var silos = new Dictionary<string, (SiloProcess Silo, CgroupV1 Cpu)> { ["edge-a"] = (a, cpuA), ["edge-b"] = (b, cpuB) };
        try
        {
            await a.UntilStartedAsync();
            await b.UntilStartedAsync();
            await using var client = await ConnectAsync(cluster, gateway);
            using var deployment = await client.DeployAsync(model.Directory, 100_000, "cpu-" + Guid.NewGuid().ToString("N")[..6]);
            var settled = await deployment.WaitForAsync(s => Settled(s) && s.Live.Assignment.Any(silos.ContainsKey), Settle);
            // Two loops, so the edge is busy: one request at a time kept it under half a core on a slow
            // machine (the client's own share between its requests), and then half a core did not slow it.
            await using var requests = Requests.Start(deployment, model.InputBytes, loops: 2);

            // The edge that holds most of the model, once it has timed its passes at a whole core.
            var busy = silos.Keys.MaxBy(d => settled.Live.Assignment.Count(x => x == d))!;
            var other = silos.Keys.Single(d => d != busy);
            var device = client.Cluster.GetGrain<IDeviceGrain>(busy);
            var before = await UntilAsync(async () => await device.GetStatusAsync() is { SpeedSource: "measured" } s ? s : null, $"{busy} to measure its speed", silos[busy].Silo);
            var onBusy = (await deployment.GetStatusAsync()).Live.Assignment.Count(x => x == busy);
            var historyBefore = (await deployment.GetHistoryAsync()).Count;

            silos[busy].Cpu.SetQuota(0.5);
            var halved = Stopwatch.StartNew();
            var at = DateTimeOffset.UtcNow;
            var slower = await UntilAsync(async () => await device.GetStatusAsync() is { } s && s.Speed > before.Speed * 1.25 ? s : null, $"{busy} to report a slower speed", silos[busy].Silo);
            var toSlower = halved.Elapsed;
            var moved = await deployment.WaitForAsync(s => Settled(s) && s.Live.Assignment.Count(x => x == busy) < onBusy, Settle);
            var toMoved = halved.Elapsed;
            var measuredLater = await UntilAsync(async () => await device.GetStatusAsync() is { SpeedSource: "measured" } s && s.Speed > before.Speed * 1.25 ? s : null, $"{busy} to measure itself slower", silos[busy].Silo);
            var replan = (await deployment.GetHistoryAsync()).Skip(historyBefore).First(r => r.NewPlan.Count(x => x == busy) < onBusy);
            var otherStatus = await client.Cluster.GetGrain<IDeviceGrain>(other).GetStatusAsync();
            await requests.UntilAsync(requests.Answered + 3);
            await requests.StopAsync();

            output.WriteLine($"{busy}: {onBusy} atoms, speed {before.Speed:0.00}x ({before.SpeedSamples} passes) at 1 core; quota halved to 0.5 cores: " +
                $"{slower.Speed:0.00}x ({slower.SpeedSource}) after {toSlower.TotalMilliseconds:0} ms, measured {measuredLater.Speed:0.00}x ({measuredLater.SpeedSamples} passes); " +
                $"re-planned {(replan.At - at).TotalMilliseconds:0} ms after the change ({replan.Trigger}), settled {toMoved.TotalMilliseconds:0} ms after: " +
                $"{moved.Live.Assignment.Count(x => x == busy)} atoms on {busy}, {moved.Live.Assignment.Count(x => x == other)} on {other} ({otherStatus.Speed:0.00}x, {otherStatus.SpeedSource}); " +
                $"{requests.Answered} requests, {requests.FellBack} fell back, {requests.Failures.Count} failed");
            Assert.Equal(0.5, measuredLater.CpuQuotaCores, 3);
            Assert.True(toSlower < TimeSpan.FromSeconds(10), $"{busy} reported a slower speed {toSlower.TotalMilliseconds:0} ms after its quota was halved");
            Assert.True(moved.Live.Assignment.Count(x => x == other) > settled.Live.Assignment.Count(x => x == other), $"atoms left {busy} but not for {other}");
            Assert.Empty(requests.Failures);
        }
        catch
        {
            foreach (var (name, (silo, _)) in silos) output.WriteLine($"--- {name}\n{silo.Log()}");
            throw;
        }
    }

    [CgroupFact]
    public async Task TwoEdges_OneSlowerByCpuQuota_FasterOneGetsMoreWorkWithoutADeclaredSpeed()
    {
        // The slow edge is the primary and comes first by name: were the planner blind to speed, ties
        // and the order devices join in would favour it.
        using var slowCpu = CgroupV1.Create("cpu", "adamec-cpu-slow");
        using var fastCpu = CgroupV1.Create("cpu", "adamec-cpu-fast");
        slowCpu.SetQuota(0.25);
        fastCpu.SetQuota(1);
        var cluster = "cg-two-" + Guid.NewGuid().ToString("N")[..6];
        var (primary, gateway) = (LoopbackPorts.Free(), LoopbackPorts.Free());
        using var slow = SiloProcess.Start(SiloArgs("edge-1", cluster, primary, gateway, primary: null), slowCpu);
        using var fast = SiloProcess.Start(SiloArgs("edge-2", cluster, LoopbackPorts.Free(), LoopbackPorts.Free(), primary), fastCpu);
        try
        {
            await slow.UntilStartedAsync();
            await fast.UntilStartedAsync();
            await using var client = await ConnectAsync(cluster, gateway);
            using var deployment = await client.DeployAsync(model.Directory, 100_000, "two-" + Guid.NewGuid().ToString("N")[..6]);
            await deployment.WaitForAsync(s => Settled(s) && s.Live.Assignment.Any(d => d.StartsWith("edge-", StringComparison.Ordinal)), Settle);
            var edge1 = client.Cluster.GetGrain<IDeviceGrain>("edge-1");
            var edge2 = client.Cluster.GetGrain<IDeviceGrain>("edge-2");
            await using (var requests = Requests.Start(deployment, model.InputBytes))
            {
                // Both edges time real passes: the whole model pinned on each in turn while requests run,
                // so the speeds the planner then chooses by are measurements, not the quota alone.
                foreach (var (name, grain) in new[] { ("edge-1", edge1), ("edge-2", edge2) })
                {
                    await deployment.PinAsync(Enumerable.Repeat(name, model.AtomCount).ToArray());
                    await deployment.WaitForAsync(s => Settled(s) && s.Live.Assignment.All(d => d == name), Settle);
                    await UntilAsync(async () => await grain.GetStatusAsync() is { SpeedSource: "measured", SpeedSamples: >= 10 } s ? s : null, $"{name} to measure its speed", name == "edge-1" ? slow : fast);
                }
                await deployment.PinAsync(null);
                await requests.UntilAsync(requests.Answered + 5);
                await requests.StopAsync();
                Assert.Empty(requests.Failures);
            }
            var plan = await deployment.WaitForAsync(Settled, Settle);
            var speeds = new Dictionary<string, DeviceStatus>();
            foreach (var d in new[] { "edge-1", "edge-2" }) speeds[d] = await client.Cluster.GetGrain<IDeviceGrain>(d).GetStatusAsync();

            var work = model.PredictedMs;
            double Work(string device) => plan.Live.Assignment.Select((d, i) => d == device ? work[i] : 0).Sum();
            output.WriteLine($"plan {string.Join(",", plan.Live.Assignment)}; " + string.Join("; ", speeds.Select(p =>
                $"{p.Key}: quota {p.Value.CpuQuotaCores:0.00} cores, speed {p.Value.Speed:0.00}x ({p.Value.SpeedSource}, {p.Value.SpeedSamples} passes), " +
                $"declared factor {p.Value.SpeedFactor} (emulation {(p.Value.Emulated ? "on" : "off")}), {plan.Live.Assignment.Count(x => x == p.Key)} atoms, {Work(p.Key):0.0} predicted ms")));
            // What an operator reads: the measured speed and the quota, the declared factor only as emulation.
            var rows = (await ClusterStatus.ReadAsync(client.Cluster)).Devices.ToDictionary(d => d.Id);
            Assert.Equal(0.25, rows["edge-1"].CpuQuotaCores, 3);
            Assert.Equal("measured", rows["edge-1"].SpeedSource);
            Assert.True(rows["edge-1"].Speed > rows["edge-2"].Speed);
            Assert.All(rows.Values, r => Assert.Equal(1, r.EmulationSpeedFactor));
            Assert.All(speeds.Values, s => Assert.Equal(1, s.SpeedFactor));
            Assert.All(speeds.Values, s => Assert.Equal("measured", s.SpeedSource));
            Assert.True(speeds["edge-1"].Speed > speeds["edge-2"].Speed, "the edge with a quarter of a core does not read slower");
            Assert.True(Work("edge-2") > Work("edge-1"), $"the faster edge got {Work("edge-2"):0.0} predicted ms of work, the slower {Work("edge-1"):0.0}");
        }
        catch
        {
            output.WriteLine($"--- edge-1 (slow)\n{slow.Log()}\n--- edge-2 (fast)\n{fast.Log()}");
            throw;
        }
    }

    /// <summary>One lowering of the memory limit, with what the cgroup and the device held then.</summary>
    private sealed record Cut(DateTimeOffset At, long Limit, long Working, long Resident, long Unreclaimable, int History)
    {
        public override string ToString() => FormattableString.Invariant(
            $"limit {Limit / MiB} MiB at {At:HH:mm:ss.fff}, working set {Working / MiB} MiB, atoms {Resident / MiB} MiB, anon+shmem {Unreclaimable / MiB} MiB");
    }

    private static bool Settled(PlannerStatus s) => !s.Migrating && s.Live.Assignment.SequenceEqual(s.Target);

    private static long Lower(CgroupV1 memory, long limit)
    {
        // Page-aligned; the kernel may still refuse (EBUSY) while it cannot reclaim enough: leave more room.
        for (var attempt = 0; ; attempt++)
        {
            var value = (limit + attempt * 8 * MiB + 4095) / 4096 * 4096;
            try
            {
                memory.Write("memory.limit_in_bytes", value.ToString(CultureInfo.InvariantCulture));
                return memory.ReadLong("memory.limit_in_bytes");
            }
            catch (IOException) when (attempt < 20)
            {
            }
        }
    }

    private IEnumerable<string> SiloArgs(string device, string cluster, int siloPort, int gatewayPort, int? primary, params string[] more)
    {
        string[] args =
        [
            "--device", device, "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture),
            "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture), "--cluster-id", cluster,
            "--cache", System.IO.Path.Combine(model.Root, "cache-" + cluster, device),
        ];
        return primary is { } p ? [.. args, "--primary", "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture), .. more] : [.. args, .. more];
    }

    private static Task<AdaMecClient> ConnectAsync(string cluster, int gateway)
    {
        // A phone emulated 50x slower than its edges (it measures so) wants its atoms offloaded.
        var options = new AdaMecClientOptions { DeviceId = "phone", ClusterId = cluster, SpeedFactor = 50, Emulation = true };
        options.Gateways.Add("127.0.0.1:" + gateway.ToString(CultureInfo.InvariantCulture));
        return AdaMecClient.ConnectAsync(options);
    }

    private static async Task<T> UntilAsync<T>(Func<Task<T?>> read, string what, SiloProcess silo) where T : class
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Settle.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (await read() is { } value) return value;
            if (silo.Process.HasExited) throw new InvalidOperationException($"the silo exited ({silo.Process.ExitCode}) while waiting for {what}");
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"waited {Settle.TotalSeconds} s for {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>Requests one after another (in <c>loops</c> loops side by side) until stopped; each must answer.</summary>
    internal sealed class Requests : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;
        private int _answered;
        private int _fellBack;

        public List<Exception> Failures { get; } = [];

        public int Answered => Volatile.Read(ref _answered);

        public int FellBack => Volatile.Read(ref _fellBack);

        public static Requests Start(Deployment deployment, int inputBytes, int loops = 1)
        {
            var requests = new Requests();
            var input = new byte[inputBytes];
            requests._loop = Task.WhenAll(Enumerable.Range(0, loops).Select(_ => Task.Run(async () =>
            {
                while (!requests._stop.IsCancellationRequested)
                {
                    try
                    {
                        var result = await deployment.InferAsync(input).WaitAsync(TimeSpan.FromSeconds(60));
                        if (result.FellBack) Interlocked.Increment(ref requests._fellBack);
                        Interlocked.Increment(ref requests._answered);
                    }
                    catch (Exception e)
                    {
                        lock (requests.Failures) requests.Failures.Add(e);
                    }
                }
            })));
            return requests;
        }

        public async Task UntilAsync(int answered)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(Settle.TotalSeconds * Stopwatch.Frequency);
            while (Answered < answered)
            {
                lock (Failures)
                {
                    if (Failures.Count > 0) throw new InvalidOperationException("a request failed", Failures[0]);
                }
                if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"{Answered} of {answered} requests answered in {Settle.TotalSeconds} s");
                await Task.Delay(20);
            }
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _loop;
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }
    }
}
