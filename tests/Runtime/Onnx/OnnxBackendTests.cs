using AdaMec.Core.Atoms;
using AdaMec.Core.Graph;
using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Execution;
using AdaMec.Runtime.Onnx;
using AdaMec.Runtime.Zoo;
using Google.Protobuf;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Tests.Onnx;

[Collection(SharedPartitions.Name)]
public sealed class OnnxBackendTests(PartitionedModels models)
{
    private const double Tolerance = 1e-4;

    /// <summary>Every operator kind (and the variants the zoo uses) as a tiny one-purpose graph.</summary>
    public static TheoryData<string> Operators() => [.. Graphs.Keys];

    private static readonly Dictionary<string, Func<OperatorGraph>> Graphs = new()
    {
        ["conv+bias"] = () => Graph(b => b.Conv(GraphBuilder.Input, "c", 6, 3, stride: 2, padding: 1)),
        ["conv groups, no bias"] = () => Graph(b => b.Conv(GraphBuilder.Input, "c", 8, 3, padding: 1, groups: 4, bias: false)),
        ["conv depthwise"] = () => Graph(b => b.Conv(GraphBuilder.Input, "c", 4, 3, padding: 1, groups: 4)),
        ["batchnorm"] = () => Graph(b => b.BatchNorm(b.Conv(GraphBuilder.Input, "c", 4, 1), "bn")),
        ["relu"] = () => Graph(b => b.ReLU(b.Conv(GraphBuilder.Input, "c", 4, 1), "r")),
        ["relu6"] = () => Graph(b => b.ReLU6(b.Conv(GraphBuilder.Input, "c", 4, 1), "r")),
        ["leakyrelu"] = () => Graph(b => b.LeakyReLU(b.Conv(GraphBuilder.Input, "c", 4, 1), "r", 0.1)),
        ["maxpool"] = () => Graph(b => b.MaxPool(GraphBuilder.Input, "p", 3, 2, padding: 1)),
        ["maxpool ceil"] = () => Graph(b => b.MaxPool(GraphBuilder.Input, "p", 3, 2, ceilMode: true)),
        ["maxpool ceil padded"] = () => Graph(b => b.MaxPool(GraphBuilder.Input, "p", 3, 2, padding: 1, ceilMode: true)),
        ["avgpool padded"] = () => Graph(b => b.AvgPool(GraphBuilder.Input, "p", 3, 2, padding: 1)),
        ["avgpool ceil"] = () => Graph(b => b.AvgPool(GraphBuilder.Input, "p", 2, 2, ceilMode: true)),
        ["adaptive 1"] = () => Graph(b => b.AdaptiveAvgPool(GraphBuilder.Input, "p", 1)),
        ["adaptive divides"] = () => Graph(b => b.AdaptiveAvgPool(GraphBuilder.Input, "p", 3), side: 9),
        ["adaptive identity"] = () => Graph(b => b.AdaptiveAvgPool(GraphBuilder.Input, "p", 9), side: 9),
        ["lrn"] = () => Graph(b => b.LocalResponseNorm(b.Conv(GraphBuilder.Input, "c", 8, 1), "n", 5, 1e-2, 0.75, 2)),
        ["zeropad"] = () => Graph(b => b.MaxPool(b.ZeroPadRightBottom(GraphBuilder.Input, "z", 1), "p", 2, 1)),
        ["flatten+dropout+fc"] = () => Graph(b => b.Linear(b.Dropout(b.Flatten(GraphBuilder.Input, "f"), "d", 0.5), "fc", 10)),
        ["fc no bias"] = () => Graph(b => b.Linear(b.Flatten(GraphBuilder.Input, "f"), "fc", 10, bias: false)),
        ["residual add"] = () => Graph(b => b.Sum("add", GraphBuilder.Input, b.Conv(GraphBuilder.Input, "c", 4, 3, padding: 1))),
        ["add of three"] = () => Graph(b => b.Sum("add", GraphBuilder.Input, b.ReLU(GraphBuilder.Input, "r"), b.Conv(GraphBuilder.Input, "c", 4, 1))),
        ["concat"] = () => Graph(b => b.Concat("cat", b.Conv(GraphBuilder.Input, "c1", 3, 1), b.MaxPool(GraphBuilder.Input, "p", 3, 1, padding: 1))),
    };

    private static OperatorGraph Graph(Action<GraphBuilder> build, int side = 11)
    {
        var builder = new GraphBuilder("probe", new TensorShape(1, 4, side, side));
        build(builder);
        return builder.Build();
    }

    [Theory]
    [MemberData(nameof(Operators))]
    public void Build_EachOperatorKind_OnnxRuntimeMatchesTorchSharp(string name)
    {
        var graph = Graphs[name]();
        using var module = ModelZoo.Create(graph, seed: 3);
        var tensors = module.NamedTensors().Select(t => new WeightsFile.StoredTensor(t.Key, t.Tensor.shape, Bytes(t.Tensor))).ToArray();
        var input = TensorCodec.RandomPayload(graph.InputShape, seed: 7);
        byte[] expected;
        using (var scope = NewDisposeScope())
        using (inference_mode())
        {
            using var x = TensorCodec.Decode(input, graph.InputShape);
            expected = TensorCodec.Encode(module.call(x));
        }

        var model = OnnxAtomBuilder.Build(graph.Model, graph.Nodes, graph.InputShape, tensors).ToByteArray();
        using var atom = new OnnxBackend(threads: 1).LoadModel(Spec(graph), model);
        var actual = atom.Run(input);

        var relative = TensorCodec.RelativeDifference(actual, expected);
        Assert.True(relative <= Tolerance, $"{name}: relative difference {relative}");
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("googlenet")]
    public void Verify_OnnxBackend_EveryBoundaryWithinOneInTenThousandOfTheWholeTorchModel(string model)
    {
        var (directory, manifest) = models.Get(model);

        var report = AtomVerifier.Verify(directory, tolerance: Tolerance, backend: ExecutionBackends.Onnx);

        Assert.Equal(ExecutionBackends.Onnx, report.Backend);
        Assert.Equal(manifest.Atoms.Count, report.Boundaries.Count);
        Assert.True(report.Ok, string.Join("; ", report.Boundaries.Select(b => $"{b.AtomId} {b.Relative:0.###e0}")));
    }

    [Fact]
    public void Partition_EveryAtom_WritesItsOnnxModelHashedInTheManifest()
    {
        var (directory, manifest) = models.Get("alexnet");

        foreach (var atom in manifest.Atoms)
        {
            Assert.Equal(Path.ChangeExtension(atom.File, ".onnx"), atom.OnnxFile);
            var bytes = File.ReadAllBytes(Path.Combine(directory, atom.OnnxFile!));
            Assert.Equal(atom.OnnxFileBytes, bytes.Length);
            Assert.Equal(atom.OnnxSha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        }
    }

    [Fact]
    public void Load_FromWeightsFile_BuildsTheSameModelPartitionWrote()
    {
        var (directory, manifest) = models.Get("alexnet");
        var atom = manifest.Atoms[1];

        var built = OnnxAtomBuilder.Build(atom, AtomWeights.Verify(AtomWeights.ReadFile(directory, atom), atom));

        Assert.Equal(File.ReadAllBytes(Path.Combine(directory, atom.OnnxFile!)), built);
    }

    [Fact]
    public void Load_OnnxFileAltered_ReportsShaMismatchNamingTheAtom()
    {
        var directory = models.CopyOf("alexnet");
        var atom = AtomManifest.Load(directory).Atoms[0];
        var path = Path.Combine(directory, atom.OnnxFile!);
        var bytes = File.ReadAllBytes(path);
        bytes[^10] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<AtomFileException>(() => AtomFiles.Load(new OnnxBackend(), directory, atom));

        Assert.Equal(atom.Id, error.AtomId);
        Assert.Contains("SHA-256", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_FolderPartitionedBeforeOnnxExport_AsksToPartitionAgain()
    {
        var directory = models.CopyOf("alexnet");
        var manifest = AtomManifest.Load(directory);
        (manifest with { Atoms = manifest.Atoms.Select(a => a with { OnnxFile = null, OnnxSha256 = null, OnnxFileBytes = null }).ToArray() }).Save(directory);

        var error = Assert.Throws<AtomFileException>(() => AtomVerifier.Verify(directory, backend: ExecutionBackends.Onnx));

        Assert.Contains("adamec partition", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FolderPartitionedBeforeOnnxExport_OnnxBackendBuildsFromTheWeights()
    {
        var directory = models.CopyOf("alexnet");
        var manifest = AtomManifest.Load(directory);
        var atom = manifest.Atoms[0] with { OnnxFile = null, OnnxSha256 = null, OnnxFileBytes = null };

        using var loaded = AtomFiles.Load(new OnnxBackend(), directory, atom);

        Assert.Equal(atom.OutputBytes, loaded.Run(new byte[atom.InputBytes]).Length);
    }

    [Fact]
    public void Build_AdaptivePoolWithoutWholeWindows_FailsNamingTheOperator()
    {
        var graph = Graph(b => b.AdaptiveAvgPool(GraphBuilder.Input, "features.pool", 4), side: 10);

        var error = Assert.Throws<NotSupportedException>(() => OnnxAtomBuilder.Build(graph.Model, graph.Nodes, graph.InputShape, []));

        Assert.Contains("'features.pool'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WeightsLackATensor_NamesIt()
    {
        var (directory, manifest) = models.Get("alexnet");
        var atom = manifest.Atoms[0];
        var tensors = AtomWeights.Verify(AtomWeights.ReadFile(directory, atom), atom).Skip(1).ToArray();

        var error = Assert.Throws<AtomFileException>(() => OnnxAtomBuilder.Build(atom, tensors));

        Assert.Contains("lack", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_UnknownBackend_ListsTheKnownOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => ExecutionBackends.Create("tensorrt"));

        Assert.Contains("onnx", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_Auto_IsTorchWhereLibtorchLoads()
    {
        Assert.True(ExecutionBackends.TorchAvailable(out var reason), reason);

        Assert.Equal(ExecutionBackends.Torch, ExecutionBackends.Create(ExecutionBackends.Auto).Name);
    }

    private static byte[] Bytes(Tensor tensor)
    {
        using var asFloat = tensor.to_type(ScalarType.Float32).contiguous();
        return asFloat.bytes.ToArray();
    }

    private static AtomSpec Spec(OperatorGraph graph) => new()
    {
        Id = graph.Model,
        Index = 0,
        Operators = graph.Nodes.Select(n => n.Name).ToArray(),
        Flops = graph.TotalFlops,
        Macs = graph.TotalMacs,
        WeightBytes = graph.TotalParameterBytes,
        MemoryBytes = 0,
        InputShape = graph.InputShape,
        InputBytes = graph.InputShape.Bytes,
        OutputShape = graph.Output.OutputShape,
        OutputBytes = graph.Output.OutputBytes,
        PredictedMs = 0,
        Sha256 = new string('0', 64),
        File = "probe.amw",
        FileBytes = 0,
        Nodes = graph.Nodes,
    };
}
