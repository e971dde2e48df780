using AdaMec.Core.Graph;

namespace AdaMec.Prediction.Learning;

/// <summary>Which code runs a convolution in libtorch on this CPU: the cost curves of these differ.</summary>
public enum ConvImplementation
{
    /// <summary>Not a convolution.</summary>
    None = 0,

    /// <summary>PyTorch's own im2col + GEMM (slow_conv2d): no reorders, an unfold buffer unless 1x1/stride 1.</summary>
    Native = 1,

    /// <summary>oneDNN's direct JIT convolution on 16-channel blocked tensors (reorders in and out).</summary>
    OneDnnDirect = 2,

    /// <summary>oneDNN's 1x1 JIT kernel (a strided 1x1 whose input side the stride divides).</summary>
    OneDnn1x1 = 3,

    /// <summary>oneDNN's depthwise JIT kernel.</summary>
    OneDnnDepthwise = 4,
}

/// <summary>
/// Mirrors libtorch's dispatch for a batch-1, float32, CPU convolution (PyTorch
/// <c>ConvParams::use_mkldnn</c>; oneDNN's kernel choice), so the learners can tell the
/// regimes apart instead of fitting one surface over all of them. Checked against
/// <c>ONEDNN_VERBOSE=1</c> on the 2,496 convs of the first full profile: exact except 23 convs (kernel 7 or 11 larger
/// than about the input side) that oneDNN hands to its GEMM fallback; those stay
/// <see cref="ConvImplementation.OneDnnDirect"/> or depthwise here.
/// </summary>
public static class ConvImplementations
{
    /// <summary>
    /// PyTorch runs a small input through its native kernel: below this many input elements
    /// (batch 1, dense, kernel at most 3x3) it measured oneDNN's reorders as more costly than the gain.
    /// </summary>
    public const long NativeInputElements = 20_480;

    /// <param name="node">The operator.</param>
    /// <param name="threads">libtorch intra-op threads: single-threaded, PyTorch keeps unstrided 1x1 convs native.</param>
    public static ConvImplementation Of(OperatorNode node, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.Kind != OperatorKind.Conv2d) return ConvImplementation.None;
        var a = node.Attributes;
        var input = node.InputShapes[0];
        var groups = Math.Max(1, a.Groups);
        var kernel = a.KernelSize;
        var unitStride1x1 = a.Stride == 1 && kernel == 1;
        var worthOneDnn = groups > 1 || kernel > 3 || input.Elements > NativeInputElements;
        if ((unitStride1x1 && threads <= 1) || !worthOneDnn) return ConvImplementation.Native;
        if (groups > 1 && groups == a.InChannels && groups == a.OutChannels) return ConvImplementation.OneDnnDepthwise;
        if (kernel == 1 && input.Height % a.Stride == 0) return ConvImplementation.OneDnn1x1;
        return ConvImplementation.OneDnnDirect;
    }
}
