using AdaMec.Core.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Execution;

/// <summary>
/// Executes a contiguous run of operators [start, end) of a model's graph. The run begins at a
/// valid cut point, so exactly one tensor enters it. The whole model is the run [0, N); an atom is
/// any run between two cut points. Intermediate tensors are released as soon as their last
/// consumer inside the run has executed.
/// </summary>
public sealed class GraphSliceModule : nn.Module<Tensor, Tensor>
{
    private readonly OperatorNode[] _nodes;
    private readonly nn.Module<Tensor, Tensor>?[] _modules;
    private readonly int _entry;
    private readonly int[] _lastUse;

    public GraphSliceModule(string name, IReadOnlyList<OperatorNode> nodes) : base(name)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0) throw new ArgumentException("An executable slice needs at least one operator.", nameof(nodes));
        _nodes = nodes.ToArray();
        _entry = FindEntry(_nodes);
        _modules = new nn.Module<Tensor, Tensor>?[_nodes.Length];
        for (var i = 0; i < _nodes.Length; i++)
        {
            var module = OperatorModules.Create(_nodes[i]);
            _modules[i] = module;
            if (module is not null) register_module(OperatorModules.ModuleName(_nodes[i].Name), module);
        }
        _lastUse = LastUses(_nodes);
        eval();
    }

    /// <summary>Shape of the one tensor that enters the run.</summary>
    public TensorShape InputShape
    {
        get
        {
            var reader = _nodes.First(n => n.Inputs.Contains(_entry));
            return reader.InputShapes[reader.Inputs.ToList().IndexOf(_entry)];
        }
    }

    public TensorShape OutputShape => _nodes[^1].OutputShape;

    public IReadOnlyList<OperatorNode> Nodes => _nodes;

    /// <summary>Parameters and buffers keyed by operator name and field, e.g. "features.0.weight".</summary>
    public IEnumerable<(string Key, Tensor Tensor)> NamedTensors()
    {
        for (var i = 0; i < _nodes.Length; i++)
        {
            if (_modules[i] is not { } module) continue;
            foreach (var (field, tensor) in module.state_dict()) yield return ($"{_nodes[i].Name}.{field}", tensor);
        }
    }

    public override Tensor forward(Tensor input) => Run(input, capture: null);

    /// <summary>
    /// Runs the slice and also returns the outputs of the operators in <paramref name="capture"/>
    /// (kept alive past their last use), e.g. the tensors at atom boundaries for verification.
    /// </summary>
    public (Tensor Output, IReadOnlyDictionary<int, Tensor> Captured) ForwardCapturing(Tensor input, IReadOnlySet<int> capture)
    {
        ArgumentNullException.ThrowIfNull(capture);
        var captured = new Dictionary<int, Tensor>();
        var output = Run(input, (id, value) =>
        {
            if (capture.Contains(id)) captured[id] = value.clone();
        });
        return (output, captured);
    }

    /// <summary>
    /// Runs the slice and calls <paramref name="observe"/> with each operator's id and output right
    /// after it ran (e.g. to time operators inside the model). The output may be freed later in the run.
    /// </summary>
    public Tensor ForwardObserved(Tensor input, Action<int, Tensor> observe)
    {
        ArgumentNullException.ThrowIfNull(observe);
        return Run(input, observe);
    }

    private Tensor Run(Tensor input, Action<int, Tensor>? capture)
    {
        ArgumentNullException.ThrowIfNull(input);
        var values = new Dictionary<int, Tensor>(_nodes.Length + 1) { [_entry] = input };
        for (var i = 0; i < _nodes.Length; i++)
        {
            var node = _nodes[i];
            var output = _modules[i] is { } module
                ? module.call(values[node.Inputs[0]])
                : OperatorModules.Combine(node, node.Inputs.Select(p => values[p]).ToArray());
            foreach (var producer in node.Inputs.Distinct())
            {
                // Free a temporary once nothing later in the run needs it; the caller owns the input.
                if (producer != _entry && _lastUse[IndexOf(producer)] == i && values.Remove(producer, out var dead)
                    && !ReferenceEquals(dead, output) && !values.Values.Any(v => ReferenceEquals(v, dead)))
                {
                    dead.Dispose();
                }
            }
            values[node.Id] = output;
            capture?.Invoke(node.Id, output);
        }
        return values[_nodes[^1].Id];
    }

    private int IndexOf(int nodeId) => nodeId - _nodes[0].Id;

    private static int FindEntry(OperatorNode[] nodes)
    {
        var first = nodes[0].Id;
        var external = nodes.SelectMany(n => n.Inputs).Where(p => p < first).Distinct().ToArray();
        return external.Length == 1
            ? external[0]
            : throw new ArgumentException(
                $"Operators '{nodes[0].Name}'..'{nodes[^1].Name}' read {external.Length} tensors from outside; a slice must start at a valid cut point.");
    }

    private static int[] LastUses(OperatorNode[] nodes)
    {
        var first = nodes[0].Id;
        var last = new int[nodes.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            foreach (var producer in nodes[i].Inputs)
            {
                if (producer >= first) last[producer - first] = i;
            }
        }
        return last;
    }
}
