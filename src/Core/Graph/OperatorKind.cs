namespace AdaMec.Core.Graph;

/// <summary>The primitive operators the zoo uses. Names are what files and CSVs carry (lowercase).</summary>
public enum OperatorKind
{
    Conv2d,
    BatchNorm2d,
    ReLU,
    ReLU6,
    LeakyReLU,
    MaxPool2d,
    AvgPool2d,
    AdaptiveAvgPool2d,
    LocalResponseNorm,
    ZeroPad2d,
    Flatten,
    Dropout,
    Linear,
    Add,
    Concat,
}

/// <summary>Stable lowercase names for operator kinds (manifest files, profiling CSVs, CLI options).</summary>
public static class OperatorKindNames
{
    private static readonly Dictionary<OperatorKind, string> Names = new()
    {
        [OperatorKind.Conv2d] = "conv",
        [OperatorKind.BatchNorm2d] = "bn",
        [OperatorKind.ReLU] = "relu",
        [OperatorKind.ReLU6] = "relu6",
        [OperatorKind.LeakyReLU] = "leakyrelu",
        [OperatorKind.MaxPool2d] = "maxpool",
        [OperatorKind.AvgPool2d] = "avgpool",
        [OperatorKind.AdaptiveAvgPool2d] = "adaptiveavgpool",
        [OperatorKind.LocalResponseNorm] = "lrn",
        [OperatorKind.ZeroPad2d] = "zeropad",
        [OperatorKind.Flatten] = "flatten",
        [OperatorKind.Dropout] = "dropout",
        [OperatorKind.Linear] = "fc",
        [OperatorKind.Add] = "add",
        [OperatorKind.Concat] = "concat",
    };

    private static readonly Dictionary<string, OperatorKind> Kinds =
        Names.ToDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyCollection<string> All => Names.Values;

    public static string ToName(this OperatorKind kind) => Names[kind];

    public static bool TryParse(string name, out OperatorKind kind) => Kinds.TryGetValue(name.Trim(), out kind);

    public static OperatorKind Parse(string name) =>
        TryParse(name, out var kind)
            ? kind
            : throw new FormatException($"Unknown operator kind '{name}'. Known: {string.Join(", ", Names.Values)}.");
}
