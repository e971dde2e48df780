namespace AdaMec.Core.Atoms;

/// <summary>
/// What a device needs to predict an atom's latency under the memory it has now (paper formula 6,
/// f_pre + f_mem per operator), without the learners that produced it: the memory correction's
/// network as plain weights and, per atom, each operator's inputs to it. Written by `adamec partition`
/// when its predictor carries f_mem (`adamec predictor memory --out`); a manifest without it keeps
/// today's behaviour (atom latency = predictedMs × the device's measured speed).
/// </summary>
/// <remarks>
/// f_mem reads an operator's feature vector (the learners' features, computed where the predictor
/// lives), the operator's footprint (input + output + parameter bytes) against the memory budget, and
/// f_pre's latency of the operator; only the budget changes at run time, so everything else is
/// computed once, at partition time, and carried here.
/// </remarks>
public sealed record AtomMemoryModel
{
    /// <summary>The memory correction's weights.</summary>
    public required MemoryCorrectionWeights Network { get; init; }

    /// <summary>libtorch threads the predictor's profile was taken with (0: unknown).</summary>
    public int ProfiledThreads { get; init; }

    /// <summary>Per atom, in chain order: its operators' inputs to f_mem.</summary>
    public required IReadOnlyList<IReadOnlyList<OperatorMemoryInputs>> Atoms { get; init; }

    /// <summary>Checks the block against the manifest's atoms; the message names the field.</summary>
    /// <exception cref="AtomFileException">The first problem found.</exception>
    public void Validate(IReadOnlyList<AtomSpec> atoms)
    {
        ArgumentNullException.ThrowIfNull(atoms);
        Validate(atoms.Count);
        for (var i = 0; i < atoms.Count; i++)
        {
            if (Atoms[i].Count != atoms[i].Nodes.Count)
                throw new AtomFileException(atoms[i].Id, $"memoryModel.atoms[{i}] must list {atoms[i].Nodes.Count} operators, got {Atoms[i].Count}");
        }
    }

    /// <summary>Checks the block on its own, for <paramref name="atomCount"/> atoms (what a device can check without the specs).</summary>
    /// <exception cref="AtomFileException">The first problem found, naming the field.</exception>
    public void Validate(int atomCount)
    {
        if (Network is null) throw new AtomFileException(null, "memoryModel.network: missing");
        if (Network.Problem() is { } problem) throw new AtomFileException(null, $"memoryModel.network.{problem}");
        if (ProfiledThreads < 0) throw new AtomFileException(null, $"memoryModel.profiledThreads must be >= 0, got {ProfiledThreads}");
        if (Atoms is null || Atoms.Count != atomCount)
            throw new AtomFileException(null, $"memoryModel.atoms must list {atomCount} atoms (one per manifest atom), got {Atoms?.Count ?? 0}");
        var features = Network.Inputs - MemoryCorrectionWeights.ExtraInputs;
        for (var i = 0; i < Atoms.Count; i++)
        {
            var operators = Atoms[i];
            if (operators is null || operators.Count == 0) throw new AtomFileException(null, $"memoryModel.atoms[{i}] must list the atom's operators");
            for (var j = 0; j < operators.Count; j++)
            {
                var field = $"memoryModel.atoms[{i}][{j}]";
                var op = operators[j] ?? throw new AtomFileException(null, $"{field}: null");
                if (!double.IsFinite(op.Ms) || op.Ms < 0) throw new AtomFileException(null, $"{field}.ms must be a finite number >= 0, got {op.Ms}");
                if (op.FootprintBytes < 0) throw new AtomFileException(null, $"{field}.footprintBytes must be >= 0, got {op.FootprintBytes}");
                if (op.Features is null || op.Features.Count != features)
                    throw new AtomFileException(null, $"{field}.features must hold {features} numbers (the network's inputs less {MemoryCorrectionWeights.ExtraInputs}), got {op.Features?.Count ?? 0}");
                if (op.Features.Any(f => !float.IsFinite(f))) throw new AtomFileException(null, $"{field}.features must be finite numbers");
            }
        }
    }

    /// <summary>Reads and validates a <c>memoryModel</c> block sent on its own (JSON) for <paramref name="atomCount"/> atoms.</summary>
    /// <exception cref="AtomFileException">Not JSON, or a field missing or out of range (the message names it).</exception>
    public static AtomMemoryModel Parse(string json, int atomCount)
    {
        ArgumentNullException.ThrowIfNull(json);
        AtomMemoryModel? model;
        try
        {
            model = System.Text.Json.JsonSerializer.Deserialize<AtomMemoryModel>(json, Serialization.AdaMecJson.Options);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            throw new AtomFileException(null, $"memoryModel is not valid JSON for a memory model: {e.Message}", e);
        }
        if (model is null) throw new AtomFileException(null, "memoryModel: empty");
        model.Validate(atomCount);
        return model;
    }
}

/// <summary>One operator's inputs to f_mem besides the memory budget.</summary>
/// <param name="Ms">f_pre: the operator's predicted latency inside a network with ample memory (ms); the atom's predictedMs is their sum.</param>
/// <param name="FootprintBytes">Input + output + parameter bytes of the operator.</param>
/// <param name="Features">The predictor's feature vector of the operator.</param>
public sealed record OperatorMemoryInputs(double Ms, long FootprintBytes, IReadOnlyList<float> Features);

/// <summary>
/// f_mem's two fully connected layers as plain numbers (inputs → <see cref="Hidden"/> ReLU units → the
/// log slowdown r), the per-input standardisation they were trained with and the range of r seen in
/// training. The operator's latency under a budget is f_pre·e^r.
/// </summary>
/// <param name="Hidden">Hidden units.</param>
/// <param name="Mean">Per input: training mean.</param>
/// <param name="Std">Per input: training standard deviation.</param>
/// <param name="Low">Least log slowdown predicted (r is clamped to [Low, High]).</param>
/// <param name="High">Largest log slowdown predicted.</param>
/// <param name="HiddenWeights">Hidden × inputs weights, row by row (one row per hidden unit).</param>
/// <param name="HiddenBias">One per hidden unit.</param>
/// <param name="OutputWeights">One per hidden unit.</param>
/// <param name="OutputBias">The output unit's bias.</param>
/// <param name="Identity">True when training found no slowdown beyond noise: r is then 0 everywhere.</param>
public sealed record MemoryCorrectionWeights(
    int Hidden,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std,
    float Low,
    float High,
    IReadOnlyList<float> HiddenWeights,
    IReadOnlyList<float> HiddenBias,
    IReadOnlyList<float> OutputWeights,
    float OutputBias,
    bool Identity)
{
    /// <summary>Inputs f_mem computes from the budget and the operator: log budget (MB), log footprint over budget, log f_pre.</summary>
    public const int ExtraInputs = 3;

    /// <summary>Width of the network's input (the features plus <see cref="ExtraInputs"/>).</summary>
    public int Inputs => Mean?.Count ?? 0;

    /// <summary>The first field that is wrong ("field: problem"), or null.</summary>
    public string? Problem()
    {
        if (Hidden <= 0) return $"hidden must be > 0, got {Hidden}";
        if (Mean is null || Mean.Count <= ExtraInputs) return $"mean must hold more than {ExtraInputs} numbers, got {Mean?.Count ?? 0}";
        var inputs = Mean.Count;
        if (Std is null || Std.Count != inputs) return $"std must hold {inputs} numbers (as mean), got {Std?.Count ?? 0}";
        if (Std.Any(s => !float.IsFinite(s) || s <= 0)) return "std must be finite numbers > 0";
        if (Mean.Any(m => !float.IsFinite(m))) return "mean must be finite numbers";
        if (!float.IsFinite(Low) || !float.IsFinite(High) || Low > High) return $"low and high must be finite with low <= high, got {Low} and {High}";
        if (HiddenWeights is null || HiddenWeights.Count != Hidden * inputs) return $"hiddenWeights must hold hidden × inputs = {Hidden * inputs} numbers, got {HiddenWeights?.Count ?? 0}";
        if (HiddenBias is null || HiddenBias.Count != Hidden) return $"hiddenBias must hold {Hidden} numbers, got {HiddenBias?.Count ?? 0}";
        if (OutputWeights is null || OutputWeights.Count != Hidden) return $"outputWeights must hold {Hidden} numbers, got {OutputWeights?.Count ?? 0}";
        if (HiddenWeights.Concat(HiddenBias).Concat(OutputWeights).Append(OutputBias).Any(w => !float.IsFinite(w))) return "weights must be finite numbers";
        return null;
    }
}
