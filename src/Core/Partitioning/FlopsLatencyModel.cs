using AdaMec.Core.Graph;

namespace AdaMec.Core.Partitioning;

/// <summary>
/// Analytic latency: FLOPs over a throughput plus memory traffic over a bandwidth plus a fixed
/// per-operator cost (the linear-on-FLOPs model Neurosurgeon uses, with a memory term). Instant
/// to evaluate and machine-independent; less accurate than measuring or the learned predictor.
/// </summary>
public sealed class FlopsLatencyModel(double gflopsPerSecond = 50, double memoryGBPerSecond = 10, double overheadMs = 0.01) : IOperatorLatencyModel
{
    public string Name => $"flops({gflopsPerSecond:0.#} GFLOP/s)";

    public double PredictMs(OperatorNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var bytes = node.InputBytes + node.OutputBytes + node.ParameterBytes;
        return overheadMs + node.Flops / (gflopsPerSecond * 1e6) + bytes / (memoryGBPerSecond * 1e6);
    }
}
