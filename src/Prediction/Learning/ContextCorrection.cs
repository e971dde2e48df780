using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;
using Microsoft.ML;

namespace AdaMec.Prediction.Learning;

/// <summary>What the calibration networks showed for one operator kind (for reports).</summary>
/// <param name="Count">Calibration operators of the kind.</param>
/// <param name="MedianRatio">Median of in-model time over f_pre's isolated prediction.</param>
public sealed record InModelSummary(int Count, double MedianRatio);

/// <summary>
/// Turns f_pre's prediction for an operator timed alone and hot (back-to-back repeats, the
/// repeatable measurement the learners are trained and judged on) into its latency inside a
/// network, where its weights were evicted by the layers in between, its input may or may not
/// still be cached and every operator pays for dispatch and bookkeeping:
/// in-model = f_pre·e^r, with the log ratio r learned by gradient-boosted trees (ML.NET FastTree)
/// from the operator's features and log f_pre, on operators timed inside the seeded random
/// <see cref="CalibrationNetworks"/> (never the zoo).
/// </summary>
/// <remarks>
/// Trees replaced one power law per kind (in-model = scale·f_pre^exponent). Judged on whole
/// calibration networks the fit never saw, the laws put 31 of 48 within ±10% (mean |error| 8.2%,
/// worst 30%, leave-one-network-out) and the trees 37 (6.8%, worst 23%, 8-fold by network:
/// `adamec predictor networks`), both on a single-pass calibration. A law bends one curve
/// through a kind: max-pools after a ReLU run faster inside a network than alone (the zeros make
/// the comparisons predictable) and after a leaky ReLU do not, and the law's exponent of 0.83
/// then took a third off Tiny-YOLO's large pools, which run as fast inside it as alone.
/// </remarks>
public sealed class ContextCorrection
{
    /// <summary>Fewer calibration operators than this and there is nothing to learn from.</summary>
    public const int MinCount = 8;

    private const int Width = OperatorFeatures.Count + 1;
    private const string ModelEntry = "model.zip";
    private const string StateEntry = "state.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly MLContext _ml;
    private readonly ITransformer _transformer;
    private readonly PredictionEngine<FeatureRow, ScoreRow> _engine;
    private readonly Lock _gate = new();
    private readonly State _state;

    private ContextCorrection(MLContext ml, ITransformer transformer, State state)
    {
        _ml = ml;
        _transformer = transformer;
        _state = state;
        _engine = ml.Model.CreatePredictionEngine<FeatureRow, ScoreRow>(transformer, inputSchemaDefinition: FeatureRow.Schema(Width));
    }

    /// <summary>Calibration operators the trees learned from.</summary>
    public int Count => _state.Count;

    /// <summary>Per operator kind: how many calibration operators and their median in-model/isolated ratio.</summary>
    public IReadOnlyDictionary<string, InModelSummary> Kinds => _state.Kinds;

    /// <summary>In-model time over isolated time for <paramref name="node"/>, never outside the ratios calibration saw.</summary>
    public double Ratio(OperatorNode node, double isolatedMs)
    {
        ArgumentNullException.ThrowIfNull(node);
        float score;
        lock (_gate)
        {
            score = _engine.Predict(new FeatureRow { Features = Features(node, isolatedMs) }).Score;
        }
        return Math.Exp(double.IsFinite(score) ? Math.Clamp(score, _state.Low, _state.High) : 0);
    }

    /// <summary>The operator's latency inside a network, from f_pre's isolated prediction.</summary>
    public double InModelMs(OperatorNode node, double isolatedMs) =>
        isolatedMs <= 0 ? 0 : isolatedMs * Ratio(node, isolatedMs);

    /// <summary>
    /// Learns the correction: <paramref name="calibration"/> holds operators timed inside calibration
    /// networks, <paramref name="isolatedMs"/> gives f_pre's prediction for each.
    /// </summary>
    public static ContextCorrection Fit(IReadOnlyList<OperatorSample> calibration, Func<OperatorNode, double> isolatedMs, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(isolatedMs);
        var points = calibration
            .Select(s => (s.Node, Kind: s.Config.Kind, X: isolatedMs(s.Node), Y: s.LatencyMs))
            .Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && p.X > 0 && p.Y > 0)
            .ToArray();
        if (points.Length < MinCount)
        {
            throw new ArgumentException($"The in-model correction needs at least {MinCount} calibration operators with positive times; got {points.Length}.", nameof(calibration));
        }
        var rows = points.Select(p => new FeatureRow { Features = Features(p.Node, p.X), Label = (float)Math.Log(p.Y / p.X) }).ToArray();
        var ml = new MLContext(seed);
        // Shallow trees and large leaves: calibration timings are single forward passes' medians
        // of operators inside networks; the trees should find the effect of size, weights and
        // kind, not the noise of one operator.
        var trainer = ml.Regression.Trainers.FastTree(nameof(FeatureRow.Label), nameof(FeatureRow.Features),
            numberOfLeaves: 16, numberOfTrees: 400, minimumExampleCountPerLeaf: Math.Clamp(rows.Length / 50, 2, 20), learningRate: 0.05);
        var transformer = trainer.Fit(ml.Data.LoadFromEnumerable(rows, FeatureRow.Schema(Width)));
        var kinds = points.GroupBy(p => p.Kind.ToName())
            .ToDictionary(g => g.Key, g => new InModelSummary(g.Count(), KindModel.Median(g.Select(p => p.Y / p.X))), StringComparer.Ordinal);
        var state = new State(points.Length, rows.Min(r => r.Label), rows.Max(r => r.Label), kinds);
        return new ContextCorrection(ml, transformer, state);
    }

    /// <summary>One line per kind and a total, for `predictor train`.</summary>
    public IEnumerable<string> Describe() =>
        Kinds.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"in-model {p.Key,-16} x{p.Value.MedianRatio,6:F3} median  ({p.Value.Count} operators)"))
            .Append(string.Create(CultureInfo.InvariantCulture, $"in-model correction: FastTree on {Count} calibration operators, ratios x{Math.Exp(_state.Low):F3}..x{Math.Exp(_state.High):F3}"));

    /// <summary>Writes the trees and the state (ratio range, per-kind summary) as one zip stream.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        using (var model = zip.CreateEntry(ModelEntry).Open())
        {
            _ml.Model.Save(_transformer, _ml.Data.LoadFromEnumerable(Array.Empty<FeatureRow>(), FeatureRow.Schema(Width)).Schema, model);
        }
        using var state = zip.CreateEntry(StateEntry).Open();
        JsonSerializer.Serialize(state, _state, Json);
    }

    public static ContextCorrection Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            State state;
            using (var entry = Open(zip, StateEntry))
            {
                state = JsonSerializer.Deserialize<State>(entry, Json) ?? throw new InvalidDataException("Empty in-model correction state.");
            }
            if (state.Kinds is null || !double.IsFinite(state.Low) || !double.IsFinite(state.High) || state.Low > state.High || state.Count < MinCount)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"In-model correction state is invalid: {state.Count} operators, log ratios {state.Low}..{state.High}."));
            }
            var ml = new MLContext(1);
            using var model = new MemoryStream();
            using (var entry = Open(zip, ModelEntry)) entry.CopyTo(model);
            model.Position = 0;
            return new ContextCorrection(ml, ml.Model.Load(model, out _), state);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Unreadable in-model correction: {e.Message}", e);
        }
    }

    private static Stream Open(ZipArchive zip, string name) =>
        (zip.GetEntry(name) ?? throw new InvalidDataException($"The in-model correction lacks '{name}'.")).Open();

    private static float[] Features(OperatorNode node, double isolatedMs)
    {
        var v = new float[Width];
        OperatorFeatures.Extract(node).CopyTo(v, 0);
        v[^1] = (float)Math.Log(Math.Max(isolatedMs, 1e-6));
        return v;
    }

    private sealed record State(int Count, double Low, double High, Dictionary<string, InModelSummary> Kinds);
}
