using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Tests.Learning;

/// <summary>
/// Generated samples with a known, non-linear latency law (a roofline: the slower of compute and
/// memory traffic, plus a fixed overhead, with depthwise convs running at a lower FLOP rate) and
/// deterministic ±2% jitter. Real configurations, real FLOPs and bytes; only the clock is invented,
/// so tests are fast and cannot be flaky.
/// </summary>
internal static class PredictionTestData
{
    public static double LawMs(OperatorNode node)
    {
        var depthwise = node.Kind == OperatorKind.Conv2d && node.Attributes.Groups > 1;
        var compute = node.Flops / (depthwise ? 2e9 : 2e10) * 1e3;
        var memory = (node.InputBytes + node.OutputBytes + node.ParameterBytes) / 8e9 * 1e3;
        return 0.005 + Math.Max(compute, memory);
    }

    public static IReadOnlyList<OperatorSample> Samples(int count, int seed, IReadOnlyList<OperatorKind>? kinds = null)
    {
        var jitter = new Random(seed);
        return new SamplingSpace(seed).Draw(kinds ?? SamplingSpace.Kinds, count)
            .Select(c => new OperatorSample(c, LawMs(c.ToNode()) * (1 + 0.02 * (2 * jitter.NextDouble() - 1)), Threads: 1))
            .ToArray();
    }
}
