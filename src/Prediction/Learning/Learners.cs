using AdaMec.Core.Graph;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AdaMec.Prediction.Learning;

/// <summary>The regressors compared side by side (all from ML.NET; none hand-written).</summary>
public enum LearnerKind
{
    /// <summary>Neurosurgeon: latency linear in the operator's FLOPs (bytes for ops without arithmetic), per kind.</summary>
    LinearFlops,

    /// <summary>Edgent: degree-2 polynomial of FLOPs, input, output and parameter sizes, per kind.</summary>
    Polynomial,

    /// <summary>The paper's random forest (ML.NET FastForest) on the engineered features, log latency.</summary>
    Forest,

    /// <summary>Gradient-boosted trees (ML.NET FastTree) on the engineered features, log latency.</summary>
    FastTree,

    /// <summary>Gradient-boosted trees (LightGBM through ML.NET) on the engineered features, log latency.</summary>
    LightGbm,

    /// <summary>A small ensemble of fully connected networks (TorchSharp) on the engineered features, log latency.</summary>
    Mlp,

    /// <summary>FastTree and the network ensemble together: the geometric mean of their predictions.</summary>
    FastTreeMlp,
}

public static class LearnerNames
{
    private static readonly Dictionary<LearnerKind, string> Names = new()
    {
        [LearnerKind.LinearFlops] = "linear-flops",
        [LearnerKind.Polynomial] = "polynomial",
        [LearnerKind.Forest] = "forest",
        [LearnerKind.FastTree] = "fasttree",
        [LearnerKind.LightGbm] = "lightgbm",
        [LearnerKind.Mlp] = "mlp",
        [LearnerKind.FastTreeMlp] = "fasttree+mlp",
    };

    public static IReadOnlyList<LearnerKind> All { get; } = Enum.GetValues<LearnerKind>();

    public static string ToName(this LearnerKind kind) => Names[kind];

    public static LearnerKind Parse(string name) =>
        Names.FirstOrDefault(p => p.Value.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase)) is { Value: not null } hit
            ? hit.Key
            : throw new FormatException($"Unknown learner '{name}'. Known: {string.Join(", ", Names.Values)}.");

    public static IReadOnlyList<LearnerKind> ParseList(string? list) =>
        string.IsNullOrWhiteSpace(list) || list.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)
            ? All
            : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).Distinct().ToArray();
}

/// <summary>One ML.NET row: a feature vector and its label (every learned model here reads these).</summary>
internal sealed class FeatureRow
{
    public float[] Features { get; set; } = [];

    public float Label { get; set; }

    /// <summary>The row schema with the feature vector's length fixed (ML.NET needs it).</summary>
    public static SchemaDefinition Schema(int width)
    {
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return schema;
    }
}

internal sealed class ScoreRow
{
    public float Score { get; set; }
}

/// <summary>
/// A trained regressor for one operator kind (or the pooled fallback): an ML.NET transformer, a
/// network ensemble or both, plus how inputs and outputs are encoded; or a constant when a kind had
/// too few samples to learn.
/// </summary>
internal sealed class KindModel
{
    /// <summary>Below this many samples a kind is predicted by its median latency.</summary>
    public const int MinSamples = 12;

    private readonly MLContext _ml;
    private readonly ITransformer? _transformer;
    private readonly PredictionEngine<FeatureRow, ScoreRow>? _engine;
    private readonly MlpEnsemble? _networks;
    private readonly Lock _gate = new();

    public KindModel(MLContext ml, LearnerKind learner, ITransformer? transformer, double constantMs, MlpEnsemble? networks = null)
    {
        _ml = ml;
        Learner = learner;
        _transformer = transformer;
        _networks = networks;
        ConstantMs = constantMs;
        if (transformer is not null) _engine = ml.Model.CreatePredictionEngine<FeatureRow, ScoreRow>(transformer, inputSchemaDefinition: Schema(learner));
    }

    public LearnerKind Learner { get; }

    public double ConstantMs { get; }

    public bool IsConstant => _transformer is null && _networks is null;

    public bool HasTrees => _transformer is not null;

    public bool HasNetworks => _networks is not null;

    public static KindModel Train(MLContext ml, LearnerKind learner, IReadOnlyList<(OperatorNode Node, double LatencyMs)> samples, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var median = samples.Count == 0 ? 0.0 : Median(samples.Select(s => s.LatencyMs));
        if (samples.Count < MinSamples) return new KindModel(ml, learner, null, median);
        var labels = samples.Select(s => EncodeLabel(learner, s.Node, s.LatencyMs, median)).ToArray();
        var networks = learner is LearnerKind.Mlp or LearnerKind.FastTreeMlp
            ? MlpEnsemble.Train(samples.Select(s => s.Node).ToArray(), labels, seed)
            : null;
        if (learner == LearnerKind.Mlp) return new KindModel(ml, learner, null, median, networks);
        var rows = samples.Select((s, i) => new FeatureRow { Features = Encode(learner, s.Node), Label = (float)labels[i] }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows, Schema(learner));
        ITransformer transformer;
        try
        {
            transformer = Pipeline(ml, learner, samples.Count).Fit(data);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{learner.ToName()} failed on {samples.Count} {samples[0].Node.Kind} samples, labels {rows.Min(r => r.Label)}..{rows.Max(r => r.Label)}, x0 {rows.Min(r => r.Features[0])}..{rows.Max(r => r.Features[0])}: {e.Message}", e);
        }
        return new KindModel(ml, learner, transformer, median, networks);
    }

    public double PredictMs(OperatorNode node)
    {
        if (IsConstant) return ConstantMs;
        double score;
        lock (_gate)
        {
            var trees = _engine?.Predict(new FeatureRow { Features = Encode(Learner, node) }).Score;
            var networks = _networks?.Predict(node);
            // Both: the mean of two log-latency estimates, i.e. the geometric mean of the latencies.
            score = trees is { } t && networks is { } n ? (t + n) / 2 : trees ?? networks!.Value;
        }
        var ms = DecodeLabel(Learner, node, score, ConstantMs);
        return double.IsFinite(ms) ? Math.Max(ms, 1e-4) : ConstantMs;
    }

    public void SaveTrees(Stream stream)
    {
        if (_transformer is null) throw new InvalidOperationException("This model has no trained transformer to save.");
        _ml.Model.Save(_transformer, _ml.Data.LoadFromEnumerable(Array.Empty<FeatureRow>(), Schema(Learner)).Schema, stream);
    }

    public void SaveNetworks(Stream stream)
    {
        if (_networks is null) throw new InvalidOperationException("This model has no networks to save.");
        _networks.Save(stream);
    }

    public static KindModel Load(MLContext ml, LearnerKind learner, Stream? trees, Stream? networks, double constantMs) =>
        new(ml, learner, trees is null ? null : ml.Model.Load(trees, out _), constantMs, networks is null ? null : MlpEnsemble.Load(networks));

    /// <summary>Feature vector length per learner: FLOPs only, the degree-2 terms of four sizes, or everything.</summary>
    internal static int Width(LearnerKind learner) => learner switch
    {
        LearnerKind.LinearFlops => 1,
        LearnerKind.Polynomial => 14,
        _ => OperatorFeatures.Count,
    };

    private static SchemaDefinition Schema(LearnerKind learner) => FeatureRow.Schema(Width(learner));

    /// <summary>Tree and network learners see every feature and learn log latency; the baselines see only their own terms, in ms.</summary>
    internal static float[] Encode(LearnerKind learner, OperatorNode node)
    {
        switch (learner)
        {
            case LearnerKind.LinearFlops:
            {
                return [(float)(OperatorFeatures.Work(node) / 1e9)];
            }
            case LearnerKind.Polynomial:
            {
                double[] x = [node.Flops / 1e9, node.InputBytes / 1e6, node.OutputBytes / 1e6, node.ParameterBytes / 1e6];
                var v = new float[Width(learner)];
                var i = 0;
                foreach (var xi in x) v[i++] = (float)xi;
                for (var p = 0; p < x.Length; p++)
                {
                    for (var q = p; q < x.Length; q++) v[i++] = (float)(x[p] * x[q]);
                }
                return v;
            }
            default:
                return OperatorFeatures.Extract(node);
        }
    }

    private static bool LogTarget(LearnerKind learner) =>
        learner is LearnerKind.Forest or LearnerKind.FastTree or LearnerKind.LightGbm or LearnerKind.Mlp or LearnerKind.FastTreeMlp;

    // Linear learners fit ms relative to the kind's median latency (labels near 1 keep the
    // gradient steps well scaled); tree and network learners fit log ms.
    // They fit log(ms / reference): the time per unit of work, which varies far less than the
    // latency itself, so piecewise-constant trees need not staircase the smooth trend in FLOPs.
    private static double EncodeLabel(LearnerKind learner, OperatorNode node, double ms, double median) =>
        LogTarget(learner) ? Math.Log(ms) - LogReference(node) : ms / median;

    private static double DecodeLabel(LearnerKind learner, OperatorNode node, double score, double median) =>
        LogTarget(learner) ? Math.Exp(score + LogReference(node)) : score * median;

    /// <summary>
    /// A crude cost in arbitrary units (only its shape matters): blocked FLOPs / 2e9 (as the vector
    /// units execute them, see <see cref="OperatorFeatures.BlockedFlops"/>), bytes moved / 4e9, a
    /// conv's layout-copy bytes / 1e9 (<see cref="OperatorFeatures.CopiedElements"/>, a float read and
    /// written each), and 0.002 for the fixed cost of a call. The copies' weight was chosen on the
    /// profile's folds: conv within ±10% 69.0% without them, 70.8% at half this weight, 72.4% at this
    /// one, 71.7% at twice it (fold seed 1, conv only; measured before an input of fewer than 16
    /// channels stopped counting as copied).
    /// </summary>
    internal static double LogReference(OperatorNode node) =>
        Math.Log(0.002 + OperatorFeatures.BlockedFlops(node) / 2e9 + (node.InputBytes + node.OutputBytes + node.ParameterBytes) / 4e9
            + OperatorFeatures.CopiedElements(node) * 2 * sizeof(float) / 1e9);

    private static IEstimator<ITransformer> Pipeline(MLContext ml, LearnerKind learner, int count)
    {
        const string label = nameof(FeatureRow.Label);
        const string features = nameof(FeatureRow.Features);
        var leafMin = Math.Clamp(count / 200, 2, 5);
        return learner switch
        {
            // OLS needs the MKL package, which the package source lacks. One FLOPs column: online
            // gradient descent on the standardised column converges. The polynomial's squared terms
            // are heavy-tailed after standardising and made gradient descent diverge (R² -145,468);
            // SDCA fitted the real profile better (conv R² 0.88) but failed with non-finite weights
            // on other data, so: gradient descent with a small step on min-max scaled terms.
            LearnerKind.LinearFlops => ml.Transforms.NormalizeMeanVariance(features)
                .Append(ml.Regression.Trainers.OnlineGradientDescent(label, features, numberOfIterations: 200)),
            LearnerKind.Polynomial => ml.Transforms.NormalizeMinMax(features)
                .Append(ml.Regression.Trainers.OnlineGradientDescent(label, features, learningRate: 0.01f, numberOfIterations: 200)),
            LearnerKind.Forest => ml.Regression.Trainers.FastForest(label, features,
                numberOfLeaves: 64, numberOfTrees: 300, minimumExampleCountPerLeaf: leafMin),
            // From 10,000 samples on (conv on the 25,880-conv profile) larger trees: 96 leaves and 2,000
            // trees put 87.8% of held-out convs within ±10% against 87.4% with 48 and 1,500.
            LearnerKind.FastTree or LearnerKind.FastTreeMlp => ml.Regression.Trainers.FastTree(label, features,
                numberOfLeaves: count >= 10_000 ? 96 : count >= 1000 ? 48 : 16, numberOfTrees: count >= 10_000 ? 2000 : count >= 1000 ? 1500 : 400, minimumExampleCountPerLeaf: 2, learningRate: count >= 1000 ? 0.03 : 0.05),
            LearnerKind.LightGbm => ml.Regression.Trainers.LightGbm(label, features,
                numberOfLeaves: 24, minimumExampleCountPerLeaf: leafMin, learningRate: 0.05, numberOfIterations: 800),
            _ => throw new ArgumentOutOfRangeException(nameof(learner), learner, null),
        };
    }

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return 0;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
