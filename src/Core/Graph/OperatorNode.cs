namespace AdaMec.Core.Graph;

/// <summary>
/// One primitive operator in a model's DAG. <see cref="Id"/> is its position in execution
/// (topological) order; <see cref="Inputs"/> name producer ids, with <see cref="GraphInput"/> for
/// the model input. <see cref="Name"/> is the parameter path of its weights (e.g. "features.0"),
/// so state dictionaries exported from other frameworks map onto it.
/// </summary>
public sealed record OperatorNode(
    int Id,
    string Name,
    OperatorKind Kind,
    IReadOnlyList<int> Inputs,
    IReadOnlyList<TensorShape> InputShapes,
    TensorShape OutputShape,
    OperatorAttributes Attributes,
    long Macs,
    long Flops,
    long ParameterBytes)
{
    /// <summary>Producer id that stands for the model input.</summary>
    public const int GraphInput = -1;

    public long OutputBytes => OutputShape.Bytes;

    public long InputBytes => InputShapes.Sum(s => s.Bytes);

    /// <summary>Operators that carry weights; a layer in the layer-level granularity starts at one.</summary>
    public bool IsWeighted => Kind is OperatorKind.Conv2d or OperatorKind.Linear;
}
