using System.Diagnostics;
using AdaMec.Core.Graph;
using AdaMec.Runtime.Execution;
using TorchSharp;
using static TorchSharp.torch;

namespace AdaMec.Prediction.Profiling;

/// <summary>How an operator (or a model) is timed: warm-up runs, then the median of repeats.</summary>
/// <param name="Warmup">Untimed runs first (allocator, caches, lazy kernels).</param>
/// <param name="MinRepeats">At least this many timed runs.</param>
/// <param name="MaxRepeats">At most this many timed runs.</param>
/// <param name="TargetMs">Keep repeating (up to <paramref name="MaxRepeats"/>) until this much time was measured, so short ops get more runs.</param>
/// <param name="FlushBytes">
/// When positive, before each timed run a buffer this large is read (evicting the operator's
/// weights and code from the caches) and the inputs are read back in: an operator whose input was
/// just written by its predecessor while other layers pushed its own weights out. Zero: hot,
/// back-to-back repeats.
/// </param>
public sealed record TimingOptions(int Warmup = 3, int MinRepeats = 7, int MaxRepeats = 61, double TargetMs = 150, long FlushBytes = 0)
{
    /// <summary>Hot repeats: the median of back-to-back runs.</summary>
    public static TimingOptions Default { get; } = new();

    /// <summary>Cold weights, warm input: 64 MB (twice this machine's L3) read before each run.</summary>
    public static TimingOptions Cold { get; } = new(Warmup: 2, MinRepeats: 9, MaxRepeats: 31, TargetMs: 60, FlushBytes: 64L << 20);
}

/// <summary>Which cache state an operator is timed in (see <see cref="OperatorTimer.Time(OperatorNode, TimingMode)"/>).</summary>
public enum TimingMode
{
    /// <summary>Back-to-back repeats: everything the operator touches stays cached. Underestimates it inside a model.</summary>
    Hot,

    /// <summary>Weights evicted before each run, input warm. Overestimates it inside a model.</summary>
    Cold,

    /// <summary>
    /// The mean of the hot and cold medians. Inside a model some of an operator's weights survive
    /// in the caches and some do not; on this machine the zoo's summed hot timings were 15-29% under
    /// the whole-model medians and the cold ones 5-42% over, and their mean came within about 10%.
    /// </summary>
    InModel,
}

/// <summary>One timing: the median and the spread of the repeats.</summary>
/// <param name="MedianMs">Median of the timed runs.</param>
/// <param name="IqrMs">Interquartile range of the timed runs (noise indicator).</param>
/// <param name="Repeats">Timed runs taken.</param>
public readonly record struct Timing(double MedianMs, double IqrMs, int Repeats);

/// <summary>
/// Times single operators and whole models the way <see cref="GraphSliceModule"/> runs them:
/// module call (or <see cref="OperatorModules.Combine"/>) on a ready input, result disposed, in
/// inference mode, one thread count for the process.
/// </summary>
public static class OperatorTimer
{
    /// <summary>Sets libtorch's intra-op thread count (the profile is only valid at that count).</summary>
    public static void SetThreads(int threads)
    {
        if (threads <= 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Threads must be positive.");
        torch.set_num_threads(threads);
    }

    /// <summary>Times an operator in the cache state <paramref name="mode"/> describes.</summary>
    public static Timing Time(OperatorNode node, TimingMode mode)
    {
        switch (mode)
        {
            case TimingMode.Hot:
                return Time(node, TimingOptions.Default with { TargetMs = 100 });
            case TimingMode.Cold:
                return Time(node, TimingOptions.Cold);
            default:
                var hot = Time(node, TimingOptions.Default with { TargetMs = 100 });
                var cold = Time(node, TimingOptions.Cold);
                return new Timing((hot.MedianMs + cold.MedianMs) / 2, Math.Abs(cold.MedianMs - hot.MedianMs) / 2, hot.Repeats + cold.Repeats);
        }
    }

    public static Timing Time(OperatorNode node, TimingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        options ??= TimingOptions.Default;
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var generator = new Generator(12345);
        var inputs = node.InputShapes.Select(s => randn(s.ToLongArray(), generator: generator)).ToArray();
        using var module = OperatorModules.Create(node);
        module?.eval();
        Func<Tensor> run = module is null ? () => OperatorModules.Combine(node, inputs) : () => module.call(inputs[0]);
        Action? prepare = null;
        if (options.FlushBytes > 0)
        {
            var flush = zeros(options.FlushBytes / sizeof(float));
            prepare = () =>
            {
                flush.sum().Dispose(); // read, not write: dirty flush lines would be written back during the timed run
                foreach (var input in inputs) input.sum().Dispose();
            };
        }
        return Measure(run, options, prepare);
    }

    /// <summary>Times a whole zoo model (or any slice module) end to end on a random input.</summary>
    public static Timing Time(GraphSliceModule slice, TimingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(slice);
        options ??= TimingOptions.Default;
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var input = randn(slice.InputShape.ToLongArray(), generator: new Generator(12345));
        return Measure(() => slice.call(input), options);
    }

    /// <summary>
    /// Times several modules round-robin, one forward pass of each per round, and returns each one's
    /// median and IQR. This machine's speed drifts by up to ±20% over tens of seconds (a conv timed
    /// 12 times in a row: 9.1 ms, then 10.7-10.9 ms); back-to-back repeats of one model would
    /// catch one moment of it, rounds spread every model over the same moments.
    /// </summary>
    public static IReadOnlyList<Timing> TimeRoundRobin(IReadOnlyList<GraphSliceModule> slices, int warmup = 3, int rounds = 15)
    {
        ArgumentNullException.ThrowIfNull(slices);
        if (rounds < 1) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "At least one round is needed.");
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var inputs = slices.Select(s => randn(s.InputShape.ToLongArray(), generator: new Generator(12345))).ToArray();
        var times = slices.Select(_ => new List<double>(rounds)).ToArray();
        for (var r = 0; r < warmup + rounds; r++)
        {
            for (var i = 0; i < slices.Count; i++)
            {
                var start = Stopwatch.GetTimestamp();
                slices[i].call(inputs[i]).Dispose();
                if (r >= warmup) times[i].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }
        return times.Select(Summarise).ToArray();
    }

    /// <summary>Default forward passes <see cref="TimeInside"/> takes the median of.</summary>
    public const int InsideRepeats = 15;

    /// <summary>
    /// Each operator's median time inside whole forward passes of <paramref name="slice"/>: the
    /// time from the previous operator's output to its own (bookkeeping between them included).
    /// Keyed by operator id. What a per-operator predictor should sum to.
    /// </summary>
    public static IReadOnlyDictionary<int, double> TimeInside(GraphSliceModule slice, int warmup = 3, int repeats = InsideRepeats)
    {
        ArgumentNullException.ThrowIfNull(slice);
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var input = randn(slice.InputShape.ToLongArray(), generator: new Generator(12345));
        var runs = slice.Nodes.ToDictionary(n => n.Id, _ => new List<double>(repeats));
        for (var r = 0; r < warmup + repeats; r++)
        {
            var last = Stopwatch.GetTimestamp();
            var timed = r >= warmup;
            slice.ForwardObserved(input, (id, _) =>
            {
                var now = Stopwatch.GetTimestamp();
                if (timed) runs[id].Add(Stopwatch.GetElapsedTime(last, now).TotalMilliseconds);
                last = now;
            }).Dispose();
        }
        return runs.ToDictionary(p => p.Key, p => Quantile(p.Value.Order().ToArray(), 0.5));
    }

    private static Timing Measure(Func<Tensor> run, TimingOptions options, Action? prepare = null)
    {
        for (var i = 0; i < options.Warmup; i++) run().Dispose();
        var times = new List<double>(options.MaxRepeats);
        var total = 0.0;
        while (times.Count < options.MinRepeats || (times.Count < options.MaxRepeats && total < options.TargetMs))
        {
            prepare?.Invoke();
            var start = Stopwatch.GetTimestamp();
            run().Dispose();
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            times.Add(ms);
            total += ms;
        }
        return Summarise(times);
    }

    /// <summary>Median and IQR of timed runs (sorts <paramref name="times"/> in place).</summary>
    private static Timing Summarise(List<double> times)
    {
        times.Sort();
        return new Timing(Quantile(times, 0.5), Quantile(times, 0.75) - Quantile(times, 0.25), times.Count);
    }

    internal static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        var position = q * (sorted.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(sorted.Count - 1, lower + 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
