using AdaMec.Core.Graph;

namespace AdaMec.Prediction.Learning;

/// <summary>
/// The feature vector a learned latency model sees for one operator: the configuration
/// hyper-parameters (paper Table 1) plus engineered cost terms (FLOPs, bytes moved, parameters,
/// arithmetic intensity, per-group reduction length, the conv's kernel and layout copies), sizes on a log scale. Every learner gets a
/// vector of <see cref="Count"/> floats; baselines use only their own subset.
/// </summary>
public static class OperatorFeatures
{
    /// <summary>Fixed vector length (ML.NET needs it at compile time); unused slots are zero.</summary>
    public const int Count = 33;

    public static readonly string[] Names =
    [
        "log_flops", "log_in_bytes", "log_out_bytes", "log_param_bytes", "hw", "out_hw", "cin", "cout",
        "kernel", "stride", "padding", "groups", "log_cin_per_group", "log_intensity", "depthwise", "inputs",
        "log_out_elements", "log_reduction", "log_out_hw2", "log_cout", "ceil", "kind", "log_in_elements_per_channel", "log_weights_per_output",
        "cin_mod8", "cout_mod8", "cin_mod16", "cout_mod16", "cin_per_group_mod8", "log_out_pixels_x_cout",
        "conv_implementation", "log_reorder_elements", "log_unfold_elements",
    ];

    public static float[] Extract(OperatorNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var a = node.Attributes;
        var input = node.InputShapes[0];
        var hw = input.Rank == 4 ? input.Height : 1;
        var outHw = node.OutputShape.Rank == 4 ? node.OutputShape.Height : 1;
        var cin = input.Rank >= 2 ? node.InputShapes.Sum(s => s.Channels) : 1;
        var cout = node.OutputShape.Rank >= 2 ? node.OutputShape.Channels : 1;
        var groups = Math.Max(1, a.Groups);
        var bytes = node.InputBytes + node.OutputBytes + node.ParameterBytes;
        var reduction = node.Kind switch
        {
            OperatorKind.Conv2d => (double)a.InChannels / groups * a.KernelSize * a.KernelSize,
            OperatorKind.Linear => a.InChannels,
            OperatorKind.MaxPool2d or OperatorKind.AvgPool2d => a.KernelSize * a.KernelSize,
            _ => 1,
        };
        var v = new float[Count];
        v[0] = Log(node.Flops);
        v[1] = Log(node.InputBytes);
        v[2] = Log(node.OutputBytes);
        v[3] = Log(node.ParameterBytes);
        v[4] = hw;
        v[5] = outHw;
        v[6] = cin;
        v[7] = cout;
        v[8] = a.KernelSize;
        v[9] = a.Stride;
        v[10] = a.Padding;
        v[11] = groups;
        v[12] = Log(node.Kind == OperatorKind.Conv2d ? (double)a.InChannels / groups : cin);
        v[13] = (float)Math.Log((node.Flops + 1.0) / bytes);
        v[14] = node.Kind == OperatorKind.Conv2d && groups > 1 && groups == a.InChannels ? 1 : 0;
        v[15] = node.Inputs.Count;
        v[16] = Log(node.OutputShape.Elements);
        v[17] = Log(reduction);
        v[18] = Log((double)outHw * outHw);
        v[19] = Log(cout);
        v[20] = a.CeilMode ? 1 : 0;
        v[21] = (int)node.Kind;
        v[22] = Log((double)hw * hw);
        v[23] = Log(node.Kind == OperatorKind.Conv2d ? (double)a.OutChannels / groups * reduction : reduction);
        // oneDNN and the vectorised CPU kernels block channels by 8 and 16: ragged counts run slower.
        v[24] = cin % 8;
        v[25] = cout % 8;
        v[26] = cin % 16;
        v[27] = cout % 16;
        v[28] = node.Kind == OperatorKind.Conv2d ? a.InChannels / groups % 8 : cin % 8;
        v[29] = Log((double)outHw * outHw * cout);
        // Which kernel runs a conv (native, oneDNN direct, 1x1 or depthwise) and what it copies around
        // its arithmetic: the regimes have different cost curves (conv within ±10% +3 points).
        var implementation = ConvImplementations.Of(node);
        v[30] = (int)implementation;
        v[31] = Log(ReorderElements(node, implementation));
        v[32] = Log(UnfoldElements(node, implementation));
        return v;
    }

    /// <summary>The amount of work a cost-proportional model (Neurosurgeon) scales with: FLOPs, or bytes moved for ops without arithmetic.</summary>
    public static double Work(OperatorNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Flops > 0 ? node.Flops : node.InputBytes + node.OutputBytes;
    }

    /// <summary>Channels a vectorised conv kernel processes together (oneDNN's AVX-512 fp32 block).</summary>
    public const int ChannelBlock = 16;

    /// <summary>
    /// A conv's FLOPs with its per-group channels rounded up to whole <see cref="ChannelBlock"/>s (depthwise:
    /// the channels), the work the vector units really do; other kinds: their FLOPs. Measured here, a 3x3
    /// conv at 28x28 costs 8.4 ms/GFLOP with 100 input channels and 7.0 with 112, and jumps back at 113
    /// (`profile` data, 5-fold: conv within ±10% +1.2 to +1.9 points with this as the trees' reference
    /// cost). Fewer than 8 input channels (an image) are read unblocked. On a device with narrower vectors
    /// the trees learn the remainder from its own profile.
    /// </summary>
    public static double BlockedFlops(OperatorNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.Kind != OperatorKind.Conv2d) return node.Flops;
        var a = node.Attributes;
        var groups = Math.Max(1, a.Groups);
        var inPerGroup = a.InChannels / groups;
        var outPerGroup = a.OutChannels / groups;
        if (inPerGroup == 1 && outPerGroup == 1) return node.Flops * RoundUp(groups) / groups;
        var blockedIn = inPerGroup < 8 ? inPerGroup : RoundUp(inPerGroup);
        return node.Flops * blockedIn / inPerGroup * RoundUp(outPerGroup) / outPerGroup;
    }

    /// <summary>
    /// Elements a conv copies before or after its arithmetic on every call: oneDNN's layout reorders,
    /// or the im2col buffer of PyTorch's native kernel (see <see cref="ConvImplementations"/>). Other kinds: 0.
    /// </summary>
    public static double CopiedElements(OperatorNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var implementation = ConvImplementations.Of(node);
        return ReorderElements(node, implementation) + UnfoldElements(node, implementation);
    }

    /// <summary>
    /// Elements oneDNN copies between PyTorch's plain layout and its 16-channel blocks on every call:
    /// the weights, the input and the output. Its direct kernel reads fewer than 16 input channels (an
    /// image) as they are, with the weights' input channels unpadded (seen with ONEDNN_VERBOSE=1).
    /// </summary>
    private static double ReorderElements(OperatorNode node, ConvImplementation implementation)
    {
        if (implementation is ConvImplementation.None or ConvImplementation.Native) return 0;
        var a = node.Attributes;
        var input = node.InputShapes[0];
        var output = node.OutputShape;
        var groups = Math.Max(1, a.Groups);
        var inPerGroup = a.InChannels / groups;
        var plainInput = implementation == ConvImplementation.OneDnnDirect && inPerGroup < ChannelBlock;
        var weights = implementation == ConvImplementation.OneDnnDepthwise
            ? RoundUp(groups)
            : RoundUp(a.OutChannels) * (plainInput ? inPerGroup : RoundUp(inPerGroup));
        var inputs = plainInput ? 0 : RoundUp(a.InChannels) * input.Height * input.Width;
        return weights * a.KernelSize * a.KernelSize + inputs + RoundUp(a.OutChannels) * output.Height * output.Width;
    }

    /// <summary>The im2col buffer PyTorch's native convolution fills (none for a 1x1, unstrided, unpadded one).</summary>
    private static double UnfoldElements(OperatorNode node, ConvImplementation implementation)
    {
        if (implementation != ConvImplementation.Native) return 0;
        var a = node.Attributes;
        if (a.KernelSize == 1 && a.Stride == 1 && a.Padding == 0) return 0;
        var output = node.OutputShape;
        return (double)a.InChannels / Math.Max(1, a.Groups) * a.KernelSize * a.KernelSize * output.Height * output.Width;
    }

    private static double RoundUp(int channels) => Math.Ceiling(channels / (double)ChannelBlock) * ChannelBlock;

    private static float Log(double x) => (float)Math.Log(x + 1.0);
}
