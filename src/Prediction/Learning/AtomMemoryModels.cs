using AdaMec.Core.Atoms;

namespace AdaMec.Prediction.Learning;

/// <summary>
/// Exports what devices need to apply formula 6 themselves (<see cref="AtomMemoryModel"/>): per
/// operator of every atom, f_pre inside a network, its footprint and its feature vector, plus f_mem's
/// weights. Features and f_pre need the learners (ML.NET, TorchSharp), which only the CLI carries;
/// f_mem's network then runs anywhere from plain numbers.
/// </summary>
public static class AtomMemoryModels
{
    /// <summary>The memory model of <paramref name="atoms"/> under <paramref name="predictor"/>; null when it has no f_mem.</summary>
    public static AtomMemoryModel? Build(IReadOnlyList<AtomSpec> atoms, LearnedLatencyModel predictor)
    {
        ArgumentNullException.ThrowIfNull(atoms);
        ArgumentNullException.ThrowIfNull(predictor);
        if (predictor.Memory is not { } memory) return null;
        var model = new AtomMemoryModel
        {
            Network = memory.ExportWeights(),
            ProfiledThreads = predictor.Threads,
            Atoms = atoms.Select(a => (IReadOnlyList<OperatorMemoryInputs>)a.Nodes.Select(n => new OperatorMemoryInputs(
                predictor.PredictInModelMs(n), n.InputBytes + n.OutputBytes + n.ParameterBytes, OperatorFeatures.Extract(n))).ToArray()).ToArray(),
        };
        model.Validate(atoms);
        return model;
    }

    /// <summary>
    /// <paramref name="manifest"/> with the memory model of <paramref name="predictor"/> (unchanged when
    /// the predictor has no f_mem).
    /// </summary>
    public static AtomManifest Attach(AtomManifest manifest, LearnedLatencyModel predictor)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Build(manifest.Atoms, predictor) is { } model ? manifest with { MemoryModel = model } : manifest;
    }
}
