using System.Text.Json.Serialization;
using AdaMec.Core.Graph;

namespace AdaMec.Core.Atoms;

/// <summary>
/// One pre-partitioned atom: a contiguous run of operators between two valid cut points, with
/// everything needed to rebuild and run it on its own (<see cref="Nodes"/>) and to plan with it.
/// </summary>
public sealed record AtomSpec
{
    /// <summary>Globally unique: "{model}.a{index}".</summary>
    public required string Id { get; init; }

    /// <summary>Position in the chain, from 0.</summary>
    public required int Index { get; init; }

    /// <summary>Operator names in execution order.</summary>
    public required IReadOnlyList<string> Operators { get; init; }

    public required long Flops { get; init; }

    public required long Macs { get; init; }

    /// <summary>Bytes of parameters and buffers: what offloading the atom ships.</summary>
    public required long WeightBytes { get; init; }

    /// <summary>Resident memory to run it: weights plus the largest operator's input and output.</summary>
    public required long MemoryBytes { get; init; }

    public required TensorShape InputShape { get; init; }

    public required long InputBytes { get; init; }

    public required TensorShape OutputShape { get; init; }

    public required long OutputBytes { get; init; }

    /// <summary>Predicted time on the reference device when partitioned (ms).</summary>
    public required double PredictedMs { get; init; }

    /// <summary>Lowercase hex SHA-256 of the weights file.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Weights file name, relative to the manifest.</summary>
    public required string File { get; init; }

    /// <summary>Size of the weights file in bytes.</summary>
    public required long FileBytes { get; init; }

    /// <summary>
    /// The atom as an ONNX model, relative to the manifest; absent in folders partitioned before
    /// ONNX export (devices on ONNX Runtime then build the model from the weights file).
    /// </summary>
    public string? OnnxFile { get; init; }

    /// <summary>Lowercase hex SHA-256 of <see cref="OnnxFile"/>.</summary>
    public string? OnnxSha256 { get; init; }

    /// <summary>Size of <see cref="OnnxFile"/> in bytes.</summary>
    public long? OnnxFileBytes { get; init; }

    /// <summary>
    /// Base64 ECDSA P-256 signature (SHA-256, IEEE P1363) over this spec without this field
    /// (<see cref="AtomSigning"/>); absent until `adamec sign`. It covers <see cref="Sha256"/>, so the
    /// weights are covered too.
    /// </summary>
    public string? Signature { get; init; }

    /// <summary>The operators with attributes and shapes; node ids are positions in the whole model.</summary>
    public required IReadOnlyList<OperatorNode> Nodes { get; init; }

    [JsonIgnore]
    public int FirstOperator => Nodes[0].Id;
}
