using AdaMec.Interfaces;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace AdaMec.Cluster.Tests;

[Collection(SharedCluster.Name)]
public sealed class DistributedInferenceTests(ThreeSiloCluster fixture)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    /// <summary>Spreads atoms over the three edge devices round-robin, first atom on edge1.</summary>
    internal static string[] RoundRobin(int atoms) => Enumerable.Range(0, atoms).Select(i => ThreeSiloCluster.Devices[i % 3]).ToArray();

    [Fact]
    public async Task AtomGrain_PinnedPlan_ActivatesOnTheDeviceItsKeyNames()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        await using var client = fixture.Client();
        using var deployment = await client.DeployAsync(directory, 10_000, "placement-" + Guid.NewGuid().ToString("N")[..6]);
        var plan = RoundRobin(manifest.Atoms.Count);
        await deployment.PinAsync(plan);
        await deployment.WaitUntilSettledAsync(Settle);

        var silos = ThreeSiloCluster.Devices.ToDictionary(d => fixture.Cluster.Services(d).GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString());
        foreach (var device in ThreeSiloCluster.Devices)
        {
            var status = await fixture.Grains.GetGrain<IDeviceGrain>(device).GetStatusAsync();
            Assert.Equal(device, status.DeviceId);
            Assert.Equal(device, silos[status.Silo]);
            var expected = Enumerable.Range(0, plan.Length).Where(i => plan[i] == device).Select(i => GrainKeys.Atom(deployment.Id, i, device));
            Assert.Superset(expected.ToHashSet(), status.ResidentAtoms.ToHashSet());
        }
    }

    [Theory]
    [InlineData("alexnet")]
    [InlineData("resnet18")]
    [InlineData("mobilenet_v2")]
    [InlineData("googlenet")]
    [InlineData("tiny_yolo")]
    public async Task Inference_AtomsAcrossThreeSilos_EqualsWholeModelOnOneDevice(string model)
    {
        var (directory, manifest) = Models.Shared.Get(model);
        await using var client = fixture.Client();
        using var deployment = await client.DeployAsync(directory, 10_000, $"{model}-{Guid.NewGuid():N}"[..20]);
        await deployment.PinAsync(RoundRobin(manifest.Atoms.Count));
        await deployment.WaitUntilSettledAsync(Settle);

        var input = Models.Input(manifest);
        var result = await deployment.InferAsync(input);

        Assert.Equal(0, result.Retries);
        Assert.Equal(RoundRobin(manifest.Atoms.Count), result.Assignment);
        var relative = Models.RelativeDifference(result.Output, Models.WholeModelOutput(manifest, input));
        Assert.True(relative <= 1e-5, $"{model}: relative difference {relative}");
    }

    [Fact]
    public async Task Dispose_WhileRequestsRunLocally_EachFinishesOrFailsAsDisposedAndNothingCrashes()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        await using var client = fixture.Client();
        var deployment = await client.DeployAsync(directory, 10_000, "dispose-" + Guid.NewGuid().ToString("N")[..6]);
        await deployment.PinAsync(Enumerable.Repeat("mobile", manifest.Atoms.Count).ToArray());
        await deployment.WaitUntilSettledAsync(Settle);
        var input = Models.Input(manifest);
        var expected = Models.WholeModelOutput(manifest, input);
        var finished = 0;

        // Four loops keep the local atoms busy; the deployment is disposed under them.
        var loops = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var result = await deployment.InferAsync(input);
                Assert.True(Models.RelativeDifference(result.Output, expected) <= 1e-5);
                Interlocked.Increment(ref finished);
            }
        })).ToArray();
        while (Volatile.Read(ref finished) < 4) await Task.Delay(10);
        deployment.Dispose();

        foreach (var loop in loops) await Assert.ThrowsAsync<ObjectDisposedException>(() => loop);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => deployment.InferAsync(input));
    }
}
