using AdaMec.Core.Atoms;
using AdaMec.Core.Partitioning;
using AdaMec.Core.Planning;

namespace AdaMec.Runtime.Zoo;

/// <summary>
/// Planning problems built from the zoo's real atoms under the paper's Table 4 contexts, for the
/// planner benchmark. Only atom specs are needed (no weight files): each model is pre-partitioned
/// with the given latency model, and each device's atom latency is the reference prediction times
/// that device's slowdown.
/// </summary>
/// <remarks>
/// Device speeds are an emulation assumption, not a measurement: the paper's smartwatch (D_A,
/// Cortex-A53), Raspberry Pi 4B (D_B, Cortex-A72) and Jetson AGX (D_C) relative to this machine.
/// </remarks>
public static class ZooPlanningProblems
{
    public static IReadOnlyDictionary<string, double> DefaultSlowdowns { get; } = new Dictionary<string, double>
    {
        [PaperContexts.DeviceA] = 8,
        [PaperContexts.DeviceB] = 4,
        [PaperContexts.DeviceC] = 1,
    };

    /// <summary>The model's atoms as the planner sees them, latencies per Table 4 device.</summary>
    public static IReadOnlyList<PlanningAtom> Atoms(string model, IOperatorLatencyModel latency, IReadOnlyDictionary<string, double>? slowdowns = null)
    {
        slowdowns ??= DefaultSlowdowns;
        var partition = new PrePartitioner(latency).Partition(ModelZoo.Graph(model));
        return partition.Ranges.Select((range, index) =>
        {
            var nodes = partition.Graph.Slice(range.Start, range.End);
            var ms = partition.PredictedMs(range.Start, range.End);
            return new PlanningAtom(
                $"{model}.a{index}",
                AtomMetrics.Flops(nodes),
                AtomMetrics.WeightBytes(nodes),
                AtomMetrics.MemoryBytes(nodes),
                nodes[^1].OutputBytes,
                slowdowns.ToDictionary(d => d.Key, d => ms * d.Value, StringComparer.Ordinal));
        }).ToArray();
    }

    /// <summary>Writes {model}-table4-HHMM.json for every zoo model and Table 4 context; returns the paths.</summary>
    public static IReadOnlyList<string> WriteTable4(string directory, IOperatorLatencyModel latency)
    {
        var paths = new List<string>();
        foreach (var model in ModelZoo.Names)
        {
            var graph = ModelZoo.Graph(model);
            paths.AddRange(PaperContexts.WriteTable4Problems(directory, model, Atoms(model, latency), graph.InputShape.Bytes));
        }
        return paths;
    }
}
