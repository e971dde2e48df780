using System.Globalization;
using AdaMec.Core.Graph;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Prediction.Profiling;

/// <summary>
/// The operator configuration space profiled on a device (paper §4.1, Table 1), with ranges that
/// cover the model zoo: conv kernel {1,3,5,7} (and AlexNet's 11), stride {1,2,3} (and 4), input
/// sides 4..224 (416 for Tiny-YOLO's first layers), channels 3..1280 including depthwise groups;
/// fc up to VGG's 25088x4096; pools, activations, BN, LRN, padding, add and concat at the sizes the
/// zoo feeds them. Draws are seeded, so a seed and a count name the same configurations on every
/// machine. Configurations too large to time quickly are rejected (see the caps below).
/// </summary>
public sealed class SamplingSpace
{
    /// <summary>Largest conv profiled: VGG16's biggest layer is 3.7 GFLOP.</summary>
    public const double MaxConvFlops = 4.0e9;

    /// <summary>Largest fc profiled: VGG16's fc6 has 103 M parameters.</summary>
    public const long MaxFcParameters = 110_000_000;

    /// <summary>Largest tensor fed to element-wise ops, pools and BN (Tiny-YOLO: 416x416x16 = 2.8 M).</summary>
    public const long MaxElements = 6_500_000;

    private static readonly int[] Sides = [7, 13, 14, 26, 27, 28, 52, 55, 56, 104, 112, 208, 224];
    private static readonly int[] Channels = [3, 16, 24, 32, 48, 64, 96, 128, 144, 160, 192, 256, 320, 384, 480, 512, 528, 576, 832, 960, 1024, 1280];

    private readonly Random _random;

    public SamplingSpace(int seed) => _random = new Random(seed);

    /// <summary>Every kind this space can draw; the zoo uses all of them.</summary>
    public static IReadOnlyList<OperatorKind> Kinds { get; } = Enum.GetValues<OperatorKind>();

    /// <summary>The kinds the six zoo models contain.</summary>
    public static IReadOnlySet<OperatorKind> ZooKinds() =>
        ModelZoo.Names.SelectMany(n => ModelZoo.Graph(n).Nodes).Select(n => n.Kind).ToHashSet();

    /// <summary>The distinct operator configurations of the zoo models (what a deployment will ask about).</summary>
    public static IReadOnlyList<OperatorConfig> ZooConfigs() =>
        ModelZoo.Names.SelectMany(n => ModelZoo.Graph(n).Nodes).Select(OperatorConfig.FromNode).DistinctBy(c => c.Key).ToArray();

    /// <summary>
    /// The stratum of the space a configuration falls in (kind, kernel, stride, depthwise, order of
    /// magnitude of its work): the unit adaptive supplementary sampling adds samples to.
    /// </summary>
    public static string Region(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var node = config.ToNode();
        var work = node.Flops > 0 ? node.Flops : Math.Max(1, node.InputBytes);
        var magnitude = (int)Math.Floor(Math.Log10(work));
        return config.Kind switch
        {
            OperatorKind.Conv2d => string.Create(CultureInfo.InvariantCulture,
                $"conv|k{config.Kernel}|s{config.Stride}|{(config.Groups > 1 ? "dw" : "dense")}|1e{magnitude}"),
            OperatorKind.MaxPool2d or OperatorKind.AvgPool2d => string.Create(CultureInfo.InvariantCulture,
                $"{config.Kind.ToName()}|k{config.Kernel}|s{config.Stride}|1e{magnitude}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{config.Kind.ToName()}|1e{magnitude}"),
        };
    }

    /// <summary>Draws one configuration of <paramref name="kind"/>.</summary>
    public OperatorConfig Draw(OperatorKind kind)
    {
        for (var attempt = 0; attempt < 10_000; attempt++)
        {
            var config = kind switch
            {
                OperatorKind.Conv2d => Conv(),
                OperatorKind.Linear => new OperatorConfig(kind, 1, Pick(64, 25088), Pick(10, 4096)),
                OperatorKind.MaxPool2d or OperatorKind.AvgPool2d => Pool(kind),
                OperatorKind.AdaptiveAvgPool2d => Same(kind) with { Kernel = One(1, 1, 1, 6, 7) },
                OperatorKind.LocalResponseNorm => Same(kind) with { Kernel = One(3, 5) },
                OperatorKind.ZeroPad2d => Same(kind) with { Padding = One(1, 1, 2) },
                OperatorKind.Add => Same(kind) with { Inputs = One(2, 2, 2, 3) },
                OperatorKind.Concat => Concat(),
                _ => Same(kind),
            };
            if (config is not null && Acceptable(config)) return config;
        }
        throw new InvalidOperationException($"No acceptable {kind.ToName()} configuration found.");
    }

    /// <summary>Draws a configuration in <paramref name="region"/> (see <see cref="Region"/>), or null if none turns up.</summary>
    public OperatorConfig? DrawIn(OperatorKind kind, string region, int attempts = 5000)
    {
        for (var i = 0; i < attempts; i++)
        {
            var config = Draw(kind);
            if (Region(config) == region) return config;
        }
        return null;
    }

    /// <summary>
    /// <paramref name="count"/> configurations spread over <paramref name="kinds"/>: conv gets half
    /// (it dominates model latency and varies most), the rest share the other half evenly.
    /// </summary>
    public IReadOnlyList<OperatorConfig> Draw(IReadOnlyList<OperatorKind> kinds, int count)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        if (kinds.Count == 0) throw new ArgumentException("No operator kinds to sample.", nameof(kinds));
        var weights = kinds.Select(k => k == OperatorKind.Conv2d ? Math.Max(1.0, kinds.Count - 1) : 1.0).ToArray();
        var total = weights.Sum();
        var configs = new List<OperatorConfig>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < kinds.Count; i++)
        {
            var share = (int)Math.Round(count * weights[i] / total);
            for (var n = 0; n < share && configs.Count < count; n++)
            {
                var config = Draw(kinds[i]);
                if (seen.Add(config.Key)) configs.Add(config);
            }
        }
        // Interleave kinds so a stopped run has a bit of everything.
        return configs.Select((c, i) => (c, r: _random.Next())).OrderBy(p => p.r).Select(p => p.c).ToArray();
    }

    private OperatorConfig? Conv()
    {
        var kernel = _random.NextDouble() < 0.04 ? 11 : One(1, 1, 3, 3, 3, 5, 7);
        var stride = kernel == 11 ? 4 : One(1, 1, 1, 2, 2, 3);
        var side = kernel == 3 && _random.NextDouble() < 0.06 ? 416 : Side();
        var padding = _random.NextDouble() < 0.75 ? kernel / 2 : _random.Next(0, kernel / 2 + 1);
        if (_random.NextDouble() < 0.2 && kernel > 1)
        {
            var c = Channel(16);
            return new OperatorConfig(OperatorKind.Conv2d, side, c, c, kernel, stride, padding, c);
        }
        var cin = side >= 208 && _random.NextDouble() < 0.5 ? One(3, 3, 16, 32) : Channel();
        return new OperatorConfig(OperatorKind.Conv2d, side, cin, Channel(8), kernel, stride, padding);
    }

    private OperatorConfig Pool(OperatorKind kind)
    {
        var kernel = One(2, 2, 3, 3, 3, 5);
        var stride = One(1, 2, 2, 2, 3);
        var padding = _random.NextDouble() < 0.6 ? 0 : _random.Next(0, kernel / 2 + 1);
        return Same(kind) with { Kernel = kernel, Stride = stride, Padding = padding, CeilMode = _random.NextDouble() < 0.4 };
    }

    private OperatorConfig Concat()
    {
        var inputs = One(2, 3, 4, 4);
        var channels = Math.Max(inputs, Channel(16));
        return new OperatorConfig(OperatorKind.Concat, Side(), channels, channels, Inputs: inputs);
    }

    private OperatorConfig Same(OperatorKind kind)
    {
        var side = _random.NextDouble() < 0.03 ? 416 : Side();
        var c = side >= 416 ? One(16, 32) : Channel();
        return new OperatorConfig(kind, side, c, c);
    }

    private static bool Acceptable(OperatorConfig config)
    {
        OperatorNode node;
        try
        {
            node = config.ToNode();
        }
        catch (ArgumentException)
        {
            return false; // kernel larger than the padded input, and the like
        }
        return config.Kind switch
        {
            OperatorKind.Conv2d => node.Flops <= MaxConvFlops && node.OutputShape.Elements <= 4 * MaxElements,
            OperatorKind.Linear => node.ParameterBytes / sizeof(float) <= MaxFcParameters,
            _ => node.InputShapes.Sum(s => s.Elements) <= MaxElements && node.OutputShape.Elements <= MaxElements,
        };
    }

    private int Side() => _random.NextDouble() < 0.5 ? Sides[_random.Next(Sides.Length)] : _random.Next(4, 225);

    private int Channel(int min = 3) =>
        _random.NextDouble() < 0.5
            ? Math.Max(min, Channels[_random.Next(Channels.Length)])
            : Pick(min, 1280);

    // Log-uniform integer in [min, max].
    private int Pick(int min, int max) => (int)Math.Round(Math.Exp(Math.Log(min) + _random.NextDouble() * (Math.Log(max) - Math.Log(min))));

    private int One(params int[] values) => values[_random.Next(values.Length)];
}
