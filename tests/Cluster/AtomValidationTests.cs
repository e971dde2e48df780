using System.Text.Json;
using AdaMec.Core.Atoms;
using AdaMec.Core.Graph;
using AdaMec.Core.Serialization;
using AdaMec.Grains;
using AdaMec.Interfaces;
using Microsoft.Extensions.DependencyInjection;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// Validation where requests enter an atom grain: a load request whose spec asks for more than the
/// configured limits is refused with an error naming the field, before any weights are pulled or
/// allocated, and nothing becomes resident or cached; a forward request meant for another atom,
/// route or tensor size is refused naming the field.
/// </summary>
public sealed class AtomValidationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("adamec-validation-").FullName;
    private static readonly TensorShape Shape = new(1, 4);

    private static AtomSpec Spec(int index) => new()
    {
        Id = $"toy.a{index}", Index = index, Operators = ["relu"], Flops = 4, Macs = 0, WeightBytes = 0, MemoryBytes = 64,
        InputShape = Shape, InputBytes = 16, OutputShape = Shape, OutputBytes = 16, PredictedMs = 0.1,
        Sha256 = new string('a', 64), File = $"a{index:00}.amw", FileBytes = 32,
        Nodes = [new OperatorNode(index, "relu", OperatorKind.ReLU, [OperatorNode.GraphInput], [Shape], Shape, OperatorAttributes.None, 0, 4, 0)],
    };

    private static AtomLoadRequest Load(AtomSpec spec) => new(JsonSerializer.Serialize(spec, AdaMecJson.Compact), "phone", null!, null);

    [Fact]
    public async Task LoadAsync_SpecOutOfBounds_RefusedNamingTheFieldNothingResidentOrCached()
    {
        var settings = new Dictionary<string, string?> { ["Limits:MaxAtomFileBytes"] = "4096" };
        await using var cluster = await DevCluster.StartAsync([new DevSilo("edge", settings)], Path.Combine(_root, "cache"), "validation-" + Guid.NewGuid().ToString("N")[..8]);
        var grains = cluster.Services("edge").GetRequiredService<IGrainFactory>();
        var atom = grains.GetGrain<IAtomGrain>(GrainKeys.Atom("phone/toy", 0, "edge"));

        // An allocation of long.MaxValue bytes was what this spec used to ask for.
        var huge = await Assert.ThrowsAsync<AdaMecException>(() => atom.LoadAsync(Load(Spec(0) with { FileBytes = long.MaxValue })));
        var overLimit = await Assert.ThrowsAsync<AdaMecException>(() => atom.LoadAsync(Load(Spec(0) with { FileBytes = 5000 })));
        var shape = await Assert.ThrowsAsync<AdaMecException>(() => atom.LoadAsync(Load(Spec(0) with { InputBytes = 1 << 30 })));
        var index = await Assert.ThrowsAsync<AdaMecException>(() => atom.LoadAsync(Load(Spec(1))));
        var notJson = await Assert.ThrowsAsync<AdaMecException>(() => atom.LoadAsync(Load(Spec(0)) with { SpecJson = "{\"fileBytes\": 1e400" }));
        var initiator = await Assert.ThrowsAsync<AdaMecException>(() => atom.LoadAsync(Load(Spec(0)) with { InitiatorDevice = "" }));
        var noCallback = await Assert.ThrowsAsync<AdaMecException>(() => atom.LoadAsync(Load(Spec(0))));

        Assert.All(new[] { huge, overLimit, shape, index, notJson }, e => Assert.Equal(AdaMecErrorCode.InvalidModel, e.Code));
        Assert.Contains("fileBytes", huge.Message);
        Assert.Contains("Limits:MaxAtomFileBytes", overLimit.Message);
        Assert.Contains("inputBytes", shape.Message);
        Assert.Contains("index", index.Message);
        Assert.Contains("specJson", notJson.Message);
        Assert.Equal(AdaMecErrorCode.InvalidRequest, initiator.Code);
        Assert.Contains("initiatorDevice", initiator.Message);
        Assert.Equal(AdaMecErrorCode.InvalidRequest, noCallback.Code);
        Assert.Contains("initiator: missing", noCallback.Message);
        Assert.False(await atom.IsResidentAsync());
        var cache = Path.Combine(_root, "cache", "edge");
        Assert.Empty(Directory.Exists(cache) ? Directory.GetFiles(cache, "*", SearchOption.AllDirectories) : []);
        Assert.Empty((await grains.GetGrain<IDeviceGrain>("edge").GetStatusAsync()).ResidentAtoms);
    }

    [Fact]
    public async Task Silo_LimitOutOfRange_RefusedAtStartNamingTheSetting()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            DevCluster.StartAsync([new DevSilo("solo", new Dictionary<string, string?> { ["Limits:MaxAtomFileBytes"] = "3000000000" })], Path.Combine(_root, "cache2")));

        Assert.Contains("MaxAtomFileBytes", error.Message);
    }

    [Fact]
    public void LimitsOptions_Defaults_AreTheDocumentedOnes()
    {
        var limits = new LimitsOptions();

        Assert.Equal(1L << 30, limits.MaxAtomFileBytes);
        Assert.Equal(256L << 20, limits.MaxTensorBytes);
        Assert.Equal(10_000, limits.MaxOperatorsPerAtom);
        Assert.Equal(8, limits.MaxRank);
        Assert.Equal(16 << 20, limits.MaxSpecJsonChars);
        Assert.Equal(4096, limits.MaxRouteLength);
        Assert.Equal(256, limits.MaxIdLength);
    }

    private static ForwardRequest Forward(int index = 2, params string[] route) =>
        new(Guid.NewGuid(), "phone/toy", index, route.Length == 0 ? ["edge", "phone"] : route, "phone", new byte[16], "phone");

    public static TheoryData<string, Func<ForwardRequest, ForwardRequest>> BadForwards() => new()
    {
        { "atomIndex", r => r with { AtomIndex = 3 } },
        { "atomIndex", r => r with { AtomIndex = -1 } },
        { "deployment", r => r with { Deployment = "other/toy" } },
        { "route: empty", r => r with { Route = [] } },
        { "route[0]", r => r with { Route = ["edge2", "phone"] } },
        { "route[1]", r => r with { Route = ["edge", ""] } },
        { "Limits:MaxRouteLength", r => r with { Route = ["edge", .. Enumerable.Repeat("x", 5000)] } },
        { "initiator", r => r with { Initiator = "" } },
        { "fromDevice", r => r with { FromDevice = "" } },
        { "fromDevice", r => r with { FromDevice = null! } },
        { "fromDevice", r => r with { FromDevice = new string('x', 257) } },
        { "input: atom", r => r with { Input = new byte[17] } },
        { "input: missing", r => r with { Input = null! } },
        { "serverMs", r => r with { ServerMs = double.NaN } },
        { "ran", r => r with { Ran = null! } },
    };

    [Theory]
    [MemberData(nameof(BadForwards))]
    public void Forward_FieldWrong_RefusedNamingTheField(string field, Func<ForwardRequest, ForwardRequest> spoil)
    {
        var problem = AtomRequestValidation.Forward(spoil(Forward()), GrainKeys.Atom("phone/toy", 2, "edge"), Spec(2), new LimitsOptions());

        Assert.NotNull(problem);
        Assert.Contains(field, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_RequestForThisAtom_Accepted() =>
        Assert.Null(AtomRequestValidation.Forward(Forward(), GrainKeys.Atom("phone/toy", 2, "edge"), Spec(2), new LimitsOptions()));

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
