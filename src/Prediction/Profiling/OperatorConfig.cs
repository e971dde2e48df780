using System.Globalization;
using AdaMec.Core.Graph;

namespace AdaMec.Prediction.Profiling;

/// <summary>
/// One point of the operator configuration space (paper Table 1): the hyper-parameters that decide
/// an operator's latency, batch 1, square NCHW inputs. <see cref="ToNode"/> turns it into the
/// <see cref="OperatorNode"/> the zoo would build, so shapes, FLOPs and bytes come from one place
/// (<see cref="GraphBuilder"/>). Column meaning per kind:
/// <list type="bullet">
/// <item>conv: input side Hw, Cin→Cout, Kernel, Stride, Padding, Groups (Groups = Cin = Cout is depthwise).</item>
/// <item>fc: Cin→Cout features (Hw is 1).</item>
/// <item>maxpool/avgpool: Kernel, Stride, Padding, CeilMode over Cin channels.</item>
/// <item>adaptiveavgpool: Kernel is the output side. lrn: Kernel is the window size.</item>
/// <item>zeropad: Padding (right and bottom). add: Inputs equally shaped tensors of Cin channels.</item>
/// <item>concat: Inputs tensors whose channels add up to Cout.</item>
/// </list>
/// </summary>
public sealed record OperatorConfig(
    OperatorKind Kind,
    int Hw,
    int Cin,
    int Cout,
    int Kernel = 0,
    int Stride = 1,
    int Padding = 0,
    int Groups = 1,
    int Inputs = 1,
    bool CeilMode = false)
{
    /// <summary>Stable identity of the configuration, used to skip what a CSV already holds.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture,
        $"{Kind.ToName()}|{Hw}|{Cin}|{Cout}|{Kernel}|{Stride}|{Padding}|{Groups}|{Inputs}|{(CeilMode ? 1 : 0)}");

    /// <summary>Parses a <see cref="Key"/> back into its configuration.</summary>
    public static OperatorConfig FromKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var f = key.Trim().Split('|');
        if (f.Length != 10) throw new FormatException($"'{key}' is not an operator configuration key (10 '|'-separated fields).");
        int I(int i) => int.Parse(f[i], CultureInfo.InvariantCulture);
        return new OperatorConfig(OperatorKindNames.Parse(f[0]), I(1), I(2), I(3), I(4), I(5), I(6), I(7), I(8), I(9) != 0);
    }

    /// <summary>The configuration of an operator the zoo (or any graph) contains.</summary>
    public static OperatorConfig FromNode(OperatorNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var a = node.Attributes;
        var input = node.InputShapes[0];
        var hw = input.Rank == 4 ? input.Height : 1;
        return node.Kind switch
        {
            OperatorKind.Conv2d => new(node.Kind, hw, a.InChannels, a.OutChannels, a.KernelSize, a.Stride, a.Padding, a.Groups),
            OperatorKind.Linear => new(node.Kind, 1, a.InChannels, a.OutChannels),
            OperatorKind.MaxPool2d or OperatorKind.AvgPool2d =>
                new(node.Kind, hw, input.Channels, input.Channels, a.KernelSize, a.Stride, a.Padding, CeilMode: a.CeilMode),
            OperatorKind.AdaptiveAvgPool2d => new(node.Kind, hw, input.Channels, input.Channels, a.OutputSize),
            OperatorKind.LocalResponseNorm => new(node.Kind, hw, input.Channels, input.Channels, a.OutputSize),
            OperatorKind.ZeroPad2d => new(node.Kind, hw, input.Channels, input.Channels, Padding: a.Padding),
            OperatorKind.Add => new(node.Kind, hw, input.Channels, input.Channels, Inputs: node.Inputs.Count),
            OperatorKind.Concat => new(node.Kind, hw, node.InputShapes.Sum(s => s.Channels), node.OutputShape.Channels, Inputs: node.Inputs.Count),
            _ => new(node.Kind, hw, input.Channels, input.Rank >= 2 ? input.Channels : 1),
        };
    }

    /// <summary>
    /// The operator node for this configuration. Concat splits its channels as evenly as possible
    /// over its inputs; flatten, dropout and the activations take a [1, Cin, Hw, Hw] input.
    /// </summary>
    public OperatorNode ToNode()
    {
        if (Hw <= 0 || Cin <= 0 || Cout <= 0) throw new ArgumentException($"Configuration {Key}: hw, cin and cout must be positive.");
        var b = new GraphBuilder("profile", Kind == OperatorKind.Linear ? new TensorShape(1, Cin) : new TensorShape(1, Cin, Hw, Hw));
        var x = GraphBuilder.Input;
        var name = Kind.ToName();
        switch (Kind)
        {
            case OperatorKind.Conv2d: b.Conv(x, name, Cout, Kernel, Stride, Padding, Groups, bias: true); break;
            case OperatorKind.BatchNorm2d: b.BatchNorm(x, name); break;
            case OperatorKind.ReLU: b.ReLU(x, name); break;
            case OperatorKind.ReLU6: b.ReLU6(x, name); break;
            case OperatorKind.LeakyReLU: b.LeakyReLU(x, name, 0.1); break;
            case OperatorKind.MaxPool2d: b.MaxPool(x, name, Kernel, Stride, Padding, CeilMode); break;
            case OperatorKind.AvgPool2d: b.AvgPool(x, name, Kernel, Stride, Padding, CeilMode); break;
            case OperatorKind.AdaptiveAvgPool2d: b.AdaptiveAvgPool(x, name, Math.Max(1, Kernel)); break;
            case OperatorKind.LocalResponseNorm: b.LocalResponseNorm(x, name, Math.Max(1, Kernel), 1e-4, 0.75, 2.0); break;
            case OperatorKind.ZeroPad2d: b.ZeroPadRightBottom(x, name, Math.Max(1, Padding)); break;
            case OperatorKind.Flatten: b.Flatten(x, name); break;
            case OperatorKind.Dropout: b.Dropout(x, name, 0.5); break;
            case OperatorKind.Linear: b.Linear(x, name, Cout); break;
            case OperatorKind.Add:
                b.Sum(name, Enumerable.Repeat(x, Math.Max(2, Inputs)).ToArray());
                break;
            case OperatorKind.Concat:
                return ConcatNode();
            default: throw new NotSupportedException($"Operator kind {Kind} cannot be profiled.");
        }
        return b.Build().Nodes[^1];
    }

    private OperatorNode ConcatNode()
    {
        var parts = Math.Max(2, Inputs);
        if (Cout < parts) throw new ArgumentException($"Configuration {Key}: concat of {parts} inputs needs at least {parts} channels.");
        var shapes = Enumerable.Range(0, parts)
            .Select(i => new TensorShape(1, Cout / parts + (i < Cout % parts ? 1 : 0), Hw, Hw))
            .ToArray();
        var output = new TensorShape(1, Cout, Hw, Hw);
        return new OperatorNode(0, "concat", OperatorKind.Concat, Enumerable.Repeat(OperatorNode.GraphInput, parts).ToArray(), shapes,
            output, new OperatorAttributes { OutChannels = Cout }, 0, 0, 0);
    }
}
