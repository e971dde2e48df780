using AdaMec.Core.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Execution;

/// <summary>
/// Builds the TorchSharp module for one operator from its attributes alone, so an atom (or a single
/// profiled operator) can be instantiated without the rest of its model. Multi-input operators
/// (add, concat) have no module: <see cref="GraphSliceModule"/> applies them directly.
/// </summary>
public static class OperatorModules
{
    public static nn.Module<Tensor, Tensor>? Create(OperatorNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var a = node.Attributes;
        return node.Kind switch
        {
            OperatorKind.Conv2d => nn.Conv2d(a.InChannels, a.OutChannels, a.KernelSize, stride: a.Stride, padding: a.Padding, groups: a.Groups, bias: a.Bias),
            OperatorKind.BatchNorm2d => nn.BatchNorm2d(a.InChannels, eps: a.K),
            OperatorKind.ReLU => nn.ReLU(),
            OperatorKind.ReLU6 => nn.ReLU6(),
            OperatorKind.LeakyReLU => new LeakyReLUModule(a.Alpha),
            OperatorKind.MaxPool2d => nn.MaxPool2d(a.KernelSize, a.Stride, a.Padding, ceil_mode: a.CeilMode),
            OperatorKind.AvgPool2d => nn.AvgPool2d(a.KernelSize, a.Stride, a.Padding, ceil_mode: a.CeilMode),
            OperatorKind.AdaptiveAvgPool2d => nn.AdaptiveAvgPool2d(a.OutputSize),
            OperatorKind.LocalResponseNorm => nn.LocalResponseNorm(a.OutputSize, a.Alpha, a.Beta, a.K),
            OperatorKind.ZeroPad2d => nn.ZeroPad2d((0, a.Padding, 0, a.Padding)),
            OperatorKind.Flatten => nn.Flatten(),
            OperatorKind.Dropout => nn.Dropout(a.Alpha),
            OperatorKind.Linear => nn.Linear(a.InChannels, a.OutChannels, hasBias: a.Bias),
            OperatorKind.Add or OperatorKind.Concat => null,
            _ => throw new NotSupportedException($"Operator kind {node.Kind} of '{node.Name}' has no module."),
        };
    }

    /// <summary>Applies a multi-input operator to its (already computed) inputs.</summary>
    public static Tensor Combine(OperatorNode node, IReadOnlyList<Tensor> inputs) => node.Kind switch
    {
        // add(x, One), not sum + x: '+' creates an alpha Scalar a collection can free mid-call (RootedScalars).
        OperatorKind.Add => inputs.Skip(1).Aggregate(inputs[0], (sum, x) => sum.add(x, RootedScalars.One)),
        OperatorKind.Concat => cat(inputs.ToArray(), dim: 1),
        _ => throw new InvalidOperationException($"'{node.Name}' ({node.Kind}) is not a multi-input operator."),
    };

    /// <summary>Module name for a node: parameter paths use '.', which module names may not contain.</summary>
    public static string ModuleName(string nodeName) => nodeName.Replace('.', '_');
}
