using AdaMec.Client;
using AdaMec.Grains;
using AdaMec.Interfaces;
using AdaMec.Runtime.Execution;

namespace AdaMec.Cluster.Tests;

/// <summary>Two silos on different execution backends (edge-torch on TorchSharp, edge-onnx on ONNX Runtime), sharing one cluster.</summary>
public sealed class MixedBackendCluster : IAsyncLifetime
{
    public const string TorchDevice = "edge-torch";

    public const string OnnxDevice = "edge-onnx";

    private readonly string _cacheRoot = Path.Combine(Path.GetTempPath(), "adamec-mixed-tests-" + Guid.NewGuid().ToString("N")[..8]);
    private AdaMecClient _connection = null!;

    public DevCluster Cluster { get; private set; } = null!;

    public IClusterClient Grains => _connection.Cluster;

    public async Task InitializeAsync()
    {
        Cluster = await DevCluster.StartAsync(
        [
            new DevSilo(TorchDevice, new Dictionary<string, string?> { ["Device:Backend"] = ExecutionBackends.Torch }),
            new DevSilo(OnnxDevice, new Dictionary<string, string?> { ["Device:Backend"] = ExecutionBackends.Onnx }),
        ], _cacheRoot, "adamec-mixed-" + Guid.NewGuid().ToString("N")[..8]);
        _connection = await Cluster.ConnectClientAsync("phone", o => o.Backend = ExecutionBackends.Onnx);
    }

    /// <summary>An initiator on ONNX Runtime over the fixture's connection.</summary>
    public AdaMecClient Client() =>
        AdaMecClient.Attach(Grains, new AdaMecClientOptions { DeviceId = "phone", Backend = ExecutionBackends.Onnx }, _connection.MaxMessageBodySize);

    public async Task DisposeAsync()
    {
        try
        {
            if (_connection is not null) await _connection.DisposeAsync();
        }
        finally
        {
            if (Cluster is not null) await Cluster.DisposeAsync();
            if (Directory.Exists(_cacheRoot)) Directory.Delete(_cacheRoot, recursive: true);
        }
    }
}

public sealed class MixedBackendTests(MixedBackendCluster fixture) : IClassFixture<MixedBackendCluster>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    /// <summary>Atoms round-robin over the TorchSharp silo, the ONNX Runtime silo and the phone (ONNX Runtime).</summary>
    private static string[] Spread(int atoms) =>
        Enumerable.Range(0, atoms).Select(i => (i % 3) switch { 0 => MixedBackendCluster.TorchDevice, 1 => MixedBackendCluster.OnnxDevice, _ => "phone" }).ToArray();

    [Fact]
    public async Task DeviceStatus_EachSilo_ReportsTheBackendItRunsAtomsOn()
    {
        var torch = await fixture.Grains.GetGrain<IDeviceGrain>(MixedBackendCluster.TorchDevice).GetStatusAsync();
        var onnx = await fixture.Grains.GetGrain<IDeviceGrain>(MixedBackendCluster.OnnxDevice).GetStatusAsync();

        Assert.Equal(ExecutionBackends.Torch, torch.Backend);
        Assert.Equal(ExecutionBackends.Onnx, onnx.Backend);
        await using var client = fixture.Client();
        Assert.Equal(ExecutionBackends.Onnx, client.Backend.Name);
    }

    [Theory]
    [InlineData("alexnet")]
    [InlineData("vgg16")]
    [InlineData("resnet18")]
    [InlineData("googlenet")]
    [InlineData("mobilenet_v2")]
    [InlineData("tiny_yolo")]
    public async Task Inference_TorchSiloOnnxSiloOnnxPhone_EqualsTheLocalTorchSharpModelWithinOneInTenThousand(string model)
    {
        var (directory, manifest) = Models.Shared.Get(model, onnx: true);
        await using var client = fixture.Client();
        using var deployment = await client.DeployAsync(directory, 10_000, $"mixed-{model}-{Guid.NewGuid():N}"[..24]);
        var plan = Spread(manifest.Atoms.Count);
        await deployment.PinAsync(plan);
        await deployment.WaitUntilSettledAsync(Settle);

        var input = Models.Input(manifest);
        var result = await deployment.InferAsync(input);

        Assert.Equal(0, result.Retries);
        Assert.Equal(plan, result.Assignment);
        var relative = Models.RelativeDifference(result.Output, Models.WholeModelOutput(manifest, input));
        Assert.True(relative <= 1e-4, $"{model}: relative difference {relative}");
    }
}
