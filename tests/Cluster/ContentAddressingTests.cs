using AdaMec.Client;
using AdaMec.Core.Partitioning;
using AdaMec.Runtime.Atoms;

namespace AdaMec.Cluster.Tests;

/// <summary>Atom activations are bound to their weights' content; deployment ids are per initiator.</summary>
[Collection(SharedCluster.Name)]
public sealed class ContentAddressingTests(ThreeSiloCluster fixture)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Redeploy_RepartitionedWithOtherWeightsUnderTheSameId_ReturnsTheNewModelsOutput()
    {
        var folder = Path.Combine(Path.GetTempPath(), "adamec-redeploy-" + Guid.NewGuid().ToString("N")[..8], "alexnet");
        try
        {
            var id = "redeploy-" + Guid.NewGuid().ToString("N")[..6];
            await using var client = fixture.Client();
            var manifest = ModelPartitioning.Partition("alexnet", folder, new FlopsLatencyModel(), seed: 101, onnx: false);
            var plan = DistributedInferenceTests.RoundRobin(manifest.Atoms.Count);
            var input = Models.Input(manifest);
            byte[] oldOutput;
            using (var first = await client.DeployAsync(folder, 10_000, id))
            {
                await first.PinAsync(plan);
                await first.WaitUntilSettledAsync(Settle);
                var before = await first.InferAsync(input);
                Assert.Equal(plan, before.Assignment);
                oldOutput = before.Output;
            }

            Directory.Delete(folder, recursive: true);
            var repartitioned = ModelPartitioning.Partition("alexnet", folder, new FlopsLatencyModel(), seed: 202, onnx: false);
            Assert.Equal(manifest.Atoms.Count, repartitioned.Atoms.Count);
            Assert.NotEqual(manifest.Atoms[0].Sha256, repartitioned.Atoms[0].Sha256);
            using var second = await client.DeployAsync(folder, 10_000, id);
            await second.PinAsync(plan);
            await second.WaitUntilSettledAsync(Settle);
            var after = await second.InferAsync(input);

            using var chain = AtomChain.Load(folder);
            var expected = chain.Run(input);
            Assert.Equal(plan, after.Assignment);
            Assert.False(after.RanLocallyAfterFailure);
            var relative = Models.RelativeDifference(after.Output, expected);
            Assert.True(relative <= 1e-4, $"the redeployed model's output differs from its local chain by {relative}");
            Assert.True(Models.RelativeDifference(oldOutput, expected) > 1e-2, "the two seeds gave the same output: the test proves nothing");
        }
        finally
        {
            var root = Path.GetDirectoryName(folder)!;
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Deploy_TwoInitiatorsSameFolder_TwoDeploymentsBothAnswerCorrectly()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        await using var phoneA = fixture.Client(o => o.DeviceId = AdaMecClientOptions.NewDeviceId());
        await using var phoneB = fixture.Client(o => o.DeviceId = AdaMecClientOptions.NewDeviceId());
        using var a = await phoneA.DeployAsync(directory, 10_000);
        using var b = await phoneB.DeployAsync(directory, 10_000);
        Assert.NotEqual(a.Id, b.Id);
        var plan = DistributedInferenceTests.RoundRobin(manifest.Atoms.Count);
        await a.PinAsync(plan);
        await b.PinAsync(plan.Reverse().ToArray());
        await a.WaitUntilSettledAsync(Settle);
        await b.WaitUntilSettledAsync(Settle);

        var input = Models.Input(manifest);
        var expected = Models.WholeModelOutput(manifest, input);
        var (fromA, fromB) = (await a.InferAsync(input), await b.InferAsync(input));

        Assert.Equal(phoneA.Options.DeviceId, (await a.GetStatusAsync()).Live.Initiator);
        Assert.Equal(phoneB.Options.DeviceId, (await b.GetStatusAsync()).Live.Initiator);
        Assert.Equal(plan, fromA.Assignment);
        Assert.Equal(plan.Reverse(), fromB.Assignment);
        Assert.True(Models.RelativeDifference(fromA.Output, expected) <= 1e-5);
        Assert.True(Models.RelativeDifference(fromB.Output, expected) <= 1e-5);
    }

    [Fact]
    public void DeviceId_Default_DiffersPerOptionsObject()
    {
        var (first, second) = (new AdaMecClientOptions().DeviceId, new AdaMecClientOptions().DeviceId);

        Assert.NotEqual(first, second);
        Assert.Matches("^mobile-[0-9a-f]{8}$", first);
    }
}
