using AdaMec.Core.Atoms;
using AdaMec.Core.Graph;

namespace AdaMec.Core.Partitioning;

/// <summary>
/// Once-for-all pre-partition (paper §3.1): start from every valid operator-level cut point and
/// keep those with a positive latency benefit in some reference context; the atoms are the runs
/// between kept points.
/// </summary>
/// <remarks>
/// Two rules decide a candidate:
/// <list type="number">
/// <item>Dominance: if the next candidate is reached through operators without multiply-accumulates
/// only (batch norm, activations, pooling, flatten, dropout...) and hands over no more bytes, cutting
/// there ships no more and leaves no real work behind, so this point is dropped. This is the paper's observation that points with large feature maps are
/// "almost impossible to be selected".</item>
/// <item>Benefit (formula 1): in each context (bandwidth x edge speed-up) the split is scored both
/// ways — offload the suffix to the edge, or run the prefix on the edge and return — and the point
/// is kept when the best score is >= 0.</item>
/// </list>
/// </remarks>
public sealed class PrePartitioner(IOperatorLatencyModel latency, PartitionOptions? options = null)
{
    private readonly PartitionOptions _options = options ?? new PartitionOptions();

    public PartitionResult Partition(OperatorGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        _options.Validate();
        var nodes = graph.Nodes;
        var ms = nodes.Select(n => CheckedPrediction(n)).ToArray();
        var prefix = new double[ms.Length + 1];
        for (var i = 0; i < ms.Length; i++) prefix[i + 1] = prefix[i] + ms[i];
        var localMs = prefix[^1];
        var requirement = _options.LatencyRequirementMs ?? localMs;

        var candidates = graph.ValidCutPoints();
        var decisions = new List<CutPointDecision>(candidates.Count);
        var kept = new List<int>();
        for (var c = 0; c < candidates.Count; c++)
        {
            var p = candidates[c];
            var bytes = nodes[p - 1].OutputBytes;
            var benefit = BestBenefit(graph, prefix, p, bytes, requirement);
            string reason;
            var keep = false;
            if (c + 1 < candidates.Count && DominatedBy(nodes, p, candidates[c + 1]))
            {
                reason = $"dominated by the cut before {nodes[candidates[c + 1]].Name}";
            }
            else if (benefit < 0)
            {
                reason = "no context where the saving pays for the transfer";
            }
            else
            {
                keep = true;
                reason = "positive latency benefit";
            }
            if (keep) kept.Add(p);
            decisions.Add(new CutPointDecision(p, nodes[p - 1].Name, bytes, benefit, keep, reason));
        }

        var report = new PartitionReport
        {
            LatencyModel = latency.Name,
            Operators = nodes.Count,
            ValidCutPoints = candidates.Count,
            LayerCutPoints = graph.LayerCutPoints().Count,
            KeptCutPoints = kept.Count,
            CutPoints = decisions,
        };
        return new PartitionResult(graph, kept, ms, report);
    }

    private double CheckedPrediction(OperatorNode node)
    {
        var value = latency.PredictMs(node);
        return double.IsFinite(value) && value >= 0
            ? value
            : throw new InvalidOperationException($"Latency model '{latency.Name}' predicted {value} ms for '{node.Name}'.");
    }

    // The next candidate q is reachable through cheap element-wise or pooling operators (no MACs)
    // and hands over no more bytes: splitting at q instead ships no more and moves only cheap work.
    private static bool DominatedBy(IReadOnlyList<OperatorNode> nodes, int p, int q)
    {
        if (nodes[q - 1].OutputBytes > nodes[p - 1].OutputBytes) return false;
        for (var i = p; i < q; i++)
        {
            if (nodes[i].Macs > 0) return false;
        }
        return true;
    }

    private double BestBenefit(OperatorGraph graph, double[] prefix, int p, long bytes, double requirement)
    {
        var total = prefix[^1];
        var best = double.NegativeInfinity;
        foreach (var mbps in _options.BandwidthsMbps)
        {
            foreach (var speedup in _options.EdgeSpeedups)
            {
                // Suffix on the edge: input stays, the cut tensor goes out, the output comes back.
                var suffixExe = prefix[p] + (total - prefix[p]) / speedup;
                var suffixTran = Transfer(bytes, mbps) + Transfer(graph.Output.OutputBytes, mbps);
                // Prefix on the edge: the input goes out, the cut tensor comes back.
                var prefixExe = prefix[p] / speedup + (total - prefix[p]);
                var prefixTran = Transfer(graph.InputShape.Bytes, mbps) + Transfer(bytes, mbps);
                best = Math.Max(best, LatencyBenefit.Compute(total, suffixExe, suffixTran, requirement, _options.Lambda1, _options.Lambda2));
                best = Math.Max(best, LatencyBenefit.Compute(total, prefixExe, prefixTran, requirement, _options.Lambda1, _options.Lambda2));
            }
        }
        return best;
    }

    private double Transfer(long bytes, double mbps) => LatencyBenefit.TransferMs(bytes, mbps, _options.LinkLatencyMs);
}

/// <summary>The kept cut points and the atom ranges they define.</summary>
public sealed record PartitionResult(OperatorGraph Graph, IReadOnlyList<int> CutPoints, IReadOnlyList<double> OperatorMs, PartitionReport Report)
{
    /// <summary>Atom i covers operators [Start, End).</summary>
    public IReadOnlyList<(int Start, int End)> Ranges
    {
        get
        {
            var bounds = new List<int> { 0 };
            bounds.AddRange(CutPoints);
            bounds.Add(Graph.Nodes.Count);
            return bounds.Zip(bounds.Skip(1), (s, e) => (s, e)).ToArray();
        }
    }

    public double PredictedMs(int start, int end) => OperatorMs.Skip(start).Take(end - start).Sum();
}
