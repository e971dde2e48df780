using AdaMec.Bench.Fuzz;
using AdaMec.Client;
using AdaMec.Grains;
using AdaMec.Interfaces;
using Microsoft.Extensions.DependencyInjection;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// What the app takes from the cluster (plans, segment results) is checked before it is used, and a
/// device grain refuses an admission with negative or absurd byte counts: each with an error naming
/// the field.
/// </summary>
[Collection(SharedCluster.Name)]
public sealed class ClusterInputTests(ThreeSiloCluster fixture) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("adamec-input-").FullName;

    [Fact]
    public async Task Deployment_BadPlanNotificationsAndDeliveries_RefusedByFieldAndRequestsStillAnswer()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        await using var client = fixture.Client();
        using var deployment = await client.DeployAsync(directory, 10_000, "input-" + Guid.NewGuid().ToString("N")[..6]);
        var callback = (IInitiatorCallback)deployment;
        var before = deployment.Plan;

        var shortPlan = before with { Version = before.Version + 100, Assignment = before.Assignment.Skip(1).ToArray() };
        var error = await Assert.ThrowsAsync<AdaMecException>(() => callback.PlanChangedAsync(shortPlan));
        Assert.Contains($"assignment: {manifest.Atoms.Count - 1} devices for {manifest.Atoms.Count} atoms", error.Message, StringComparison.Ordinal);
        var foreign = before with { Version = before.Version + 100, Initiator = "someone-else" };
        Assert.Contains("initiator:", (await Assert.ThrowsAsync<AdaMecException>(() => callback.PlanChangedAsync(foreign))).Message, StringComparison.Ordinal);
        var blank = before with { Version = before.Version + 100, Assignment = before.Assignment.Select((d, i) => i == 2 ? " " : d).ToArray() };
        Assert.Contains("assignment[2]:", (await Assert.ThrowsAsync<AdaMecException>(() => callback.PlanChangedAsync(blank))).Message, StringComparison.Ordinal);
        // None was adopted (the planner's own plan changes may arrive meanwhile; they are whole and this app's).
        Assert.Equal(manifest.Atoms.Count, deployment.Plan.Assignment.Count);
        Assert.Equal(client.Options.DeviceId, deployment.Plan.Initiator);
        Assert.DoesNotContain(" ", deployment.Plan.Assignment);

        // Deliveries nobody waits for (or none at all) are dropped; the next request answers correctly.
        await callback.DeliverAsync(null!);
        await callback.DeliverAsync(new ForwardResult([1, 2, 3], 99, double.NaN, null!) { Segment = Guid.NewGuid() });
        var result = await deployment.InferAsync(AdaMec.Runtime.Atoms.TensorBytes.RandomPayload(manifest.InputShape, seed: 1));
        Assert.Equal(manifest.Atoms[^1].OutputBytes, result.Output.Length);
    }

    [Fact]
    public void Segment_ResultsThatCannotBeContinued_RefusedNamingTheField()
    {
        var (_, manifest) = Models.Shared.Get("alexnet");
        var n = manifest.Atoms.Count;
        var route = Enumerable.Repeat("edge1", n).ToArray();
        var whole = new ForwardResult(new byte[manifest.Atoms[^1].OutputBytes], n, 5, route) { FromDevice = "edge1" };

        Assert.Null(ClusterInputValidation.Segment(whole, 0, route, manifest));
        Assert.StartsWith("output:", ClusterInputValidation.Segment(whole with { Output = new byte[3] }, 0, route, manifest));
        Assert.StartsWith("nextAtomIndex:", ClusterInputValidation.Segment(whole with { NextAtomIndex = n + 1 }, 0, route, manifest));
        Assert.StartsWith("nextAtomIndex:", ClusterInputValidation.Segment(whole with { NextAtomIndex = -1 }, 0, route, manifest));
        Assert.StartsWith("devices:", ClusterInputValidation.Segment(whole with { Devices = route.Skip(1).ToArray() }, 0, route, manifest));
        Assert.StartsWith("devices[0]:", ClusterInputValidation.Segment(whole with { Devices = route.Select((d, i) => i == 0 ? "edge9" : d).ToArray() }, 0, route, manifest));
        Assert.StartsWith("failure:", ClusterInputValidation.Segment(whole with { NextAtomIndex = 0, Devices = [], Output = new byte[manifest.Atoms[0].InputBytes] }, 0, route, manifest));
        Assert.StartsWith("failure:", ClusterInputValidation.Segment(whole with { Failure = "x" }, 0, route, manifest));
        Assert.StartsWith("serverMs:", ClusterInputValidation.Segment(whole with { ServerMs = double.NaN }, 0, route, manifest));
    }

    [Fact]
    public async Task DeviceGrain_MutatedAdmissions_RefusedExactlyWhenTheValidationRefusesNamingTheField()
    {
        await using var cluster = await DevCluster.StartAsync([new DevSilo("edge1")], Path.Combine(_root, "cache"), "admit-" + Guid.NewGuid().ToString("N")[..8]);
        var device = cluster.Services("edge1").GetRequiredService<IGrainFactory>().GetGrain<IDeviceGrain>("edge1");
        var target = FuzzTargets.DeviceAdmission();
        var refused = 0;
        foreach (var fuzzCase in Mutations.Cases(target.SeedCount, 200, 21))
        {
            var input = (FuzzTargets.AdmitCase)target.Prepare(fuzzCase);
            if (ContextReportValidation.Admission(input.Key, "edge1", input.MemoryBytes, input.BytesReceived) is { } problem)
            {
                refused++;
                var error = await Assert.ThrowsAsync<AdaMecException>(() => device.AdmitAsync(input.Key, input.MemoryBytes, input.BytesReceived));
                Assert.Contains(problem, error.Message, StringComparison.Ordinal);
                Assert.Equal(AdaMecErrorCode.InvalidRequest, error.Code);
            }
            else
            {
                await device.AdmitAsync(input.Key, input.MemoryBytes, input.BytesReceived);
                await device.ReleaseAsync(input.Key);
            }
        }

        Assert.True(refused > 0, "no admission was refused");
        var status = await device.GetStatusAsync();
        Assert.Empty(status.ResidentAtoms);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
