namespace AdaMec.Core.Graph;

/// <summary>
/// Builds an <see cref="OperatorGraph"/> one operator at a time, deriving output shapes, MACs,
/// FLOPs and parameter bytes the way PyTorch defines the operators. Each method takes the id of the
/// producing node (or <see cref="Input"/>) and returns the id of the new node.
/// </summary>
/// <remarks>MACs count only conv and fc, matching the published model complexities.</remarks>
public sealed class GraphBuilder(string model, TensorShape inputShape)
{
    private readonly List<OperatorNode> _nodes = [];

    public static int Input => OperatorNode.GraphInput;

    public TensorShape ShapeOf(int id) => id == OperatorNode.GraphInput ? inputShape : _nodes[id].OutputShape;

    public int Conv(int x, string name, int outChannels, int kernel, int stride = 1, int padding = 0, int groups = 1, bool bias = true)
    {
        var s = RequireNchw(x, name);
        if (s.Channels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{name}: channels {s.Channels}->{outChannels} are not divisible by groups {groups}.");
        var ho = WindowOutput(s.Height, kernel, stride, padding, ceil: false, name);
        var wo = WindowOutput(s.Width, kernel, stride, padding, ceil: false, name);
        var output = new TensorShape(s[0], outChannels, ho, wo);
        long weights = (long)outChannels * (s.Channels / groups) * kernel * kernel;
        var macs = weights * ho * wo * s[0];
        var attributes = new OperatorAttributes
        {
            InChannels = s.Channels, OutChannels = outChannels, KernelSize = kernel, Stride = stride,
            Padding = padding, Groups = groups, Bias = bias,
        };
        return Add(name, OperatorKind.Conv2d, [x], output, attributes, macs, 2 * macs, (weights + (bias ? outChannels : 0)) * sizeof(float));
    }

    public int BatchNorm(int x, string name, double epsilon = 1e-5)
    {
        var s = RequireNchw(x, name);
        var attributes = new OperatorAttributes { InChannels = s.Channels, OutChannels = s.Channels, K = epsilon };
        // weight, bias, running mean and running variance
        return Add(name, OperatorKind.BatchNorm2d, [x], s, attributes, 0, 2 * s.Elements, 4L * s.Channels * sizeof(float));
    }

    public int ReLU(int x, string name) => Elementwise(x, name, OperatorKind.ReLU, OperatorAttributes.None);

    public int ReLU6(int x, string name) => Elementwise(x, name, OperatorKind.ReLU6, OperatorAttributes.None);

    public int LeakyReLU(int x, string name, double slope) =>
        Elementwise(x, name, OperatorKind.LeakyReLU, new OperatorAttributes { Alpha = slope });

    public int MaxPool(int x, string name, int kernel, int stride, int padding = 0, bool ceilMode = false) =>
        Pool(x, name, OperatorKind.MaxPool2d, kernel, stride, padding, ceilMode);

    public int AvgPool(int x, string name, int kernel, int stride, int padding = 0, bool ceilMode = false) =>
        Pool(x, name, OperatorKind.AvgPool2d, kernel, stride, padding, ceilMode);

    public int AdaptiveAvgPool(int x, string name, int outputSize)
    {
        var s = RequireNchw(x, name);
        var output = new TensorShape(s[0], s.Channels, outputSize, outputSize);
        var attributes = new OperatorAttributes { InChannels = s.Channels, OutChannels = s.Channels, OutputSize = outputSize };
        return Add(name, OperatorKind.AdaptiveAvgPool2d, [x], output, attributes, 0, Math.Max(s.Elements, output.Elements), 0);
    }

    public int LocalResponseNorm(int x, string name, int size, double alpha, double beta, double k)
    {
        var s = RequireNchw(x, name);
        var attributes = new OperatorAttributes { InChannels = s.Channels, OutChannels = s.Channels, OutputSize = size, Alpha = alpha, Beta = beta, K = k };
        return Add(name, OperatorKind.LocalResponseNorm, [x], s, attributes, 0, s.Elements * (size + 3), 0);
    }

    /// <summary>Pads right and bottom by <paramref name="amount"/> zeros (darknet's "same" pooling).</summary>
    public int ZeroPadRightBottom(int x, string name, int amount)
    {
        var s = RequireNchw(x, name);
        var output = new TensorShape(s[0], s.Channels, s.Height + amount, s.Width + amount);
        var attributes = new OperatorAttributes { InChannels = s.Channels, OutChannels = s.Channels, Padding = amount };
        return Add(name, OperatorKind.ZeroPad2d, [x], output, attributes, 0, 0, 0);
    }

    public int Flatten(int x, string name)
    {
        var s = ShapeOf(x);
        var output = new TensorShape(s[0], (int)(s.Elements / s[0]));
        return Add(name, OperatorKind.Flatten, [x], output, new OperatorAttributes { InChannels = output[1], OutChannels = output[1] }, 0, 0, 0);
    }

    public int Dropout(int x, string name, double probability) =>
        Add(name, OperatorKind.Dropout, [x], ShapeOf(x), new OperatorAttributes { Alpha = probability }, 0, 0, 0);

    public int Linear(int x, string name, int outFeatures, bool bias = true)
    {
        var s = ShapeOf(x);
        if (s.Rank != 2) throw new ArgumentException($"{name}: fc needs a flat [N, features] input, got {s}.");
        var weights = (long)s[1] * outFeatures;
        var macs = weights * s[0];
        var attributes = new OperatorAttributes { InChannels = s[1], OutChannels = outFeatures, Bias = bias };
        return Add(name, OperatorKind.Linear, [x], new TensorShape(s[0], outFeatures), attributes, macs, 2 * macs,
            (weights + (bias ? outFeatures : 0)) * sizeof(float));
    }

    /// <summary>Element-wise sum of equally shaped tensors (residual connections).</summary>
    public int Sum(string name, params int[] xs)
    {
        if (xs.Length < 2) throw new ArgumentException($"{name}: add needs at least two inputs.");
        var s = ShapeOf(xs[0]);
        foreach (var x in xs)
        {
            if (ShapeOf(x) != s) throw new ArgumentException($"{name}: add inputs {s} and {ShapeOf(x)} differ.");
        }
        var attributes = new OperatorAttributes { InChannels = s.Channels, OutChannels = s.Channels };
        return Add(name, OperatorKind.Add, xs, s, attributes, 0, s.Elements * (xs.Length - 1), 0);
    }

    /// <summary>Concatenation along channels (inception blocks).</summary>
    public int Concat(string name, params int[] xs)
    {
        if (xs.Length < 2) throw new ArgumentException($"{name}: concat needs at least two inputs.");
        var first = RequireNchw(xs[0], name);
        var channels = 0;
        foreach (var x in xs)
        {
            var s = RequireNchw(x, name);
            if (s[0] != first[0] || s.Height != first.Height || s.Width != first.Width)
                throw new ArgumentException($"{name}: concat inputs {first} and {s} differ outside the channel dimension.");
            channels += s.Channels;
        }
        var output = new TensorShape(first[0], channels, first.Height, first.Width);
        return Add(name, OperatorKind.Concat, xs, output, new OperatorAttributes { OutChannels = channels }, 0, 0, 0);
    }

    public OperatorGraph Build() => new(model, inputShape, _nodes);

    private int Elementwise(int x, string name, OperatorKind kind, OperatorAttributes attributes)
    {
        var s = ShapeOf(x);
        var withChannels = attributes with { InChannels = s.Channels, OutChannels = s.Channels };
        return Add(name, kind, [x], s, withChannels, 0, s.Elements, 0);
    }

    private int Pool(int x, string name, OperatorKind kind, int kernel, int stride, int padding, bool ceilMode)
    {
        var s = RequireNchw(x, name);
        var ho = WindowOutput(s.Height, kernel, stride, padding, ceilMode, name);
        var wo = WindowOutput(s.Width, kernel, stride, padding, ceilMode, name);
        var output = new TensorShape(s[0], s.Channels, ho, wo);
        var attributes = new OperatorAttributes
        {
            InChannels = s.Channels, OutChannels = s.Channels, KernelSize = kernel, Stride = stride, Padding = padding, CeilMode = ceilMode,
        };
        return Add(name, kind, [x], output, attributes, 0, output.Elements * kernel * kernel, 0);
    }

    // PyTorch's rule, including the ceil-mode correction that drops a window starting in the padding.
    private static int WindowOutput(int size, int kernel, int stride, int padding, bool ceil, string name)
    {
        var span = size + 2 * padding - kernel;
        if (span < 0) throw new ArgumentException($"{name}: kernel {kernel} does not fit input side {size} with padding {padding}.");
        var output = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceil && (output - 1) * stride >= size + padding) output--;
        return output;
    }

    private TensorShape RequireNchw(int x, string name)
    {
        var s = ShapeOf(x);
        return s.Rank == 4 ? s : throw new ArgumentException($"{name}: needs an NCHW input, got {s}.");
    }

    private int Add(string name, OperatorKind kind, int[] inputs, TensorShape output, OperatorAttributes attributes, long macs, long flops, long parameterBytes)
    {
        foreach (var x in inputs)
        {
            if (x != OperatorNode.GraphInput && (x < 0 || x >= _nodes.Count))
                throw new ArgumentException($"{name}: input {x} does not exist yet.");
        }
        var id = _nodes.Count;
        _nodes.Add(new OperatorNode(id, name, kind, inputs, inputs.Select(ShapeOf).ToArray(), output, attributes, macs, flops, parameterBytes));
        return id;
    }
}
