using AdaMec.Core.Graph;

namespace AdaMec.Core.Partitioning;

/// <summary>
/// Latency of single operators on the machine the model describes (the reference device). Other
/// devices scale it by their speed factor. The pre-partitioner and the planner take this as a
/// dependency: measured timings, or the learned runtime predictor, plug in here.
/// </summary>
public interface IOperatorLatencyModel
{
    /// <summary>Short name shown in reports, e.g. "measured" or "predictor:fasttree".</summary>
    string Name { get; }

    /// <summary>Predicted execution time of <paramref name="node"/> in milliseconds (finite, >= 0).</summary>
    double PredictMs(OperatorNode node);
}
