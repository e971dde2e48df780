using System.Diagnostics;
using AdaMec.Core.Graph;
using AdaMec.Core.Partitioning;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Execution;

/// <summary>
/// Per-operator latencies measured on this machine: run the model once to get every operator's
/// real inputs, then time each operator alone (warm-up, then the median of repeats; sub-0.1 ms
/// timings are noisy, medians keep them usable). Answers only for the graph it measured.
/// </summary>
public sealed class MeasuredLatencyModel : IOperatorLatencyModel
{
    private readonly Dictionary<string, double> _ms;

    private MeasuredLatencyModel(Dictionary<string, double> ms) => _ms = ms;

    public string Name => "measured";

    public IReadOnlyDictionary<string, double> Milliseconds => _ms;

    public double PredictMs(OperatorNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return _ms.TryGetValue(node.Name, out var ms)
            ? ms
            : throw new ArgumentException($"Operator '{node.Name}' was not measured.", nameof(node));
    }

    public static MeasuredLatencyModel Measure(OperatorGraph graph, int warmup = 2, int repeats = 7)
    {
        ArgumentNullException.ThrowIfNull(graph);
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var values = new Dictionary<int, Tensor> { [OperatorNode.GraphInput] = randn(graph.InputShape.ToLongArray(), generator: new Generator(1)) };
        var ms = new Dictionary<string, double>();
        var timings = new double[repeats];
        foreach (var node in graph.Nodes)
        {
            using var module = OperatorModules.Create(node);
            module?.eval();
            var inputs = node.Inputs.Select(p => values[p]).ToArray();
            Tensor Run() => module is not null ? module.call(inputs[0]) : OperatorModules.Combine(node, inputs);
            for (var w = 0; w < warmup; w++) Run().Dispose();
            for (var r = 0; r < repeats; r++)
            {
                var start = Stopwatch.GetTimestamp();
                var output = Run();
                timings[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                output.Dispose();
            }
            Array.Sort(timings);
            ms[node.Name] = timings[repeats / 2];
            values[node.Id] = Run();
        }
        return new MeasuredLatencyModel(ms);
    }
}
