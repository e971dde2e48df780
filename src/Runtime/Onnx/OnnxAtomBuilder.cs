using AdaMec.Core.Atoms;
using AdaMec.Core.Graph;
using AdaMec.Runtime.Atoms;
using Google.Protobuf;
using Onnx;

namespace AdaMec.Runtime.Onnx;

/// <summary>
/// Writes an atom as an ONNX model (opset 17) from its operators and its weights file: one ONNX
/// node per operator (a BN, a ReLU, a residual add each stay one node, so the model reads like the
/// operator graph), the weights as initializers named like the file's tensors. The input is called
/// "input", the output "output", both with the atom's fixed shapes. Deterministic: the same atom
/// gives the same bytes. Anything without an exact ONNX form fails naming the operator.
/// </summary>
public static class OnnxAtomBuilder
{
    public const long Opset = 17;

    /// <summary>IR version 8 is what opset 17 shipped with; ONNX Runtime 1.32 reads it.</summary>
    public const long IrVersion = 8;

    public const string InputName = "input";

    public const string OutputName = "output";

    private const int FloatType = (int)TensorProto.Types.DataType.Float;

    private const int Int64Type = (int)TensorProto.Types.DataType.Int64;

    /// <summary>The atom as ONNX model bytes.</summary>
    /// <exception cref="NotSupportedException">An operator has no ONNX form here (the message names it).</exception>
    /// <exception cref="AtomFileException">A tensor the operators need is missing, has the wrong shape, or is unexpected.</exception>
    public static byte[] Build(AtomSpec atom, IReadOnlyList<WeightsFile.StoredTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(atom);
        return Build(atom.Id, atom.Nodes, atom.InputShape, tensors).ToByteArray();
    }

    /// <summary>The model for a run of operators that starts at a valid cut point (an atom, or a whole model).</summary>
    public static ModelProto Build(string name, IReadOnlyList<OperatorNode> nodes, TensorShape inputShape, IReadOnlyList<WeightsFile.StoredTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(tensors);
        if (nodes.Count == 0) throw new AtomFileException(name, "has no operators");
        var given = new Dictionary<string, WeightsFile.StoredTensor>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            if (!given.TryAdd(t.Name, t)) throw new AtomFileException(name, $"tensor '{t.Name}' appears twice");
        }
        var context = new Context(name, given);
        var first = nodes[0].Id;
        var external = nodes.SelectMany(n => n.Inputs).Where(p => p < first).Distinct().ToArray();
        if (external.Length != 1)
            throw new AtomFileException(name, $"operators '{nodes[0].Name}'..'{nodes[^1].Name}' read {external.Length} tensors from outside; a slice must start at a valid cut point");
        var values = new Dictionary<int, string> { [external[0]] = InputName };
        var graph = new GraphProto { Name = name };
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            var inputs = node.Inputs.Select(p => values.TryGetValue(p, out var v)
                ? v
                : throw new AtomFileException(name, $"operator '{node.Name}' reads node {p}, which is not in the atom")).ToArray();
            var output = i == nodes.Count - 1 ? OutputName : node.Name;
            Emit(graph, context, node, inputs, output);
            values[node.Id] = output;
        }
        var unused = given.Keys.Except(context.Used).Where(k => !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).ToArray();
        if (unused.Length > 0) throw new AtomFileException(name, $"weights carry unexpected {string.Join(", ", unused.Take(5))}");
        graph.Input.Add(ValueInfo(InputName, inputShape));
        graph.Output.Add(ValueInfo(OutputName, nodes[^1].OutputShape));
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "adamec",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    private static void Emit(GraphProto graph, Context context, OperatorNode node, string[] inputs, string output)
    {
        var a = node.Attributes;
        switch (node.Kind)
        {
            case OperatorKind.Conv2d:
            {
                var weight = context.Weight(graph, node, "weight", a.OutChannels, a.InChannels / a.Groups, a.KernelSize, a.KernelSize);
                var operands = a.Bias ? [inputs[0], weight, context.Weight(graph, node, "bias", a.OutChannels)] : new[] { inputs[0], weight };
                graph.Node.Add(Node("Conv", node.Name, operands, output,
                    Ints("kernel_shape", a.KernelSize, a.KernelSize), Ints("strides", a.Stride, a.Stride),
                    Ints("pads", a.Padding, a.Padding, a.Padding, a.Padding), Ints("dilations", 1, 1), Int("group", a.Groups)));
                break;
            }
            case OperatorKind.BatchNorm2d:
                graph.Node.Add(Node("BatchNormalization", node.Name,
                    [inputs[0], context.Weight(graph, node, "weight", a.InChannels), context.Weight(graph, node, "bias", a.InChannels),
                     context.Weight(graph, node, "running_mean", a.InChannels), context.Weight(graph, node, "running_var", a.InChannels)],
                    output, Float("epsilon", a.K)));
                break;
            case OperatorKind.ReLU:
                graph.Node.Add(Node("Relu", node.Name, inputs, output));
                break;
            case OperatorKind.ReLU6:
                graph.Node.Add(Node("Clip", node.Name, [inputs[0], Scalar(graph, node.Name + ".min", 0), Scalar(graph, node.Name + ".max", 6)], output));
                break;
            case OperatorKind.LeakyReLU:
                graph.Node.Add(Node("LeakyRelu", node.Name, inputs, output, Float("alpha", a.Alpha)));
                break;
            case OperatorKind.MaxPool2d:
                graph.Node.Add(Node("MaxPool", node.Name, inputs, output, PoolAttributes(a)));
                break;
            case OperatorKind.AvgPool2d:
                // PyTorch's AvgPool2d counts the zero padding in the divisor by default.
                graph.Node.Add(Node("AveragePool", node.Name, inputs, output, [.. PoolAttributes(a), Int("count_include_pad", 1)]));
                break;
            case OperatorKind.AdaptiveAvgPool2d:
                EmitAdaptiveAverage(graph, node, inputs[0], output);
                break;
            case OperatorKind.LocalResponseNorm:
                graph.Node.Add(Node("LRN", node.Name, inputs, output,
                    Int("size", a.OutputSize), Float("alpha", a.Alpha), Float("beta", a.Beta), Float("bias", a.K)));
                break;
            case OperatorKind.ZeroPad2d:
            {
                var pads = Int64s(graph, node.Name + ".pads", 0, 0, 0, 0, 0, 0, a.Padding, a.Padding);
                graph.Node.Add(Node("Pad", node.Name, [inputs[0], pads], output, String("mode", "constant")));
                break;
            }
            case OperatorKind.Flatten:
                graph.Node.Add(Node("Flatten", node.Name, inputs, output, Int("axis", 1)));
                break;
            case OperatorKind.Dropout:
                // Atoms only serve inference: dropout is the identity there.
                graph.Node.Add(Node("Identity", node.Name, inputs, output));
                break;
            case OperatorKind.Linear:
            {
                var weight = context.Weight(graph, node, "weight", a.OutChannels, a.InChannels);
                var operands = a.Bias ? [inputs[0], weight, context.Weight(graph, node, "bias", a.OutChannels)] : new[] { inputs[0], weight };
                graph.Node.Add(Node("Gemm", node.Name, operands, output, Int("transB", 1)));
                break;
            }
            case OperatorKind.Add:
                graph.Node.Add(Node(inputs.Length == 2 ? "Add" : "Sum", node.Name, inputs, output));
                break;
            case OperatorKind.Concat:
                graph.Node.Add(Node("Concat", node.Name, inputs, output, Int("axis", 1)));
                break;
            default:
                throw new NotSupportedException($"ONNX export: operator '{node.Name}' ({node.Kind.ToName()}) has no ONNX form here");
        }
    }

    // An adaptive pool is a plain average pool when the output side divides the input side.
    private static void EmitAdaptiveAverage(GraphProto graph, OperatorNode node, string input, string output)
    {
        var inShape = node.InputShapes[0];
        var o = node.Attributes.OutputSize;
        if (o == 1)
        {
            graph.Node.Add(Node("GlobalAveragePool", node.Name, [input], output));
        }
        else if (inShape.Height == o && inShape.Width == o)
        {
            graph.Node.Add(Node("Identity", node.Name, [input], output));
        }
        else if (inShape.Height % o == 0 && inShape.Width % o == 0)
        {
            int kh = inShape.Height / o, kw = inShape.Width / o;
            graph.Node.Add(Node("AveragePool", node.Name, [input], output, Ints("kernel_shape", kh, kw), Ints("strides", kh, kw)));
        }
        else
        {
            throw new NotSupportedException(
                $"ONNX export: operator '{node.Name}' (adaptiveavgpool) maps {inShape.Height}x{inShape.Width} to {o}x{o}, which is not a whole-window average pool; ONNX has no adaptive pool");
        }
    }

    private static AttributeProto[] PoolAttributes(OperatorAttributes a) =>
    [
        Ints("kernel_shape", a.KernelSize, a.KernelSize), Ints("strides", a.Stride, a.Stride),
        Ints("pads", a.Padding, a.Padding, a.Padding, a.Padding), Int("ceil_mode", a.CeilMode ? 1 : 0),
    ];

    private static NodeProto Node(string op, string name, IEnumerable<string> inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Float(string name, double value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    private static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private static ValueInfoProto ValueInfo(string name, TensorShape shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (var d in shape.Dims) tensorShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = FloatType, Shape = tensorShape } },
        };
    }

    private static string Scalar(GraphProto graph, string name, float value)
    {
        var tensor = new TensorProto { Name = name, DataType = FloatType };
        tensor.FloatData.Add(value);
        graph.Initializer.Add(tensor);
        return name;
    }

    private static string Int64s(GraphProto graph, string name, params long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = Int64Type };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Initializers taken from the weights file, each checked against the shape the operator needs.</summary>
    private sealed class Context(string atom, Dictionary<string, WeightsFile.StoredTensor> given)
    {
        public HashSet<string> Used { get; } = new(StringComparer.Ordinal);

        public string Weight(GraphProto graph, OperatorNode node, string field, params long[] shape)
        {
            var key = $"{node.Name}.{field}";
            if (!given.TryGetValue(key, out var stored)) throw new AtomFileException(atom, $"weights lack {key}");
            if (!stored.Shape.SequenceEqual(shape))
                throw new AtomFileException(atom, $"'{key}' has shape [{string.Join("x", stored.Shape)}], the operator needs [{string.Join("x", shape)}]");
            if (Used.Add(key))
            {
                var tensor = new TensorProto { Name = key, DataType = FloatType, RawData = UnsafeByteOperations.UnsafeWrap(stored.Data) };
                tensor.Dims.AddRange(shape);
                graph.Initializer.Add(tensor);
            }
            return key;
        }
    }
}
