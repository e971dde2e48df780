using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Tests.Profiling;

public sealed class ConvKernelProbeTests
{
    // Lines as oneDNN 3.7 (libtorch 2.10) printed them on this machine with ONEDNN_VERBOSE=1.
    private static readonly string[] Log =
    [
        "onednn_verbose,v1,info,oneDNN v3.7.1 (commit 8d263e693366ef8db40acc569cc7d8edf644556d)",
        ConvKernelProbe.Marker + "conv|56|832|198|1|2|0|1|1|0",
        "onednn_verbose,v1,primitive,exec,cpu,reorder,jit:blk,undef,src:f32::blocked:abcd::f0 dst:f32::blocked:aBcd16b::f0,attr-scratchpad:user,,1x832x56x56,1.7041",
        "onednn_verbose,v1,primitive,exec,cpu,convolution,jit_1x1:avx512_core,forward_training,src:f32:ap:blocked:aBcd16b::f0,attr-scratchpad:user,alg:convolution_direct,mb1_ic832oc198,0.5",
        ConvKernelProbe.Marker + "conv|14|64|64|3|1|1|1|1|0",
        ConvKernelProbe.Marker + "conv|224|319|319|3|1|1|319|1|0",
        "onednn_verbose,v1,primitive,exec,cpu,convolution,jit_dw:avx512_core,forward_training,src:f32:ap:blocked:aBcd16b::f0,,alg:convolution_direct,g319mb1,213.183",
        "onednn_verbose,v1,primitive,exec,cpu,reorder,jit:uni,undef,src:f32:p:blocked:aBcd16b::f0 dst:f32::blocked:abcd::f0,,,1x319x224x224,8.97",
        ConvKernelProbe.Marker + "conv|13|528|960|11|4|5|1|1|0",
        "dnnl_verbose,exec,cpu,convolution,x64:gemm:jit,forward_training,src_f32::blocked:abcd:f0,,alg:convolution_direct,mb1,1.2",
    ];

    [Fact]
    public void Parse_RealLog_NamesEachConvsKernel()
    {
        var observed = ConvKernelProbe.Parse(Log);

        Assert.Equal(["jit_1x1:avx512_core", null, "jit_dw:avx512_core", "x64:gemm:jit"], observed.Select(o => o.Kernel));
        Assert.Equal(new ConvImplementation?[] { ConvImplementation.OneDnn1x1, ConvImplementation.Native, ConvImplementation.OneDnnDepthwise, null },
            observed.Select(o => o.Observed));
        Assert.Equal(new OperatorConfig(OperatorKind.Conv2d, 56, 832, 198, 1, 2, 0).Key, observed[0].Config.Key);
    }

    [Fact]
    public void Parse_MirrorAgreesWhereTheLogSaysSo()
    {
        var observed = ConvKernelProbe.Parse(Log);

        Assert.Equal(3, observed.Count(o => o.Observed == o.Mirrored)); // the GEMM fallback is not modelled
    }

    [Theory]
    [InlineData("jit:avx512_core", ConvImplementation.OneDnnDirect)]
    [InlineData("jit:avx2", ConvImplementation.OneDnnDirect)]
    [InlineData("jit_1x1:avx2", ConvImplementation.OneDnn1x1)]
    [InlineData("jit_dw:avx512_core", ConvImplementation.OneDnnDepthwise)]
    public void Classify_OneDnnKernels(string kernel, ConvImplementation expected)
    {
        Assert.Equal(expected, ConvKernelProbe.Classify(kernel));
    }

    [Fact]
    public void Classify_NoOneDnnConvolutionIsNative_UnknownIsNull()
    {
        Assert.Equal(ConvImplementation.Native, ConvKernelProbe.Classify(null));
        Assert.Null(ConvKernelProbe.Classify("brg_conv_fwd:avx512_core"));
    }

    [Fact]
    public void HasVerboseLog_OnlyWithOneDnnLines()
    {
        Assert.True(ConvKernelProbe.HasVerboseLog(Log));
        Assert.False(ConvKernelProbe.HasVerboseLog([ConvKernelProbe.Marker + "conv|14|64|64|3|1|1|1|1|0"]));
    }

    [Fact]
    public void Run_AnnouncesEveryConvBeforeRunningIt()
    {
        var convs = new[] { new OperatorConfig(OperatorKind.Conv2d, 14, 8, 8, 3, 1, 1), new OperatorConfig(OperatorKind.Conv2d, 20, 16, 16, 3, 1, 1, 16) };
        using var output = new StringWriter();

        ConvKernelProbe.Run(convs, output);

        Assert.Equal(convs.Select(c => c.Key), ConvKernelProbe.Parse(output.ToString().Split('\n')).Select(o => o.Config.Key));
    }

    [Fact]
    public void Run_NotAConv_ClearError()
    {
        var pool = new OperatorConfig(OperatorKind.MaxPool2d, 14, 8, 8, 2, 2);

        var error = Assert.Throws<ArgumentException>(() => ConvKernelProbe.Run([pool], TextWriter.Null));
        Assert.Contains("not a conv", error.Message, StringComparison.Ordinal);
    }
}
