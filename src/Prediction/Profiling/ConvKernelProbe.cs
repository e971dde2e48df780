using AdaMec.Core.Graph;
using AdaMec.Runtime.Execution;
using AdaMec.Prediction.Learning;
using static TorchSharp.torch;

namespace AdaMec.Prediction.Profiling;

/// <summary>One conv and the kernel libtorch ran it with (null: no oneDNN convolution, i.e. PyTorch's own).</summary>
public sealed record ObservedConvKernel(OperatorConfig Config, string? Kernel)
{
    /// <summary>The observed kernel as a <see cref="ConvImplementation"/>; null for one the mirror does not model (a GEMM fallback, say).</summary>
    public ConvImplementation? Observed => ConvKernelProbe.Classify(Kernel);

    /// <summary>What <see cref="ConvImplementations.Of"/> says for this conv on one thread.</summary>
    public ConvImplementation Mirrored => ConvImplementations.Of(Config.ToNode());
}

/// <summary>
/// Checks <see cref="ConvImplementations"/> on a device: runs convs once each in a process started
/// with <c>ONEDNN_VERBOSE=1</c>, announcing each on stdout before it runs, and reads which oneDNN
/// convolution (if any) the verbose log shows between two announcements. The variable must be set
/// before oneDNN first runs, which is why this takes a fresh process.
/// </summary>
public static class ConvKernelProbe
{
    /// <summary>Environment variable that makes oneDNN log every primitive it executes.</summary>
    public const string VerboseVariable = "ONEDNN_VERBOSE";

    /// <summary>Prefix of the line announcing the next conv (followed by its configuration key).</summary>
    public const string Marker = "adamec-conv ";

    /// <summary>Runs each conv once on a random input, one intra-op thread, after announcing it on <paramref name="output"/>.</summary>
    public static void Run(IEnumerable<OperatorConfig> convs, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(convs);
        ArgumentNullException.ThrowIfNull(output);
        OperatorTimer.SetThreads(1);
        foreach (var config in convs)
        {
            if (config.Kind != OperatorKind.Conv2d) throw new ArgumentException($"{config.Key} is not a conv.", nameof(convs));
            var node = config.ToNode();
            using var scope = NewDisposeScope();
            using var mode = inference_mode();
            using var module = OperatorModules.Create(node)!;
            var input = randn(node.InputShapes[0].ToLongArray());
            output.WriteLine(Marker + config.Key);
            output.Flush(); // oneDNN writes its log to the same stdout: the order of the lines is the order of events
            module.call(input).Dispose();
        }
    }

    /// <summary>
    /// Reads a probe's stdout: for every announced conv, the implementation named by the first oneDNN
    /// convolution executed after its announcement, or null when none was.
    /// </summary>
    public static IReadOnlyList<ObservedConvKernel> Parse(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var observed = new List<ObservedConvKernel>();
        OperatorConfig? current = null;
        string? kernel = null;
        foreach (var line in lines)
        {
            if (line.StartsWith(Marker, StringComparison.Ordinal))
            {
                if (current is not null) observed.Add(new ObservedConvKernel(current, kernel));
                current = OperatorConfig.FromKey(line[Marker.Length..].Trim());
                kernel = null;
            }
            else if (current is not null && kernel is null && ExecutedConvolution(line) is { } name)
            {
                kernel = name;
            }
        }
        if (current is not null) observed.Add(new ObservedConvKernel(current, kernel));
        return observed;
    }

    /// <summary>True when <paramref name="lines"/> hold any oneDNN verbose output (the variable took effect).</summary>
    public static bool HasVerboseLog(IEnumerable<string> lines) => lines.Any(IsVerboseLine);

    /// <summary>
    /// Maps a oneDNN implementation name (e.g. <c>jit:avx512_core</c>, <c>jit_1x1:avx2</c>,
    /// <c>jit_dw:avx512_core</c>) to what it is; null (no oneDNN convolution) is PyTorch's own kernel;
    /// anything else (<c>x64:gemm:jit</c>, brgemm kernels) is not modelled and gives null.
    /// </summary>
    public static ConvImplementation? Classify(string? kernel) => kernel switch
    {
        null => ConvImplementation.Native,
        _ when kernel.StartsWith("jit_dw:", StringComparison.Ordinal) => ConvImplementation.OneDnnDepthwise,
        _ when kernel.StartsWith("jit_1x1:", StringComparison.Ordinal) => ConvImplementation.OneDnn1x1,
        _ when kernel.StartsWith("jit:", StringComparison.Ordinal) => ConvImplementation.OneDnnDirect,
        _ => null,
    };

    // oneDNN 3 prefixes its log lines "onednn_verbose", oneDNN 2 "dnnl_verbose".
    private static bool IsVerboseLine(string line) =>
        line.StartsWith("onednn_verbose", StringComparison.Ordinal) || line.StartsWith("dnnl_verbose", StringComparison.Ordinal);

    // "onednn_verbose,v1,primitive,exec,cpu,convolution,jit:avx512_core,forward_training,..." (oneDNN 3);
    // "dnnl_verbose,exec,cpu,convolution,jit:avx2,..." (oneDNN 2): the field after "convolution".
    private static string? ExecutedConvolution(string line)
    {
        if (!IsVerboseLine(line)) return null;
        var fields = line.Split(',');
        var exec = Array.IndexOf(fields, "exec");
        var convolution = Array.IndexOf(fields, "convolution");
        return exec >= 0 && convolution > exec && convolution + 1 < fields.Length ? fields[convolution + 1] : null;
    }
}
