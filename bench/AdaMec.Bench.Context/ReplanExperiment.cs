using System.Globalization;
using AdaMec.Client;
using AdaMec.Interfaces;

namespace AdaMec.Bench.Context;

/// <summary>
/// Section "replan": per kind of change, the delay from the change to the planner's decision (the plan
/// record's time) and the time-to-benefit the planner recorded (from the change to the first request
/// served by the new plan), on two real silos in cgroups with requests running throughout. Changes: a
/// declared bandwidth collapse of the phone's links, a halved CPU quota on the edge holding most atoms,
/// and a memory cgroup limit lowered under what that edge's resident atoms need.
/// </summary>
internal sealed class ReplanExperiment : IContextBenchExperiment
{
    private const long MiB = 1024 * 1024;
    private static readonly string[] Edges = ["edge-a", "edge-b"];

    public string Name => "replan";

    public async Task<ContextBenchSection> RunAsync(ContextBenchSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        const string title = "re-plan trigger delay and time-to-benefit per kind of change (ResNet-18, two real silos in cgroups, requests throughout)";
        string[] columns = ["change", "triggerDelayMs", "timeToBenefitMs", "atomsSwitched", "mbMoved", "medianAtomSwitchedMs", "medianAtomServedMs", "trigger"];
        if (CgroupV1.WhyNot() is { } why) return new ContextBenchSection(Name, title, columns, []) { Skipped = why };
        await using var cluster = await CgroupCluster.StartAsync(settings, Edges, 1, log, cancellationToken);
        var client = cluster.Client;
        var id = "replan-" + Guid.NewGuid().ToString("N")[..6];
        using var deployment = await client.DeployAsync(cluster.ModelDirectory, 100_000, id, cancellationToken);
        await deployment.WaitForAsync(s => Settled(s) && s.Live.Assignment.Any(Edges.Contains), CgroupCluster.Settle, cancellationToken);
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        await using (var requests = RequestLoop.Start(deployment, cluster.InputBytes))
        {
            await requests.UntilAsync(5, cancellationToken);
            // The edges the plan uses time their speed from the requests' passes (an unused edge has nothing to time).
            foreach (var edge in (await deployment.GetStatusAsync()).Live.Assignment.Where(Edges.Contains).Distinct())
                await cluster.UntilAsync(async () => await client.Cluster.GetGrain<IDeviceGrain>(edge).GetStatusAsync() is { SpeedSource: not "prior" } s ? s : null, $"{edge} to time its speed", cancellationToken);

            // 1. Declared bandwidth: the phone's links collapse (declared), the model goes back to the phone.
            var links = Edges.SelectMany(e => new[] { GrainKeys.Link("phone", e), GrainKeys.Link(e, "phone") }).Select(k => client.Cluster.GetGrain<ILinkGrain>(k)).ToArray();
            rows.Add(await MeasureAsync("declared bandwidth 0.001 Mbps", async () =>
            {
                foreach (var link in links) await link.DeclareAsync(0.001, 500);
            }, r => r.Trigger.StartsWith("context: link", StringComparison.Ordinal) || r.NewPlan.All(d => d == "phone")));
            foreach (var link in links) await link.ClearDeclarationAsync();
            await client.Cluster.GetGrain<IPlannerGrain>(id).ReplanAsync("bench: links measured again");
            await deployment.WaitForAsync(s => Settled(s) && s.Live.Assignment.Any(Edges.Contains), CgroupCluster.Settle, cancellationToken);
            await requests.UntilAsync(requests.Answered + 5, cancellationToken);

            // 2. CPU quota: the edge holding most atoms gets half a core.
            var live = (await deployment.GetStatusAsync()).Live.Assignment;
            var busy = Edges.MaxBy(e => live.Count(d => d == e))!;
            var onBusy = live.Count(d => d == busy);
            rows.Add(await MeasureAsync($"CPU quota of {busy} 1 -> 0.5 cores", () =>
            {
                cluster[busy].Cpu.SetQuota(0.5);
                return Task.CompletedTask;
            }, r => r.NewPlan.Count(d => d == busy) < onBusy));
            await deployment.WaitForAsync(Settled, CgroupCluster.Settle, cancellationToken);
            await requests.UntilAsync(requests.Answered + 5, cancellationToken);

            // 3. Memory limit: the edge holding most resident atoms gets less room than they need.
            var statuses = new Dictionary<string, DeviceStatus>();
            foreach (var edge in Edges) statuses[edge] = await client.Cluster.GetGrain<IDeviceGrain>(edge).GetStatusAsync();
            var full = statuses.MaxBy(p => p.Value.ResidentBytes);
            if (full.Value.ResidentAtoms.Count > 0)
            {
                var memory = cluster[full.Key].Memory;
                rows.Add(await MeasureAsync($"memory limit of {full.Key} under its {full.Value.ResidentBytes / MiB} MiB of atoms", () =>
                {
                    // As tests/Cli/CgroupContextTests: just over the working set (usage less unmapped file cache), half the floor free.
                    var working = memory.ReadLong("memory.usage_in_bytes") - memory.Stat("total_cache") + memory.Stat("total_mapped_file");
                    Lower(memory, working + full.Value.MemoryFloorBytes / 2);
                    return Task.CompletedTask;
                }, r => r.Trigger.Contains("evict", StringComparison.Ordinal) || r.Trigger.Contains("memory", StringComparison.Ordinal)));
            }
            else
            {
                log.WriteLine("replan: no edge holds atoms after the CPU step; memory change not measured");
            }
            if (requests.Failures.Count > 0) log.WriteLine($"replan: {requests.Failures.Count} request(s) failed, first: {requests.Failures[0].Message}");
        }
        return new ContextBenchSection(Name, title, columns, rows)
        {
            Notes =
            [
                "Not emulation for the edges: each silo runs in cgroup v1 cpu and memory groups of its own (1 core each); the phone (this process) is EMULATED 50x slower so the planner offloads.",
                "triggerDelayMs: from just before the change was made (declaration sent, cgroup file written) to the decision's time in the plan history; devices sample their resources every second.",
                "timeToBenefitMs: the planner's own figure (PlanRecord.TimeToBenefitMs): from the change as the device observed it (else its arrival) to the first request served by the new plan once wholly live. Per atom: median time to its switch and to the first request with it.",
                "One run per change on a shared 2-core machine; '-' where the planner recorded no value within the wait (90 s).",
            ],
        };

        async Task<IReadOnlyDictionary<string, object?>> MeasureAsync(string change, Func<Task> act, Func<PlanRecord, bool> answers)
        {
            var seen = (await deployment.GetHistoryAsync()).Select(r => r.Sequence).DefaultIfEmpty(0).Max();
            var at = DateTimeOffset.UtcNow;
            await act();
            PlanRecord? record;
            try
            {
                record = await cluster.UntilAsync(async () => (await deployment.GetHistoryAsync()).FirstOrDefault(r => r.Sequence > seen && answers(r)), $"a re-plan for: {change}", cancellationToken);
                // Requests keep running: the first one on the new plan times its benefit.
                record = await cluster.UntilAsync(async () => (await deployment.GetHistoryAsync()).FirstOrDefault(r => r.Sequence == record.Sequence && (r.TimeToBenefitMs is not null || (r.AtomsSwitched == 0 && r.Completed))), $"the first request on the plan for: {change}", cancellationToken);
            }
            catch (TimeoutException e)
            {
                log.WriteLine($"replan: {change}: {e.Message}");
                record = (await deployment.GetHistoryAsync()).FirstOrDefault(r => r.Sequence > seen && answers(r));
            }
            var delay = record is null ? (double?)null : Math.Round((record.At - at).TotalMilliseconds);
            log.WriteLine($"replan: {change}: {(record is null ? "no re-plan" : $"decided after {delay} ms ({record.Trigger}), {record.AtomsSwitched} atoms switched, time-to-benefit {record.TimeToBenefitMs?.ToString("0", CultureInfo.InvariantCulture) ?? "-"} ms")}");
            return new Dictionary<string, object?>
            {
                ["change"] = change,
                ["triggerDelayMs"] = delay,
                ["timeToBenefitMs"] = record?.TimeToBenefitMs is { } ttb ? Math.Round(ttb) : null,
                ["atomsSwitched"] = record?.AtomsSwitched,
                ["mbMoved"] = record is null ? null : Math.Round(record.BytesMoved / 1e6, 1),
                ["medianAtomSwitchedMs"] = Median(record?.Switches.Select(s => s.SwitchedMs)),
                ["medianAtomServedMs"] = Median(record?.Switches.Where(s => s.ServedMs is not null).Select(s => s.ServedMs!.Value)),
                ["trigger"] = record?.Trigger is { } t && t.Length > 70 ? t[..70] + "…" : record?.Trigger,
            };
        }
    }

    private static bool Settled(PlannerStatus s) => !s.Migrating && s.Live.Assignment.SequenceEqual(s.Target);

    private static double? Median(IEnumerable<double>? values)
    {
        var sorted = values?.Order().ToArray() ?? [];
        return sorted.Length == 0 ? null : Math.Round(sorted[sorted.Length / 2]);
    }

    private static void Lower(CgroupV1 memory, long limit)
    {
        // Page-aligned; the kernel may still refuse (EBUSY) while it cannot reclaim enough: leave more room.
        for (var attempt = 0; ; attempt++)
        {
            var value = (limit + attempt * 8 * MiB + 4095) / 4096 * 4096;
            try
            {
                memory.Write("memory.limit_in_bytes", value.ToString(CultureInfo.InvariantCulture));
                return;
            }
            catch (IOException) when (attempt < 20)
            {
            }
        }
    }
}
