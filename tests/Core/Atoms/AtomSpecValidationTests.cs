using System.Text.Json;
using AdaMec.Core.Atoms;
using AdaMec.Core.Graph;
using AdaMec.Core.Serialization;

namespace AdaMec.Core.Tests.Atoms;

public sealed class AtomSpecValidationTests
{
    private static readonly TensorShape Shape = new(1, 4);

    internal static AtomSpec Valid(int index = 0) => new()
    {
        Id = $"toy.a{index}", Index = index, Operators = ["r"], Flops = 4, Macs = 0, WeightBytes = 0, MemoryBytes = 32,
        InputShape = Shape, InputBytes = 16, OutputShape = Shape, OutputBytes = 16, PredictedMs = 0.1,
        Sha256 = new string('a', 64), File = $"a{index:00}.amw", FileBytes = 12,
        Nodes = [new OperatorNode(index, "r", OperatorKind.ReLU, [OperatorNode.GraphInput], [Shape], Shape, OperatorAttributes.None, 0, 4, 0)],
    };

    public static TheoryData<string, string> Refusals() => new()
    {
        { "fileBytes", """{"fileBytes": 9223372036854775807}""" },
        { "fileBytes", """{"fileBytes": -1}""" },
        { "fileBytes", """{"fileBytes": 0}""" },
        { "inputBytes", """{"inputBytes": 17}""" },
        { "outputBytes", """{"outputBytes": 4000000000}""" },
        { "inputShape", """{"inputShape": [1, 2147483647, 2147483647], "inputBytes": 16}""" },
        { "inputShape", """{"inputShape": [1,1,1,1,1,1,1,1,1,4]}""" },
        { "sha256", """{"sha256": "zz"}""" },
        { "file", """{"file": "../../etc/passwd"}""" },
        { "file", """{"file": ""}""" },
        { "predictedMs", """{"predictedMs": "NaN"}""" },
        { "memoryBytes", """{"memoryBytes": -5}""" },
        { "index", """{"index": -1}""" },
        { "nodes", """{"nodes": []}""" },
        { "operators", """{"operators": ["r", "s"]}""" },
        { "onnxSha256", """{"onnxFile": "a.onnx"}""" },
        { "onnxFileBytes", """{"onnxFile": "a.onnx", "onnxSha256": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "onnxFileBytes": 0}""" },
        { "id", """{"id": ""}""" },
        { "specJson", """{"inputShape": [1, -4]}""" },
        { "specJson", """{"id": 5""" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Parse_FieldOutOfRange_RefusedNamingTheField(string field, string patch)
    {
        var json = Patch(JsonSerializer.Serialize(Valid(), AdaMecJson.Compact), patch);

        var error = Assert.Throws<AtomFileException>(() => AtomSpecValidation.Parse(json, AtomLimits.Default, 1 << 20));

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ValidSpec_RoundTrips()
    {
        var spec = AtomSpecValidation.Parse(JsonSerializer.Serialize(Valid(3), AdaMecJson.Compact), AtomLimits.Default, 1 << 20);

        Assert.Equal(3, spec.Index);
        Assert.Equal(12, spec.FileBytes);
    }

    [Fact]
    public void Parse_FileBytesOverConfiguredLimit_NamesTheLimit()
    {
        var json = JsonSerializer.Serialize(Valid() with { FileBytes = 5000 }, AdaMecJson.Compact);

        var error = Assert.Throws<AtomFileException>(() => AtomSpecValidation.Parse(json, AtomLimits.Default with { MaxFileBytes = 4096 }, 1 << 20));

        Assert.Contains("Limits:MaxAtomFileBytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_JsonLongerThanLimit_RefusedBeforeParsing()
    {
        var error = Assert.Throws<AtomFileException>(() => AtomSpecValidation.Parse(new string(' ', 5000) + "{", AtomLimits.Default, 4096));

        Assert.Contains("specJson", error.Message, StringComparison.Ordinal);
        Assert.Contains("over the limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManifestParse_DuplicateAtomIdAndNullAtom_NamesThem()
    {
        var manifest = new AtomManifest
        {
            Model = "toy", InputShape = Shape, OutputShape = Shape, WeightsSource = "zoo-seeded",
            Partition = new PartitionReport { LatencyModel = "flops", Operators = 2, ValidCutPoints = 1, LayerCutPoints = 1, KeptCutPoints = 1, CutPoints = [] },
            Atoms = [Valid(0), Valid(1) with { Id = "toy.a0" }],
        };
        var json = JsonSerializer.Serialize(manifest, AdaMecJson.Options);

        var duplicate = Assert.Throws<AtomFileException>(() => AtomManifest.Parse(json, "m.json"));
        var nullAtom = Assert.Throws<AtomFileException>(() => AtomManifest.Parse(json.Replace("\"atoms\": [", "\"atoms\": [ null,", StringComparison.Ordinal), "m.json"));

        Assert.Contains("listed twice", duplicate.Message, StringComparison.Ordinal);
        Assert.Contains("atoms[0]: null", nullAtom.Message, StringComparison.Ordinal);
        Assert.Equal(2, AtomManifest.Parse(JsonSerializer.Serialize(manifest with { Atoms = [Valid(0), Valid(1)] }, AdaMecJson.Options), "m.json").Atoms.Count);
    }

    /// <summary>Overwrites top-level fields of <paramref name="json"/> with those of <paramref name="patch"/> (raw JSON kept even when malformed).</summary>
    private static string Patch(string json, string patch)
    {
        JsonElement fields;
        try
        {
            fields = JsonDocument.Parse(patch).RootElement;
        }
        catch (JsonException)
        {
            return patch;
        }
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        foreach (var field in fields.EnumerateObject()) node[field.Name] = System.Text.Json.Nodes.JsonNode.Parse(field.Value.GetRawText());
        return node.ToJsonString();
    }
}
