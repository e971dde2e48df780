namespace AdaMec.Core.Graph;

/// <summary>
/// Hyper-parameters of one operator. Only the fields an operator kind uses are set; the rest keep
/// their defaults. Conv and pool kernels are square; <see cref="Padding"/> is symmetric except for
/// <see cref="OperatorKind.ZeroPad2d"/>, which pads right and bottom by that amount (Tiny-YOLO).
/// For <see cref="OperatorKind.Linear"/>, InChannels/OutChannels are the feature counts.
/// </summary>
public sealed record OperatorAttributes
{
    public int InChannels { get; init; }
    public int OutChannels { get; init; }
    public int KernelSize { get; init; }
    public int Stride { get; init; } = 1;
    public int Padding { get; init; }
    public int Groups { get; init; } = 1;
    public bool Bias { get; init; }
    public bool CeilMode { get; init; }
    /// <summary>Output side of an adaptive pool; LRN window size.</summary>
    public int OutputSize { get; init; }
    /// <summary>Negative slope (LeakyReLU), dropout probability, or LRN alpha.</summary>
    public double Alpha { get; init; }
    /// <summary>LRN beta.</summary>
    public double Beta { get; init; }
    /// <summary>LRN k; BN epsilon.</summary>
    public double K { get; init; }

    public static OperatorAttributes None { get; } = new();
}
