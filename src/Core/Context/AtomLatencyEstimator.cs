using AdaMec.Core.Atoms;

namespace AdaMec.Core.Context;

/// <summary>
/// Evaluates the memory correction f_mem (paper formula 6) from its exported weights
/// (<see cref="MemoryCorrectionWeights"/>), with no learning library: devices and the initiator run
/// this, the learners that trained it stay in the CLI. It repeats the trained network's arithmetic
/// in single precision, as the network ran it.
/// </summary>
public static class MemoryCorrectionEvaluator
{
    /// <summary>
    /// r, the predicted log slowdown of an operator under <paramref name="budgetBytes"/> of memory,
    /// clamped to the range seen in training; 0 for an identity correction.
    /// </summary>
    /// <param name="network">The correction's weights (validated).</param>
    /// <param name="features">The operator's feature vector (network inputs less the three computed here).</param>
    /// <param name="footprintBytes">Input + output + parameter bytes of the operator.</param>
    /// <param name="baseMs">f_pre of the operator, ms.</param>
    /// <param name="budgetBytes">Memory the device has for it, bytes (&gt; 0).</param>
    public static double LogSlowdown(MemoryCorrectionWeights network, IReadOnlyList<float> features, double footprintBytes, double baseMs, double budgetBytes)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(features);
        if (network.Identity) return 0;
        var inputs = network.Inputs;
        if (features.Count != inputs - MemoryCorrectionWeights.ExtraInputs)
            throw new ArgumentException($"features must hold {inputs - MemoryCorrectionWeights.ExtraInputs} numbers, got {features.Count}", nameof(features));
        if (!(budgetBytes > 0) || !double.IsFinite(budgetBytes)) throw new ArgumentOutOfRangeException(nameof(budgetBytes), budgetBytes, "budgetBytes must be a finite number > 0");
        Span<float> x = inputs <= 256 ? stackalloc float[inputs] : new float[inputs];
        for (var j = 0; j < features.Count; j++) x[j] = features[j];
        // The same three inputs, in the same order and precision, as the network was trained on.
        x[features.Count] = (float)Math.Log(budgetBytes / 1e6);
        x[features.Count + 1] = (float)Math.Log((footprintBytes + 1) / budgetBytes);
        x[features.Count + 2] = (float)Math.Log(Math.Max(baseMs, 1e-4));
        for (var j = 0; j < inputs; j++) x[j] = (x[j] - network.Mean[j]) / network.Std[j];
        var output = network.OutputBias;
        for (var h = 0; h < network.Hidden; h++)
        {
            var sum = network.HiddenBias[h];
            var row = h * inputs;
            for (var j = 0; j < inputs; j++) sum += network.HiddenWeights[row + j] * x[j];
            if (sum > 0) output += network.OutputWeights[h] * sum;
        }
        return Math.Clamp(output, network.Low, network.High);
    }

    /// <summary>Formula 6 for one atom: Σ over its operators of f_pre·e^r under <paramref name="budgetBytes"/>, ms.</summary>
    public static double AtomMs(AtomMemoryModel model, int atom, double budgetBytes)
    {
        ArgumentNullException.ThrowIfNull(model);
        if ((uint)atom >= (uint)model.Atoms.Count) throw new ArgumentOutOfRangeException(nameof(atom), atom, $"atom must be 0..{model.Atoms.Count - 1}");
        var total = 0.0;
        foreach (var op in model.Atoms[atom])
        {
            total += op.Ms <= 0 ? 0 : op.Ms * Math.Exp(LogSlowdown(model.Network, op.Features, op.FootprintBytes, op.Ms, budgetBytes));
        }
        return total;
    }
}

/// <summary>How a device's per-atom latencies were predicted.</summary>
public static class AtomLatencyBasis
{
    /// <summary>The manifest's f_pre per operator with f_mem at the device's available memory, times its measured speed.</summary>
    public const string MemoryCorrected = "f_mem";

    /// <summary>The manifest's predictedMs times the device's speed (no memory correction in the manifest, or memory unknown).</summary>
    public const string Speed = "speed";
}

/// <summary>
/// A device's predicted latency for each atom of a deployment under its context now: with a memory
/// model in the manifest and a known amount of available memory, formula 6 per atom
/// (<see cref="MemoryCorrectionEvaluator.AtomMs"/>); else the manifest's prediction. Either is then
/// scaled by the device's measured speed (how many times slower than the predictor its atoms run).
/// </summary>
public static class AtomLatencyEstimator
{
    /// <summary>Per-atom predicted ms, and which basis they rest on (<see cref="AtomLatencyBasis"/>).</summary>
    /// <param name="predictedMs">The manifest's predictedMs per atom, chain order.</param>
    /// <param name="model">The manifest's memory model, or null.</param>
    /// <param name="speed">The device's speed (finite, &gt; 0).</param>
    /// <param name="availableMemoryBytes">Memory the device has available now; negative: unknown.</param>
    public static (double[] AtomMs, string Basis) Predict(IReadOnlyList<double> predictedMs, AtomMemoryModel? model, double speed, long availableMemoryBytes)
    {
        ArgumentNullException.ThrowIfNull(predictedMs);
        if (!double.IsFinite(speed) || speed <= 0) throw new ArgumentOutOfRangeException(nameof(speed), speed, "speed must be a finite number > 0");
        if (model is not null && model.Atoms.Count != predictedMs.Count)
            throw new ArgumentException($"the memory model lists {model.Atoms.Count} atoms, the deployment {predictedMs.Count}", nameof(model));
        if (model is null || availableMemoryBytes <= 0)
            return (predictedMs.Select(ms => ms * speed).ToArray(), AtomLatencyBasis.Speed);
        return (Enumerable.Range(0, predictedMs.Count).Select(i => MemoryCorrectionEvaluator.AtomMs(model, i, availableMemoryBytes) * speed).ToArray(),
            AtomLatencyBasis.MemoryCorrected);
    }
}
