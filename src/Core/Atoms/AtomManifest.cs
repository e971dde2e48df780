using System.Text.Json;
using AdaMec.Core.Graph;
using AdaMec.Core.Serialization;

namespace AdaMec.Core.Atoms;

/// <summary>
/// DIR/manifest.json of a partitioned model: the atom chain plus how it was partitioned. Reading
/// validates the chain (indices, shapes joining atom to atom, file names) so a damaged manifest fails
/// with a message naming the atom and field rather than later, on some device.
/// </summary>
public sealed record AtomManifest
{
    public const string FileName = "manifest.json";

    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public required string Model { get; init; }

    public required TensorShape InputShape { get; init; }

    public required TensorShape OutputShape { get; init; }

    /// <summary>Seed of the zoo weights, or null when the weights came from a state-dict file.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Where the weights came from: "zoo-seeded" or the state-dict file name.</summary>
    public required string WeightsSource { get; init; }

    public required PartitionReport Partition { get; init; }

    public required IReadOnlyList<AtomSpec> Atoms { get; init; }

    /// <summary>
    /// f_pre per operator and the memory correction f_mem as plain weights, so devices predict each
    /// atom under the memory they have (<see cref="AtomMemoryModel"/>); absent when the partitioning
    /// predictor had no f_mem (devices then scale <see cref="AtomSpec.PredictedMs"/> by their speed).
    /// </summary>
    public AtomMemoryModel? MemoryModel { get; init; }

    public long TotalWeightBytes => Atoms.Sum(a => a.WeightBytes);

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        System.IO.File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, AdaMecJson.Options));
    }

    /// <summary>Reads and validates DIR/manifest.json.</summary>
    /// <exception cref="AtomFileException">Missing, unreadable or inconsistent manifest.</exception>
    public static AtomManifest Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!System.IO.File.Exists(path)) throw new AtomFileException(null, $"no {FileName} in '{directory}' (run `adamec partition` first)");
        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes) throw new AtomFileException(null, $"{path} is {length:N0} bytes, over the {MaxFileBytes:N0}-byte limit for a manifest");
        return Parse(System.IO.File.ReadAllText(path), path);
    }

    /// <summary>Largest manifest read, bytes (a 250-atom model's manifest is a few MB).</summary>
    public const long MaxFileBytes = 64L << 20;

    /// <summary>Parses and validates a manifest's JSON; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="AtomFileException">Not JSON, or a field missing or out of range (the message names the atom and field).</exception>
    public static AtomManifest Parse(string json, string source, AtomLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        AtomManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<AtomManifest>(json, AdaMecJson.Options);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            throw new AtomFileException(null, $"{source} is not a valid manifest: {e.Message}", e);
        }
        if (manifest is null) throw new AtomFileException(null, $"{source} is empty");
        manifest.Validate(limits);
        return manifest;
    }

    /// <summary>Checks the manifest's fields, every atom's spec (<see cref="AtomSpecValidation"/>) and the chain.</summary>
    /// <exception cref="AtomFileException">The first problem, naming the atom and field.</exception>
    public void Validate(AtomLimits? limits = null)
    {
        limits ??= AtomLimits.Default;
        if (Format != CurrentFormat) throw new AtomFileException(null, $"manifest format {Format} is not supported (expected {CurrentFormat})");
        if (string.IsNullOrWhiteSpace(Model) || Model.Length > AtomLimits.MaxNameLength) throw new AtomFileException(null, "model: missing or too long");
        if (InputShape is null) throw new AtomFileException(null, "inputShape: missing");
        if (OutputShape is null) throw new AtomFileException(null, "outputShape: missing");
        if (WeightsSource is null) throw new AtomFileException(null, "weightsSource: missing");
        if (Partition is null) throw new AtomFileException(null, "partition: missing");
        if (Atoms is null || Atoms.Count == 0) throw new AtomFileException(null, "manifest lists no atoms");
        var expectedInput = InputShape;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Atoms.Count; i++)
        {
            var atom = Atoms[i] ?? throw new AtomFileException(null, $"atoms[{i}]: null");
            AtomSpecValidation.Validate(atom, limits);
            if (!ids.Add(atom.Id)) throw new AtomFileException(atom.Id, $"id is listed twice (atoms[{i}])");
            if (atom.Index != i) throw new AtomFileException(atom.Id, $"has index {atom.Index} at position {i}");
            if (atom.Nodes is null || atom.Nodes.Count == 0) throw new AtomFileException(atom.Id, "has no operators");
            if (atom.InputShape != expectedInput) throw new AtomFileException(atom.Id, $"expects input {atom.InputShape} but the previous atom produces {expectedInput}");
            if (atom.Nodes[^1].OutputShape != atom.OutputShape) throw new AtomFileException(atom.Id, $"declares output {atom.OutputShape} but its last operator produces {atom.Nodes[^1].OutputShape}");
            if (string.IsNullOrWhiteSpace(atom.File) || Path.GetFileName(atom.File) != atom.File)
                throw new AtomFileException(atom.Id, $"weights file name '{atom.File}' must be a plain file name inside the atoms folder");
            if (atom.Sha256 is not { Length: 64 }) throw new AtomFileException(atom.Id, "sha256 must be 64 hex characters");
            if (atom.OnnxFile is not null)
            {
                if (string.IsNullOrWhiteSpace(atom.OnnxFile) || Path.GetFileName(atom.OnnxFile) != atom.OnnxFile)
                    throw new AtomFileException(atom.Id, $"onnxFile '{atom.OnnxFile}' must be a plain file name inside the atoms folder");
                if (atom.OnnxSha256 is not { Length: 64 }) throw new AtomFileException(atom.Id, "onnxSha256 must be 64 hex characters when onnxFile is given");
                if (atom.OnnxFileBytes is not > 0) throw new AtomFileException(atom.Id, "onnxFileBytes must be positive when onnxFile is given");
            }
            expectedInput = atom.OutputShape;
        }
        if (expectedInput != OutputShape) throw new AtomFileException(Atoms[^1].Id, $"chain ends with {expectedInput}, manifest says {OutputShape}");
        MemoryModel?.Validate(Atoms);
    }

    public AtomSpec Atom(string id) =>
        Atoms.FirstOrDefault(a => a.Id == id) ?? throw new AtomFileException(id, $"is not in the manifest of '{Model}'");
}

/// <summary>How the atoms were chosen: the three granularities and the latency-benefit filter.</summary>
public sealed record PartitionReport
{
    public required string LatencyModel { get; init; }

    public required int Operators { get; init; }

    public required int ValidCutPoints { get; init; }

    public required int LayerCutPoints { get; init; }

    public required int KeptCutPoints { get; init; }

    public required IReadOnlyList<CutPointDecision> CutPoints { get; init; }
}

/// <summary>One candidate cut point and why it was kept or dropped.</summary>
public sealed record CutPointDecision(int Position, string After, long TensorBytes, double BestBenefit, bool Kept, string Reason);
