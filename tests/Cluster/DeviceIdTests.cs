using AdaMec.Grains;

namespace AdaMec.Cluster.Tests;

/// <summary>A device id names one board.</summary>
public sealed class DeviceIdTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("adamec-deviceid-").FullName;

    [Fact]
    public async Task Silo_JoiningWithTheIdOfAnActiveSilo_RefusedAtStart()
    {
        // adamec-silo reports an InvalidOperationException as one line and exit code 2.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DevCluster.StartAsync([new DevSilo("twin"), new DevSilo("twin")], _root, "deviceid-" + Guid.NewGuid().ToString("N")[..8]));

        Assert.Contains("device id 'twin' is already served by the active silo", error.Message);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
