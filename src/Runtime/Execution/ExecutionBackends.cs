using System.Reflection;

namespace AdaMec.Runtime.Execution;

/// <summary>
/// Picks a device's execution backend by name. The TorchSharp backend lives in its own assembly
/// (AdaMec.Runtime.Torch) so an app or a board without libtorch does not carry it; it is found by
/// name when that assembly is deployed beside this one, and used only when libtorch loads.
/// </summary>
public static class ExecutionBackends
{
    public const string Torch = "torch";

    public const string Onnx = "onnx";

    /// <summary>"auto": torch where libtorch loads, else onnx.</summary>
    public const string Auto = "auto";

    public static IReadOnlyList<string> Names { get; } = [Auto, Torch, Onnx];

    private static readonly string[] TorchBackendTypes =
    [
        "AdaMec.Runtime.Execution.TorchBackend, AdaMec.Runtime.Torch",
        "AdaMec.Runtime.Execution.TorchBackend, AdaMec.Runtime",
    ];

    private static Type? TorchBackendType() =>
        TorchBackendTypes.Select(name => Type.GetType(name, throwOnError: false)).FirstOrDefault(t => t is not null);

    /// <summary>
    /// The backend called <paramref name="name"/> ("torch", "onnx", or "auto"/null), its forward
    /// passes using <paramref name="threads"/> intra-op threads (null: the library's default).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name, or torch asked for where it cannot run (the message says why).</exception>
    public static IExecutionBackend Create(string? name, int? threads = null)
    {
        if (threads is < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be at least 1");
        switch ((name ?? Auto).Trim().ToLowerInvariant())
        {
            case Onnx:
                return new Onnx.OnnxBackend(threads);
            case Torch:
                return TryCreateTorch(threads, out var torch, out var reason)
                    ? torch
                    : throw new ArgumentException($"backend 'torch' cannot run here: {reason}; use --backend onnx", nameof(name));
            case Auto:
                return TryCreateTorch(threads, out var found, out _) ? found : new Onnx.OnnxBackend(threads);
            default:
                throw new ArgumentException($"unknown backend '{name}'; use one of {string.Join(", ", Names)}", nameof(name));
        }
    }

    /// <summary>Whether libtorch loads here (the TorchSharp backend is deployed and its natives load).</summary>
    public static bool TorchAvailable(out string reason)
    {
        var type = TorchBackendType();
        if (type is null)
        {
            reason = "the AdaMec.Runtime.Torch assembly is not deployed with this program";
            return false;
        }
        try
        {
            var available = type.GetMethod("ProbeNatives", BindingFlags.Public | BindingFlags.Static)!;
            reason = (string?)available.Invoke(null, null) ?? "";
            return reason.Length == 0;
        }
        catch (TargetInvocationException e)
        {
            reason = e.InnerException?.Message ?? e.Message;
            return false;
        }
    }

    private static bool TryCreateTorch(int? threads, out IExecutionBackend backend, out string reason)
    {
        backend = null!;
        if (!TorchAvailable(out reason)) return false;
        var type = TorchBackendType()!;
        backend = (IExecutionBackend)Activator.CreateInstance(type, threads)!;
        return true;
    }
}
