using AdaMec.Core.Graph;
using AdaMec.Runtime.Execution;
using TorchSharp;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Zoo;

/// <summary>
/// Deterministic fan-in (Kaiming-uniform) initialisation. Activations keep their scale through
/// deep stacks, so outputs stay O(1) and equality checks between chained and whole execution are
/// meaningful (default-scaled weights shrink outputs toward 1e-9, where anything "equals").
/// Each operator draws from its own generator seeded by (seed, operator index), so the result does
/// not depend on the order tensors are visited in.
/// </summary>
internal static class SeededInitialization
{
    public static void Apply(GraphSliceModule model, ulong seed)
    {
        using var _ = no_grad();
        var byOperator = model.NamedTensors().GroupBy(t => t.Key[..t.Key.LastIndexOf('.')]);
        var nodes = model.Nodes.ToDictionary(n => n.Name);
        foreach (var group in byOperator)
        {
            var node = nodes[group.Key];
            using var generator = new Generator(seed * 1_000_003UL + (ulong)node.Id);
            foreach (var (key, tensor) in group) Initialize(node, key[(key.LastIndexOf('.') + 1)..], tensor, generator);
        }
    }

    private static void Initialize(OperatorNode node, string field, Tensor tensor, Generator generator)
    {
        var fanIn = node.Kind switch
        {
            OperatorKind.Conv2d => (double)node.Attributes.InChannels / node.Attributes.Groups * node.Attributes.KernelSize * node.Attributes.KernelSize,
            OperatorKind.Linear => node.Attributes.InChannels,
            _ => 1.0,
        };
        switch (node.Kind, field)
        {
            case (OperatorKind.Conv2d or OperatorKind.Linear, "weight"):
                var bound = Math.Sqrt(6.0 / fanIn);
                Uniform(tensor, -bound, bound, generator);
                break;
            case (OperatorKind.Conv2d or OperatorKind.Linear, "bias"):
                Uniform(tensor, -1 / Math.Sqrt(fanIn), 1 / Math.Sqrt(fanIn), generator);
                break;
            // Batch norm near identity with some spread, so it does real work in the comparison.
            case (OperatorKind.BatchNorm2d, "weight"):
            case (OperatorKind.BatchNorm2d, "running_var"):
                Uniform(tensor, 0.8, 1.2, generator);
                break;
            case (OperatorKind.BatchNorm2d, "bias"):
            case (OperatorKind.BatchNorm2d, "running_mean"):
                Uniform(tensor, -0.1, 0.1, generator);
                break;
            default:
                break; // e.g. num_batches_tracked
        }
    }

    // TorchSharp 0.107's nn.init.uniform_ ignores its generator argument (measured: two calls with
    // equally seeded generators differ), so draw with rand(generator) and copy.
    private static void Uniform(Tensor tensor, double low, double high, Generator generator)
    {
        using var draw = rand(tensor.shape, dtype: tensor.dtype, generator: generator);
        using Scalar scale = high - low, offset = low;
        tensor.copy_(draw.mul_(scale).add_(offset, RootedScalars.One)); // Scalars held: see RootedScalars
    }
}
