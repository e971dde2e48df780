using System.Diagnostics.Metrics;
using AdaMec.Client;
using AdaMec.Grains;
using AdaMec.Interfaces;
using AdaMec.Interfaces.Security;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// Two silos started with a cluster key (a fresh one per run, never committed), as adamec-silo
/// --cluster-key-file starts them: callers without the key, with a wrong key or out of their role are
/// refused and counted; the right credential deploys and infers across both silos (silo-to-silo calls
/// carry the silos' own signatures).
/// </summary>
public sealed class ClusterKeyTests(KeyedCluster fixture) : IClassFixture<KeyedCluster>
{
    private readonly KeyedCluster _fixture = fixture;
    private readonly ClusterCredential _key = fixture.Key;
    private DevCluster Cluster => _fixture.Cluster;

    private async Task<AdaMecClient> ConnectAsync(string deviceId, ClusterCredential? credential)
    {
        var options = new AdaMecClientOptions { DeviceId = deviceId, ClusterId = Cluster.ClusterId };
        options.Gateways.Add(Cluster.Gateways[^1]);
        if (credential is not null)
        {
            options.ClusterKeyFile = Path.Combine(_fixture.Root, Guid.NewGuid().ToString("N") + ".cred");
            credential.Save(options.ClusterKeyFile);
        }
        return await AdaMecClient.ConnectAsync(options);
    }

    [Fact]
    public async Task ClusterKey_NoCredential_EveryCallRefusedAndCounted()
    {
        await using var client = await ConnectAsync("phone-none", null);
        var before = _fixture.Refused;

        var error = await Assert.ThrowsAsync<AdaMecException>(() => client.Cluster.GetGrain<IDeviceGrain>("key-a").GetStatusAsync());
        Assert.Equal(AdaMecErrorCode.Unauthenticated, error.Code);
        Assert.Contains("no cluster credential", error.Message);
        var directory = await Assert.ThrowsAsync<AdaMecException>(() => client.Cluster.GetGrain<IDeploymentDirectoryGrain>(GrainKeys.Directory).ListAsync());
        Assert.Equal(AdaMecErrorCode.Unauthenticated, directory.Code);
        Assert.True(_fixture.Refused - before >= 2);
    }

    [Fact]
    public async Task ClusterKey_CredentialOfAnotherCluster_Refused()
    {
        await using var client = await ConnectAsync("ops", ClusterCredential.NewClusterKey().Derive(ClusterRole.Operator, "ops"));

        var error = await Assert.ThrowsAsync<AdaMecException>(() => client.Cluster.GetGrain<IDeviceGrain>("key-a").GetStatusAsync());

        Assert.Equal(AdaMecErrorCode.Unauthenticated, error.Code);
        Assert.Contains("does not verify", error.Message);
    }

    [Fact]
    public async Task ClusterKey_InitiatorSettingBudgets_RefusedAsOutOfRole()
    {
        await using var client = await ConnectAsync("phone-1", _key.Derive(ClusterRole.Initiator, "phone-1"));
        var device = client.Cluster.GetGrain<IDeviceGrain>("key-b");

        Assert.Equal("key-b", (await device.GetStatusAsync()).DeviceId); // initiators may read a device
        var error = await Assert.ThrowsAsync<AdaMecException>(() => device.SetBudgetsAsync(new DeviceBudgets(1, null)));
        Assert.Equal(AdaMecErrorCode.Forbidden, error.Code);
        Assert.Contains("initiator 'phone-1' may not call IDeviceGrain.SetBudgets", error.Message);
        var request = new DeploymentRequest("{}", new InitiatorInfo("phone-2", 1, null, null), 10_000, null!);
        var impersonating = await Assert.ThrowsAsync<AdaMecException>(() => client.Cluster.GetGrain<IPlannerGrain>("phone-2/model").DeployAsync(request));
        Assert.Equal(AdaMecErrorCode.Forbidden, impersonating.Code);
    }

    [Fact]
    public async Task ClusterKey_OperatorDeploying_RefusedButMaySetBudgets()
    {
        await using var client = await ConnectAsync("ops", _key.Derive(ClusterRole.Operator, "ops"));
        var request = new DeploymentRequest("{}", new InitiatorInfo("ops", 1, null, null), 10_000, null!);

        var error = await Assert.ThrowsAsync<AdaMecException>(() => client.Cluster.GetGrain<IPlannerGrain>("ops/model").DeployAsync(request));
        Assert.Equal(AdaMecErrorCode.Forbidden, error.Code);
        await client.Cluster.GetGrain<IDeviceGrain>("key-a").SetBudgetsAsync(new DeviceBudgets(null, null));
    }

    [Fact]
    public async Task ClusterKey_InitiatorCredential_DeploysInfersAcrossSilosAndIsAloneOnItsDeployment()
    {
        var (directory, manifest) = Models.Shared.Get("alexnet");
        await using var owner = await ConnectAsync("phone-own", _key.Derive(ClusterRole.Initiator, "phone-own"));
        await using var operatorClient = await ConnectAsync("ops", _key.Derive(ClusterRole.Operator, "ops"));
        using var deployment = await owner.DeployAsync(directory, 10_000, "phone-own/alexnet");
        var pin = Enumerable.Range(0, manifest.Atoms.Count).Select(i => i % 2 == 0 ? "key-a" : "key-b").ToArray();
        await operatorClient.Cluster.GetGrain<IPlannerGrain>(deployment.Id).PinAsync(pin); // pins are an operator's
        await deployment.WaitUntilSettledAsync(TimeSpan.FromSeconds(60));

        var input = Models.Input(manifest);
        var result = await deployment.InferAsync(input);
        Assert.Equal(pin, result.Assignment);
        Assert.True(Models.RelativeDifference(result.Output, Models.WholeModelOutput(manifest, input)) <= 1e-5);

        await using var other = await ConnectAsync("phone-other", _key.Derive(ClusterRole.Initiator, "phone-other"));
        var error = await Assert.ThrowsAsync<AdaMecException>(() => other.Cluster.GetGrain<IPlannerGrain>(deployment.Id).SetLatencyRequirementAsync(5));
        Assert.Equal(AdaMecErrorCode.Forbidden, error.Code);
        Assert.Contains("belongs to initiator 'phone-own'", error.Message);
    }
}

/// <summary>Two silos sharing a fresh cluster key, and a count of refusals (the adamec.calls.refused counter).</summary>
public sealed class KeyedCluster : IAsyncLifetime, IDisposable
{
    private readonly MeterListener _listener = new();
    private long _refused;

    public string Root { get; } = Directory.CreateTempSubdirectory("adamec-clusterkey-").FullName;

    public ClusterCredential Key { get; } = ClusterCredential.NewClusterKey();

    public DevCluster Cluster { get; private set; } = null!;

    public long Refused => Interlocked.Read(ref _refused);

    public async Task InitializeAsync()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == AdaMecTelemetry.Name && instrument.Name == "adamec.calls.refused") listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _refused, value));
        _listener.Start();
        var keyFile = Path.Combine(Root, "cluster.key");
        Key.Save(keyFile);
        var settings = new Dictionary<string, string?> { ["Security:ClusterKeyFile"] = keyFile };
        Cluster = await DevCluster.StartAsync([new DevSilo("key-a", settings), new DevSilo("key-b", settings)], Path.Combine(Root, "cache"),
            "clusterkey-" + Guid.NewGuid().ToString("N")[..8]);
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Dispose();
    }

    public void Dispose()
    {
        _listener.Dispose();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Key files a silo or client is given: wrong kinds are refused before anything starts.</summary>
public sealed class ClusterKeyFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("adamec-keyfile-").FullName;

    [Fact]
    public async Task Silo_StartedWithAnInitiatorCredential_RefusedAtBuild()
    {
        var file = Path.Combine(_root, "phone.cred");
        ClusterCredential.NewClusterKey().Derive(ClusterRole.Initiator, "phone").Save(file);

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            DevCluster.StartAsync([new DevSilo("solo", new Dictionary<string, string?> { ["Security:ClusterKeyFile"] = file })], Path.Combine(_root, "cache")));

        Assert.Contains("Security:ClusterKeyFile", error.Message);
        Assert.Contains("role initiator", error.Message);
    }

    [Fact]
    public async Task Client_InitiatorCredentialOfAnotherDevice_RefusedBeforeConnecting()
    {
        var file = Path.Combine(_root, "phone.cred");
        ClusterCredential.NewClusterKey().Derive(ClusterRole.Initiator, "phone-a").Save(file);
        var options = new AdaMecClientOptions { DeviceId = "phone-b", ClusterKeyFile = file };
        options.Gateways.Add("127.0.0.1:1");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => AdaMecClient.ConnectAsync(options));

        Assert.Contains("DeviceId 'phone-b'", error.Message);
    }

    [Fact]
    public void Credential_TamperedFile_ErrorNamesTheField()
    {
        var file = Path.Combine(_root, "bad.cred");
        File.WriteAllText(file, """{ "format": "adamec-cluster-credential/1", "role": "admin", "name": "x", "key": "AAAA" }""");

        var error = Assert.Throws<InvalidDataException>(() => ClusterCredential.Load(file));

        Assert.Contains("field 'role'", error.Message);
    }

    [Fact]
    public void Credential_FieldGivenTwice_InvalidDataNamingTheField()
    {
        // Found by `adamec bench fuzz`: a JsonObject with a repeated name threw ArgumentException on first access.
        var json = """{ "format": "adamec-cluster-credential/1", "role": "silo", "role": "operator", "name": "x", "key": "AAAA" }""";

        var error = Assert.Throws<InvalidDataException>(() => ClusterCredential.Parse(json, "twice.cred"));

        Assert.Contains("twice.cred", error.Message);
        Assert.Contains("role", error.Message);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
