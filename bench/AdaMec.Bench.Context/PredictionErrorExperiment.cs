using AdaMec.Interfaces;

namespace AdaMec.Bench.Context;

/// <summary>
/// Section "prediction": whole-model prediction against the measured chain time on one real silo in a
/// cgroup cpu quota, at the whole machine and at half of it. The whole model is pinned on the silo;
/// requests run one after another. Per quota: the planner's prediction for the plan before any pass
/// ran under that quota (from the quota alone, or the last measurement scaled by it), its prediction
/// once the device has timed passes under it, and the median request latency measured meanwhile.
/// </summary>
internal sealed class PredictionErrorExperiment : IContextBenchExperiment
{
    private const string Edge = "edge";
    private const int WarmUpRequests = 30;

    public string Name => "prediction";

    public async Task<ContextBenchSection> RunAsync(ContextBenchSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        const string title = "whole-model prediction error per CPU quota (ResNet-18 on one real silo, cgroup v1 cpu.cfs_quota_us)";
        string[] columns = ["quotaCores", "requests", "measuredMedianMs", "predictedBeforeMs", "errorBeforePercent", "speedSourceBefore", "predictedMs", "errorPercent", "within15", "speed", "speedPasses"];
        if (CgroupV1.WhyNot() is { } why) return new ContextBenchSection(Name, title, columns, []) { Skipped = why };
        var full = (double)Environment.ProcessorCount;
        await using var cluster = await CgroupCluster.StartAsync(settings, [Edge], full, log, cancellationToken);
        var client = cluster.Client;
        var id = "pred-" + Guid.NewGuid().ToString("N")[..6];
        using var deployment = await client.DeployAsync(cluster.ModelDirectory, 100_000, id, cancellationToken);
        var planner = client.Cluster.GetGrain<IPlannerGrain>(id);
        var device = client.Cluster.GetGrain<IDeviceGrain>(Edge);
        await deployment.PinAsync(Enumerable.Repeat(Edge, cluster.PredictedMs.Count).ToArray());
        await deployment.WaitForAsync(s => !s.Migrating && s.Live.Assignment.All(d => d == Edge), CgroupCluster.Settle, cancellationToken);
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        await using (var requests = RequestLoop.Start(deployment, cluster.InputBytes))
        {
            // Warm-up, not part of either quota's window: the first passes load and tune kernels, and the
            // first quota change runs code (the device's re-read, its signal, the re-plan) the JIT then
            // tiers up on a background thread that, under the halved quota, takes the inference thread's
            // CPU for a second or two. Both quotas once, so each measurement sees the device as it runs on.
            await requests.UntilAsync(10, cancellationToken);
            foreach (var cores in new[] { full / 2, full })
            {
                cluster[Edge].Cpu.SetQuota(cores);
                await cluster.UntilAsync(async () => await device.GetStatusAsync() is { } s && Math.Abs(s.CpuQuotaCores - cores) < 0.01 ? s : null, $"{Edge} to read its {cores} core quota", cancellationToken);
                await requests.UntilAsync(requests.Answered + WarmUpRequests, cancellationToken);
            }
            foreach (var cores in new[] { full, full / 2 })
            {
                cluster[Edge].Cpu.SetQuota(cores);
                // The device reads its quota each second: the plan's prediction then, before any pass ran under it.
                var before = await cluster.UntilAsync(async () => await device.GetStatusAsync() is { } s && Math.Abs(s.CpuQuotaCores - cores) < 0.01 ? s : null, $"{Edge} to read its {cores} core quota", cancellationToken);
                var predictedBefore = (await planner.ReplanAsync($"bench: quota {cores:0.##} cores")).PredictedLatencyMs;
                var start = requests.Answered;
                // Passes timed under the quota: the device's window holds 15.
                await cluster.UntilAsync(async () => await device.GetStatusAsync() is { SpeedSource: "measured", SpeedSamples: >= 15 } s && requests.Answered >= start + 3 ? s : null, $"{Edge} to time passes at {cores} cores", cancellationToken);
                var measuredFrom = requests.Answered;
                await requests.UntilAsync(measuredFrom + settings.Repeats * 4, cancellationToken);
                var after = await device.GetStatusAsync();
                var predicted = (await planner.ReplanAsync($"bench: quota {cores:0.##} cores, measured")).PredictedLatencyMs;
                var latencies = requests.LatenciesSince(measuredFrom).Order().ToArray();
                var median = latencies[latencies.Length / 2];
                var error = (predicted / median - 1) * 100;
                log.WriteLine($"prediction: {cores} cores: measured median {median:0.0} ms over {latencies.Length} requests; predicted {predictedBefore:0.0} ms before ({before.SpeedSource}), {predicted:0.0} ms after ({after.Speed:0.00}x, {after.SpeedSamples} passes)");
                rows.Add(new Dictionary<string, object?>
                {
                    ["quotaCores"] = cores,
                    ["requests"] = latencies.Length,
                    ["measuredMedianMs"] = Math.Round(median, 1),
                    ["predictedBeforeMs"] = Math.Round(predictedBefore, 1),
                    ["errorBeforePercent"] = Math.Round((predictedBefore / median - 1) * 100, 1),
                    ["speedSourceBefore"] = before.SpeedSource,
                    ["predictedMs"] = Math.Round(predicted, 1),
                    ["errorPercent"] = Math.Round(error, 1),
                    ["within15"] = Math.Abs(error) <= 15 ? "yes" : "no",
                    ["speed"] = Math.Round(after.Speed, 2),
                    ["speedPasses"] = after.SpeedSamples,
                });
            }
            if (requests.Failures.Count > 0) throw new InvalidOperationException("a request failed", requests.Failures[0]);
        }
        return new ContextBenchSection(Name, title, columns, rows)
        {
            Notes =
            [
                $"Not emulation: the silo process runs in a cgroup v1 cpu group of its own, quota {full:0.##} cores then {full / 2:0.##} (cfs_period_us 100000); no declared speed factor.",
                "predicted*: the planner's latency for the pinned plan (every atom on the silo, input and output over the measured loopback link), from a re-plan asked for at that moment; measured: end-to-end request latency at the client, median.",
                "Before: right after the device read the new quota, before any pass ran under it (speed from the quota alone, or the last measurement scaled by the change in usable cores). After: once the device has timed 15 passes under it.",
                "The machine is shared (other processes' load moves the measurement); the error is what this run saw, not a bound.",
            ],
        };
    }
}
