using AdaMec.Core.Graph;

namespace AdaMec.Core.Atoms;

/// <summary>Cost figures of a run of operators, as the planner's cost model needs them.</summary>
public static class AtomMetrics
{
    public static long Flops(IReadOnlyList<OperatorNode> nodes) => nodes.Sum(n => n.Flops);

    public static long Macs(IReadOnlyList<OperatorNode> nodes) => nodes.Sum(n => n.Macs);

    public static long WeightBytes(IReadOnlyList<OperatorNode> nodes) => nodes.Sum(n => n.ParameterBytes);

    /// <summary>Weights plus the largest single operator's input and output: the resident set while it runs.</summary>
    public static long MemoryBytes(IReadOnlyList<OperatorNode> nodes) =>
        WeightBytes(nodes) + nodes.Max(n => n.InputBytes + n.OutputBytes);
}
