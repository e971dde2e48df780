using AdaMec.Core.Atoms;
using AdaMec.Core.Serialization;
using AdaMec.Interfaces;
using Xunit.Abstractions;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// Devices predict each atom under the memory they have (the manifest's f_mem, formula 6) and the
/// planner plans with those figures. edge3's memory is squeezed through cgroup-shaped files.
/// </summary>
public sealed class AtomLatencyReportTests(MemoryPressureCluster fixture, ITestOutputHelper output) : IClassFixture<MemoryPressureCluster>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task LowerAvailableMemory_DeviceWithFmemManifest_RaisesThePerAtomPredictionThePlannerUses()
    {
        const string phone = "phone-fmem";
        var (source, manifest) = Models.Shared.Get("alexnet");
        var directory = WithMemoryModel(source, manifest);
        try
        {
            await Link(phone, "edge3").DeclareAsync(1000, 0.5);
            await Link("edge3", phone).DeclareAsync(1000, 0.5);
            await using var client = fixture.Client(o => o.DeviceId = phone);
            using var deployment = await client.DeployAsync(directory, 100_000, "fmem-" + Guid.NewGuid().ToString("N")[..6]);
            var onEdge3 = Enumerable.Repeat("edge3", manifest.Atoms.Count).ToArray();
            await deployment.PinAsync(onEdge3);
            await deployment.WaitForAsync(s => !s.Migrating && s.Live.Assignment.SequenceEqual(onEdge3), Settle);

            var ample = await PlannedAsync(deployment.Id, "ample memory");
            // The initiator predicts its own atoms the same way (its memory is this machine's).
            var mine = Assert.Single((await deployment.GetStatusAsync()).AtomLatencies, r => r.Device == phone);
            Assert.Equal(("f_mem", manifest.Atoms.Count), (mine.Basis, mine.AtomMs.Count));
            fixture.FakeCgroup.Set(limitBytes: 8L << 30, usageBytes: (8L << 30) - (500L << 20)); // 500 MiB free: above the eviction floor
            var edge3 = fixture.Grains.GetGrain<IDeviceGrain>("edge3");
            var deadline = DateTime.UtcNow + Settle;
            while ((await edge3.GetStatusAsync()).AvailableMemoryBytes > 600L << 20 && DateTime.UtcNow < deadline) await Task.Delay(50);
            var squeezed = await PlannedAsync(deployment.Id, "squeezed memory");

            var before = ample.Report;
            var after = squeezed.Report;
            output.WriteLine($"edge3 at {before.AvailableMemoryBytes >> 20} MiB: [{string.Join(" ", before.AtomMs.Select(ms => ms.ToString("0.00")))}] ms, plan {ample.PredictedMs:0.0} ms; "
                + $"at {after.AvailableMemoryBytes >> 20} MiB: [{string.Join(" ", after.AtomMs.Select(ms => ms.ToString("0.00")))}] ms, plan {squeezed.PredictedMs:0.0} ms");
            Assert.Equal("f_mem", before.Basis);
            Assert.Equal("f_mem", after.Basis);
            Assert.Equal(1, after.ProfiledThreads);
            Assert.True(after.Threads > 0);
            // Formula 6 per atom: the hand-made network slows operators by e^(0.5·(9 − ln MB)), about x1.04 at
            // ~7 GiB and x3.9 at 500 MiB. Per unit of speed, so a speed re-measured meanwhile cannot hide it.
            for (var i = 0; i < manifest.Atoms.Count; i++)
                Assert.True(after.AtomMs[i] / after.Speed > 2 * before.AtomMs[i] / before.Speed, $"atom {i}: {before.AtomMs[i]:0.00} -> {after.AtomMs[i]:0.00} ms");
            // The pinned plan's predicted latency is the atoms' sum plus two transfers: it rose with them.
            Assert.True(squeezed.PredictedMs > ample.PredictedMs + 0.5 * (after.AtomMs.Sum() - before.AtomMs.Sum() * after.Speed / before.Speed),
                $"plan {ample.PredictedMs:0.0} -> {squeezed.PredictedMs:0.0} ms");
        }
        finally
        {
            fixture.FakeCgroup.Set(limitBytes: 8L << 30, usageBytes: 1L << 30);
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Re-plans now; the plan's predicted latency and edge3's per-atom report it was made with.</summary>
    private async Task<(double PredictedMs, AtomLatencyReport Report)> PlannedAsync(string deployment, string why)
    {
        var planner = fixture.Grains.GetGrain<IPlannerGrain>(deployment);
        var record = await planner.ReplanAsync($"test: {why}");
        var status = await planner.GetStatusAsync();
        return (record.PredictedLatencyMs, Assert.Single(status.AtomLatencies, r => r.Device == "edge3"));
    }

    /// <summary>
    /// The model's atoms with a memory model in the manifest (weight files linked, not copied): one
    /// feature per operator and a network whose only live input is log(budget MB).
    /// </summary>
    private static string WithMemoryModel(string source, AtomManifest manifest)
    {
        var directory = Path.Combine(Path.GetTempPath(), "adamec-fmem-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(source).Where(f => Path.GetFileName(f) != AtomManifest.FileName))
            File.CreateSymbolicLink(Path.Combine(directory, Path.GetFileName(file)), file);
        var network = new MemoryCorrectionWeights(1, [0, 0, 0, 0], [1, 1, 1, 1], 0, 2, [0, -1, 0, 0], [9], [0.5f], 0, false);
        var withModel = manifest with
        {
            MemoryModel = new AtomMemoryModel
            {
                Network = network,
                ProfiledThreads = 1,
                Atoms = manifest.Atoms.Select(a => (IReadOnlyList<OperatorMemoryInputs>)a.Nodes
                    .Select(n => new OperatorMemoryInputs(a.PredictedMs / a.Nodes.Count, n.InputBytes + n.OutputBytes + n.ParameterBytes, [0f])).ToArray()).ToArray(),
            },
        };
        withModel.Validate();
        File.WriteAllText(Path.Combine(directory, AtomManifest.FileName), System.Text.Json.JsonSerializer.Serialize(withModel, AdaMecJson.Options));
        return directory;
    }

    private ILinkGrain Link(string from, string to) => fixture.Grains.GetGrain<ILinkGrain>(GrainKeys.Link(from, to));
}
