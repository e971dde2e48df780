using AdaMec.Core.Graph;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Prediction.Profiling;

/// <summary>
/// Seeded random CNNs that are not zoo models: plain VGG-like stacks, residual stages,
/// separable (inverted residual) blocks in VGG-like stages, inception-like branches, and "mobile"
/// networks of those blocks in many gently widening stages, at random widths, input sides and
/// activations. An operator inside a network runs slower than the same operator timed alone and
/// hot (its weights were evicted by the layers in between, and every operator pays for dispatch
/// and bookkeeping); timing these networks operator by operator is what the predictor's in-model
/// correction (<see cref="Learning.ContextCorrection"/>) learns from, so the zoo stays unseen
/// until it is used to check the whole-model prediction.
/// </summary>
public static class CalibrationNetworks
{
    private enum Style
    {
        Plain,
        Residual,
        Separable,
        Inception,

        // The separable blocks again, staged as mobile networks are (MobileNetV2, MnasNet): a
        // narrow stem and no stem pool, more stages and blocks, widths growing by 1.25-2x up to
        // 512, stride-1 stages once the map is small, a wide 1x1 conv before the pool. Separable
        // stages double their width as VGG's do: several times the FLOPs and weights of a mobile
        // network at the same input, so they calibrate operators among larger neighbours.
        Mobile,
    }

    /// <summary>Network <paramref name="index"/> of the series drawn from <paramref name="seed"/> (styles cycle).</summary>
    public static OperatorGraph Build(int seed, int index)
    {
        var random = new Random(unchecked(seed * 7919 + index)); // not HashCode.Combine: it is randomised per process
        var style = (Style)(index % 5);
        var side = One(random, 96, 112, 128, 160, 192, 224, 256, 320, 416);
        var b = new GraphBuilder($"calibration-{seed}-{index}-{style.ToString().ToLowerInvariant()}", new TensorShape(1, 3, side, side));
        var activation = One(random, 0, 0, 1, 2);
        int Act(int x, string name) => activation switch
        {
            0 => b.ReLU(x, name),
            1 => b.ReLU6(x, name),
            _ => b.LeakyReLU(x, name, 0.1),
        };

        var mobile = style == Style.Mobile;
        var width = Round8(random, side > 256 || mobile ? One(random, 16, 24, 32) : One(random, 16, 24, 32, 48, 64));
        var stemKernel = One(random, 3, 5, 7);
        var x = b.Conv(GraphBuilder.Input, "stem", width, stemKernel, stride: 2, padding: stemKernel / 2, bias: random.NextDouble() < 0.5);
        x = Act(b.BatchNorm(x, "stem.bn"), "stem.act");
        if (!mobile && random.NextDouble() < 0.6) x = b.MaxPool(x, "stem.pool", 3, 2, padding: 1);
        var stages = mobile ? random.Next(5, 8) : random.Next(3, 6);
        for (var stage = 0; stage < stages; stage++)
        {
            var growth = mobile ? One(random, 5, 6, 6, 8) / 4.0 : random.NextDouble() < 0.7 ? 2 : 1.5;
            var next = Math.Min(mobile ? 512 : 1024, Round8(random, width * growth));
            var blocks = mobile ? random.Next(1, 5) : random.Next(1, 4);
            for (var block = 0; block < blocks; block++)
            {
                var name = $"s{stage}.b{block}";
                var strided = block == 0 && stage > 0 && b.ShapeOf(x).Height >= 8 && (!mobile || b.ShapeOf(x).Height > 14 || random.NextDouble() < 0.5);
                var stride = strided ? 2 : 1;
                x = style switch
                {
                    Style.Plain => PlainBlock(b, x, name, next, stride, random, Act),
                    Style.Residual => ResidualBlock(b, x, name, next, stride, Act),
                    Style.Separable or Style.Mobile => SeparableBlock(b, x, name, next, stride, random, Act),
                    _ => InceptionBlock(b, x, name, next, stride, random, Act),
                };
            }
            width = next;
            if (style is Style.Plain or Style.Inception && b.ShapeOf(x).Height >= 8 && random.NextDouble() < 0.5)
            {
                x = random.NextDouble() < 0.7 ? b.MaxPool(x, $"s{stage}.pool", 2, 2) : b.AvgPool(x, $"s{stage}.pool", 3, 2, padding: 1);
            }
        }
        if (mobile)
        {
            x = Act(b.BatchNorm(b.Conv(x, "head.conv", One(random, 640, 1024, 1280), 1, bias: false), "head.conv.bn"), "head.conv.act");
        }
        // Half the networks end in a classifier with hidden layers on a pooled map (as AlexNet and
        // VGG do), so large, memory-bound fc layers are calibrated too; the rest (and every mobile
        // network) pool to 1x1.
        var classifier = !mobile && random.NextDouble() < 0.5;
        x = b.Flatten(b.AdaptiveAvgPool(x, "head.pool", classifier ? One(random, 3, 5, 6, 7) : 1), "head.flatten");
        for (var hidden = classifier ? random.Next(1, 3) : 0; hidden > 0; hidden--)
        {
            x = b.Dropout(b.ReLU(b.Linear(x, $"head.fc{hidden}", One(random, 512, 1024, 1536, 2048, 3072)), $"head.fc{hidden}.relu"), $"head.fc{hidden}.dropout", 0.5);
        }
        if (!classifier) x = b.Dropout(x, "head.dropout", 0.2);
        b.Linear(x, "head.fc", One(random, 10, 100, 1000));
        return b.Build();
    }

    /// <summary>
    /// Times every operator inside each of <paramref name="graphs"/> (weights seeded): one sample
    /// per operator, its median latency inside the network, recorded with <paramref name="memoryMb"/>
    /// (the limit the process runs under, if any). With several <paramref name="passes"/> every
    /// network is timed once per pass, one pass over all networks at a time, and each operator keeps
    /// its fastest pass: a shared device runs everything 20% slower for a minute at a time, and
    /// a network timed only then would teach the correction that slowness (the isolated profile
    /// keeps its fastest pass too).
    /// </summary>
    public static IReadOnlyList<OperatorSample> TimeInside(IReadOnlyList<OperatorGraph> graphs, int threads,
        IProgress<(int Done, int Total, string Network)>? progress = null, double? memoryMb = null, int passes = 1)
    {
        ArgumentNullException.ThrowIfNull(graphs);
        if (passes < 1) throw new ArgumentOutOfRangeException(nameof(passes), passes, "At least one pass is needed.");
        OperatorTimer.SetThreads(threads);
        var fastest = graphs.Select(g => g.Nodes.ToDictionary(n => n.Id, _ => double.PositiveInfinity)).ToArray();
        for (var pass = 0; pass < passes; pass++)
        {
            for (var i = 0; i < graphs.Count; i++)
            {
                using var module = ModelZoo.Create(graphs[i]);
                foreach (var (id, ms) in OperatorTimer.TimeInside(module)) fastest[i][id] = Math.Min(fastest[i][id], ms);
                progress?.Report((pass * graphs.Count + i + 1, passes * graphs.Count, graphs[i].Model));
            }
        }
        return graphs.SelectMany((graph, i) => graph.Nodes.Select(n =>
            new OperatorSample(OperatorConfig.FromNode(n), fastest[i][n.Id], 0, OperatorTimer.InsideRepeats * passes, threads, memoryMb))).ToArray();
    }

    private static int PlainBlock(GraphBuilder b, int x, string name, int width, int stride, Random random, Func<int, string, int> act)
    {
        var kernel = One(random, 3, 3, 3, 5);
        var y = b.Conv(x, $"{name}.conv", width, kernel, stride, kernel / 2, bias: true);
        if (random.NextDouble() < 0.15) return b.LocalResponseNorm(act(y, $"{name}.act"), $"{name}.lrn", 5, 1e-4, 0.75, 2.0);
        return act(b.BatchNorm(y, $"{name}.bn"), $"{name}.act");
    }

    private static int ResidualBlock(GraphBuilder b, int x, string name, int width, int stride, Func<int, string, int> act)
    {
        var y = act(b.BatchNorm(b.Conv(x, $"{name}.conv1", width, 3, stride, 1, bias: false), $"{name}.bn1"), $"{name}.act1");
        y = b.BatchNorm(b.Conv(y, $"{name}.conv2", width, 3, 1, 1, bias: false), $"{name}.bn2");
        var identity = x;
        if (stride != 1 || b.ShapeOf(x).Channels != width)
        {
            identity = b.BatchNorm(b.Conv(x, $"{name}.down", width, 1, stride, bias: false), $"{name}.down.bn");
        }
        return act(b.Sum($"{name}.add", y, identity), $"{name}.act2");
    }

    private static int SeparableBlock(GraphBuilder b, int x, string name, int width, int stride, Random random, Func<int, string, int> act)
    {
        var channels = b.ShapeOf(x).Channels;
        var hidden = channels * One(random, 1, 3, 6);
        var y = hidden == channels ? x : act(b.BatchNorm(b.Conv(x, $"{name}.expand", hidden, 1, bias: false), $"{name}.expand.bn"), $"{name}.expand.act");
        var kernel = One(random, 3, 3, 5);
        y = act(b.BatchNorm(b.Conv(y, $"{name}.dw", hidden, kernel, stride, kernel / 2, groups: hidden, bias: false), $"{name}.dw.bn"), $"{name}.dw.act");
        y = b.BatchNorm(b.Conv(y, $"{name}.project", width, 1, bias: false), $"{name}.project.bn");
        return stride == 1 && channels == width ? b.Sum($"{name}.add", x, y) : y;
    }

    private static int InceptionBlock(GraphBuilder b, int x, string name, int width, int stride, Random random, Func<int, string, int> act)
    {
        if (stride == 2) x = b.MaxPool(x, $"{name}.reduce", 3, 2, padding: 1, ceilMode: random.NextDouble() < 0.5);
        var quarter = Math.Max(8, width / 4);
        var one = act(b.Conv(x, $"{name}.b1", quarter, 1), $"{name}.b1.act");
        var three = act(b.Conv(act(b.Conv(x, $"{name}.b2.reduce", quarter / 2 + 8, 1), $"{name}.b2.reduce.act"), $"{name}.b2", quarter, 3, padding: 1), $"{name}.b2.act");
        var five = act(b.Conv(act(b.Conv(x, $"{name}.b3.reduce", quarter / 4 + 8, 1), $"{name}.b3.reduce.act"), $"{name}.b3", quarter / 2, 5, padding: 2), $"{name}.b3.act");
        var pool = act(b.Conv(b.MaxPool(x, $"{name}.b4.pool", 3, 1, padding: 1), $"{name}.b4", Math.Max(8, width - 2 * quarter - quarter / 2), 1), $"{name}.b4.act");
        return b.Concat($"{name}.concat", one, three, five, pool);
    }

    // Mostly multiples of 8, as designed networks are; sometimes ragged.
    private static int Round8(Random random, double channels) =>
        random.NextDouble() < 0.8 ? Math.Max(8, (int)Math.Round(channels / 8) * 8) : Math.Max(8, (int)Math.Round(channels * (0.9 + 0.2 * random.NextDouble())));

    private static int One(Random random, params int[] values) => values[random.Next(values.Length)];
}
