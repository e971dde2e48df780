using System.Text.Json;
using AdaMec.Core.Graph;
using AdaMec.Core.Serialization;

namespace AdaMec.Core.Atoms;

/// <summary>
/// Checks one atom spec field by field before anything trusts it: required fields present, byte counts
/// non-negative, consistent with the shapes and within <see cref="AtomLimits"/>, names that stay inside
/// a folder, hashes that are hashes. Errors are <see cref="AtomFileException"/>s naming the atom and the
/// field (camelCase, as in the manifest), so an operator can find the value.
/// </summary>
public static class AtomSpecValidation
{
    /// <summary>Parses and validates one spec (the JSON a planner sends to an atom grain).</summary>
    /// <param name="json">The spec as JSON.</param>
    /// <param name="limits">Bounds on sizes.</param>
    /// <param name="maxChars">Longest JSON accepted (characters): read before any parsing.</param>
    /// <exception cref="AtomFileException">Too long, not JSON, or a field out of range; the message names the field.</exception>
    public static AtomSpec Parse(string? json, AtomLimits limits, int maxChars)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (json is null) throw new AtomFileException(null, "specJson: missing");
        if (json.Length > maxChars) throw new AtomFileException(null, $"specJson: {json.Length:N0} characters, over the limit of {maxChars:N0}");
        AtomSpec? spec;
        try
        {
            spec = JsonSerializer.Deserialize<AtomSpec>(json, AdaMecJson.Options);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            throw new AtomFileException(null, $"specJson: not a valid atom spec: {e.Message}", e);
        }
        if (spec is null) throw new AtomFileException(null, "specJson: null");
        Validate(spec, limits);
        return spec;
    }

    /// <summary>Checks every field of <paramref name="spec"/>.</summary>
    /// <exception cref="AtomFileException">The first field out of range, named.</exception>
    public static void Validate(AtomSpec spec, AtomLimits limits)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(limits);
        if (string.IsNullOrWhiteSpace(spec.Id)) throw new AtomFileException(null, $"atom at index {spec.Index}: id is missing");
        var id = spec.Id.Length > 64 ? spec.Id[..64] + "…" : spec.Id;
        [System.Diagnostics.CodeAnalysis.DoesNotReturn] void Fail(string problem) => throw new AtomFileException(id, problem);
        if (spec.Id.Length > AtomLimits.MaxNameLength) Fail($"id is {spec.Id.Length} characters, over {AtomLimits.MaxNameLength}");
        if (spec.Index < 0) Fail($"index must be >= 0, got {spec.Index}");

        if (spec.Nodes is null || spec.Nodes.Count == 0) Fail("nodes: has no operators");
        if (spec.Nodes!.Count > limits.MaxOperators) Fail($"nodes: {spec.Nodes.Count} operators, over the limit of {limits.MaxOperators}");
        if (spec.Operators is null) Fail("operators: missing");
        if (spec.Operators!.Count != spec.Nodes.Count) Fail($"operators: lists {spec.Operators.Count} names for {spec.Nodes.Count} nodes");
        for (var i = 0; i < spec.Nodes.Count; i++)
        {
            var node = spec.Nodes[i];
            var at = $"nodes[{i}]";
            if (node is null) Fail($"{at}: null");
            if (node.Name is null || node.Name.Length > AtomLimits.MaxNameLength) Fail($"{at}.name: missing or over {AtomLimits.MaxNameLength} characters");
            if (spec.Operators[i] != node.Name) Fail($"operators[{i}]: '{Short(spec.Operators[i])}' but nodes[{i}] is '{Short(node.Name)}'");
            if (node.Inputs is null || node.Inputs.Count == 0) Fail($"{at}.inputs: missing");
            if (node.InputShapes is null || node.InputShapes.Count != node.Inputs!.Count || node.InputShapes.Any(s => s is null))
                Fail($"{at}.inputShapes: must give one shape per input");
            foreach (var shape in node.InputShapes!) CheckShape(shape, $"{at}.inputShapes");
            CheckShape(node.OutputShape, $"{at}.outputShape");
            if (node.Attributes is null) Fail($"{at}.attributes: missing");
            if (node.Macs < 0 || node.Flops < 0 || node.ParameterBytes < 0) Fail($"{at}: macs, flops and parameterBytes must be >= 0");
        }

        if (spec.Flops < 0) Fail($"flops must be >= 0, got {spec.Flops}");
        if (spec.Macs < 0) Fail($"macs must be >= 0, got {spec.Macs}");
        if (spec.WeightBytes < 0) Fail($"weightBytes must be >= 0, got {spec.WeightBytes}");
        if (spec.MemoryBytes < 0) Fail($"memoryBytes must be >= 0, got {spec.MemoryBytes}");
        if (!double.IsFinite(spec.PredictedMs) || spec.PredictedMs < 0) Fail($"predictedMs must be a finite number >= 0, got {spec.PredictedMs}");

        var inputBytes = CheckShape(spec.InputShape, "inputShape");
        var outputBytes = CheckShape(spec.OutputShape, "outputShape");
        if (spec.InputBytes != inputBytes) Fail($"inputBytes is {spec.InputBytes}, but inputShape {spec.InputShape} holds {inputBytes} bytes of float32");
        if (spec.OutputBytes != outputBytes) Fail($"outputBytes is {spec.OutputBytes}, but outputShape {spec.OutputShape} holds {outputBytes} bytes of float32");
        if (spec.Nodes[^1].OutputShape != spec.OutputShape) Fail($"outputShape {spec.OutputShape} is not what its last operator produces ({spec.Nodes[^1].OutputShape})");

        if (!IsSha256(spec.Sha256)) Fail("sha256 must be 64 hex characters");
        if (!IsPlainFileName(spec.File)) Fail($"file '{Short(spec.File)}' must be a plain file name inside the atoms folder");
        if (spec.FileBytes <= 0 || spec.FileBytes > limits.MaxFileBytes) Fail($"fileBytes must be > 0 and at most {limits.MaxFileBytes:N0} (Limits:MaxAtomFileBytes), got {spec.FileBytes:N0}");
        if (spec.OnnxFile is not null || spec.OnnxSha256 is not null || spec.OnnxFileBytes is not null)
        {
            if (!IsPlainFileName(spec.OnnxFile)) Fail($"onnxFile '{Short(spec.OnnxFile)}' must be a plain file name inside the atoms folder");
            if (!IsSha256(spec.OnnxSha256)) Fail("onnxSha256 must be 64 hex characters when onnxFile is given");
            if (spec.OnnxFileBytes is not > 0 || spec.OnnxFileBytes > limits.MaxFileBytes) Fail($"onnxFileBytes must be > 0 and at most {limits.MaxFileBytes:N0} when onnxFile is given, got {spec.OnnxFileBytes}");
        }
        if (spec.Signature is { Length: > AtomLimits.MaxSignatureLength }) Fail($"signature is {spec.Signature.Length} characters, over {AtomLimits.MaxSignatureLength}");

        long CheckShape(TensorShape? shape, string field)
        {
            if (shape is null) Fail($"{field}: missing");
            if (shape!.Rank > limits.MaxRank) Fail($"{field}: rank {shape.Rank} is over the limit of {limits.MaxRank}");
            // Multiply with a ceiling: a few large dims overflow a long, and the bound is what matters.
            long bytes = sizeof(float);
            foreach (var d in shape.Dims)
            {
                bytes *= d;
                if (bytes > limits.MaxTensorBytes) Fail($"{field}: {shape} is over the limit of {limits.MaxTensorBytes:N0} bytes per tensor (Limits:MaxTensorBytes)");
            }
            return bytes;
        }
    }

    /// <summary>64 hex characters.</summary>
    public static bool IsSha256(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigit);

    /// <summary>A non-empty name without folders, that stays inside the folder it is joined to.</summary>
    public static bool IsPlainFileName(string? name) =>
        !string.IsNullOrWhiteSpace(name) && name.Length <= 255 && name is not "." and not ".."
        && Path.GetFileName(name) == name && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && !name.Contains('\\');

    private static string Short(string? value) => value is null ? "" : value.Length > 64 ? value[..64] + "…" : value;
}
