using System.Globalization;
using System.Text.Json;
using AdaMec.Core.Graph;
using AdaMec.Inference.Profiling;

namespace AdaMec.Inference.Prediction;

/// <summary>
/// The in-model latency of one operator kind as a power of its isolated prediction:
/// Scale·f_pre^Exponent (ms). An exponent below 1 says small operators lose more inside a network
/// (dispatch, cold code and caches weigh more on them) than large ones, whose time is their own work.
/// </summary>
/// <param name="Scale">In-model ms of an operator predicted at 1 ms alone.</param>
/// <param name="Exponent">How the in-model time grows with the isolated one.</param>
/// <param name="Count">Calibration operators the law was fitted on.</param>
public sealed record InModelLaw(double Scale, double Exponent, int Count)
{
    public double Apply(double isolatedMs) => isolatedMs <= 0 ? 0 : Scale * Math.Pow(isolatedMs, Exponent);
}

/// <summary>
/// Turns f_pre's prediction for an operator timed alone and hot (back-to-back repeats, the
/// repeatable measurement the learners are trained and judged on) into its latency inside a
/// network, where its weights were evicted by the layers in between and every operator pays for
/// dispatch and bookkeeping. One power law per operator kind, fitted by least squares in log
/// space on operators timed inside the seeded random <see cref="CalibrationNetworks"/>;
/// kinds with fewer than <see cref="MinCount"/> calibration operators use the law pooled over all.
/// </summary>
public sealed class ContextCorrection
{
    /// <summary>Fewer calibration operators than this and a kind takes the pooled law.</summary>
    public const int MinCount = 8;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly Dictionary<string, InModelLaw> _laws;

    private ContextCorrection(Dictionary<string, InModelLaw> laws, InModelLaw pooled)
    {
        _laws = laws;
        Pooled = pooled;
    }

    public InModelLaw Pooled { get; }

    public IReadOnlyDictionary<string, InModelLaw> Laws => _laws;

    /// <summary>The law for <paramref name="kind"/> (the pooled one if the kind had too few calibration operators).</summary>
    public InModelLaw For(OperatorKind kind) => _laws.GetValueOrDefault(kind.ToName(), Pooled);

    /// <summary>The operator's latency inside a network, from f_pre's isolated prediction.</summary>
    public double InModelMs(OperatorNode node, double isolatedMs)
    {
        ArgumentNullException.ThrowIfNull(node);
        return For(node.Kind).Apply(isolatedMs);
    }

    /// <summary>
    /// Fits the laws: <paramref name="calibration"/> holds operators timed inside calibration
    /// networks, <paramref name="isolatedMs"/> gives f_pre's prediction for each.
    /// </summary>
    public static ContextCorrection Fit(IReadOnlyList<OperatorSample> calibration, Func<OperatorNode, double> isolatedMs)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(isolatedMs);
        if (calibration.Count < MinCount) throw new ArgumentException($"The in-model correction needs at least {MinCount} calibration operators; got {calibration.Count}.", nameof(calibration));
        var points = calibration.Select(s => (s.Config.Kind, X: isolatedMs(s.Node), Y: s.LatencyMs)).ToArray();
        var laws = points.GroupBy(p => p.Kind)
            .Where(g => g.Count() >= MinCount)
            .ToDictionary(g => g.Key.ToName(), g => Law(g.Select(p => (p.X, p.Y)).ToArray()));
        return new ContextCorrection(laws, Law(points.Select(p => (p.X, p.Y)).ToArray()));
    }

    /// <summary>An exponent is fitted only when the isolated predictions span at least this factor.</summary>
    public const double MinSpread = 10;

    // Least squares on log y = log Scale + Exponent·log x: relative error counts, so the many
    // small operators weigh as much as the few large ones. When the operators are all about the
    // same size the slope cannot be told from the level (48 dropouts of ~0.2 µs): then the
    // exponent is 1 and only the level is fitted.
    private static InModelLaw Law((double X, double Y)[] points)
    {
        var usable = points.Where(p => p.X > 0 && p.Y > 0).Select(p => (X: Math.Log(p.X), Y: Math.Log(p.Y))).ToArray();
        if (usable.Length == 0) return new InModelLaw(1, 1, points.Length);
        var mx = usable.Average(p => p.X);
        var my = usable.Average(p => p.Y);
        var spread = usable.Max(p => p.X) - usable.Min(p => p.X);
        if (usable.Length < MinCount || spread < Math.Log(MinSpread)) return new InModelLaw(Math.Exp(my - mx), 1, points.Length);
        var sxx = usable.Sum(p => (p.X - mx) * (p.X - mx));
        var slope = Math.Max(0, usable.Sum(p => (p.X - mx) * (p.Y - my)) / sxx);
        return new InModelLaw(Math.Exp(my - slope * mx), slope, points.Length);
    }

    public void Save(Stream stream) =>
        JsonSerializer.Serialize(stream, new Stored(_laws.ToDictionary(p => p.Key, p => p.Value), Pooled), Json);

    public static ContextCorrection Load(Stream stream)
    {
        var stored = JsonSerializer.Deserialize<Stored>(stream, Json) ?? throw new InvalidDataException("Empty in-model correction.");
        if (stored.Laws is null || stored.Pooled is null) throw new InvalidDataException("The in-model correction lacks its per-kind laws or its pooled law.");
        foreach (var (kind, law) in stored.Laws.Append(new("pooled", stored.Pooled)))
        {
            if (!double.IsFinite(law.Scale) || !double.IsFinite(law.Exponent) || law.Scale < 0 || law.Exponent < 0)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"In-model correction for '{kind}': scale {law.Scale} and exponent {law.Exponent} must be finite and >= 0."));
            }
        }
        return new ContextCorrection(stored.Laws, stored.Pooled);
    }

    private sealed record Stored(Dictionary<string, InModelLaw> Laws, InModelLaw Pooled);
}
