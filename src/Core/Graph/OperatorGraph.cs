namespace AdaMec.Core.Graph;

/// <summary>
/// A model as a DAG of primitive operators in execution order. Every tensor operation of the
/// forward pass is a node (residual adds, concatenations, flattens included): the executor runs
/// exactly this graph, so nothing can be missing from it.
/// </summary>
public sealed class OperatorGraph
{
    private readonly OperatorNode[] _nodes;
    private readonly int[] _lastUse;

    public OperatorGraph(string model, TensorShape inputShape, IEnumerable<OperatorNode> nodes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        Model = model;
        InputShape = inputShape;
        _nodes = nodes.ToArray();
        if (_nodes.Length == 0) throw new ArgumentException($"Model '{model}' has no operators.", nameof(nodes));
        Validate();
        _lastUse = ComputeLastUses();
    }

    public string Model { get; }

    public TensorShape InputShape { get; }

    public IReadOnlyList<OperatorNode> Nodes => _nodes;

    public OperatorNode Output => _nodes[^1];

    public long TotalMacs => _nodes.Sum(n => n.Macs);

    public long TotalFlops => _nodes.Sum(n => n.Flops);

    public long TotalParameterBytes => _nodes.Sum(n => n.ParameterBytes);

    /// <summary>
    /// Distinct tensors live across the boundary before node <paramref name="position"/>, i.e.
    /// produced before it (or the model input) and consumed at or after it.
    /// </summary>
    public int TensorsCrossing(int position)
    {
        if (position <= 0 || position >= _nodes.Length)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"A boundary lies in 1..{_nodes.Length - 1}.");
        var crossing = _lastUse[0] >= position ? 1 : 0; // model input
        for (var p = 0; p < position; p++)
        {
            if (_lastUse[p + 1] >= position) crossing++;
        }
        return crossing;
    }

    /// <summary>
    /// Valid cut points: boundaries (1..N-1, before node p) where exactly one tensor crosses, so the
    /// part before can hand a single tensor to the part after. Branches stay whole.
    /// </summary>
    public IReadOnlyList<int> ValidCutPoints()
    {
        var cuts = new List<int>();
        for (var p = 1; p < _nodes.Length; p++)
        {
            if (TensorsCrossing(p) == 1) cuts.Add(p);
        }
        return cuts;
    }

    /// <summary>
    /// Layer-level cut points (the granularity of Neurosurgeon and QDMP): valid cut points right
    /// before a weighted operator (conv or fc), so each layer is a weighted op plus what follows it.
    /// </summary>
    public IReadOnlyList<int> LayerCutPoints() =>
        ValidCutPoints().Where(p => _nodes[p].IsWeighted).ToArray();

    /// <summary>Operators in [start, end) as a self-contained slice.</summary>
    public IReadOnlyList<OperatorNode> Slice(int start, int end) => _nodes[start..end];

    private void Validate()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < _nodes.Length; i++)
        {
            var node = _nodes[i];
            if (node.Id != i) throw new ArgumentException($"Operator '{node.Name}' has id {node.Id} at position {i}.");
            if (!names.Add(node.Name)) throw new ArgumentException($"Operator name '{node.Name}' appears twice in '{Model}'.");
            if (node.Inputs.Count == 0) throw new ArgumentException($"Operator '{node.Name}' has no inputs.");
            if (node.Inputs.Count != node.InputShapes.Count)
                throw new ArgumentException($"Operator '{node.Name}' has {node.Inputs.Count} inputs but {node.InputShapes.Count} input shapes.");
            for (var k = 0; k < node.Inputs.Count; k++)
            {
                var producer = node.Inputs[k];
                if (producer != OperatorNode.GraphInput && (producer < 0 || producer >= i))
                    throw new ArgumentException($"Operator '{node.Name}' reads node {producer}, which does not run before it.");
                var shape = producer == OperatorNode.GraphInput ? InputShape : _nodes[producer].OutputShape;
                if (shape != node.InputShapes[k])
                    throw new ArgumentException($"Operator '{node.Name}' expects {node.InputShapes[k]} from input {k} but gets {shape}.");
            }
        }
    }

    // _lastUse[0] is the model input, _lastUse[p + 1] the output of node p; the final output is
    // "used" past the end so it never counts as dead.
    private int[] ComputeLastUses()
    {
        var last = new int[_nodes.Length + 1];
        Array.Fill(last, -1);
        foreach (var node in _nodes)
        {
            foreach (var producer in node.Inputs) last[producer + 1] = Math.Max(last[producer + 1], node.Id);
        }
        last[_nodes.Length] = int.MaxValue;
        return last;
    }
}
