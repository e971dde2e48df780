using TorchSharp;

namespace AdaMec.Runtime.Execution;

/// <summary>
/// Scalars that live for the whole process, for the hot tensor operations that need one.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 turns a number given where it expects a <see cref="Scalar"/> (and the implicit
/// alpha of 1 in <c>a + b</c>, <c>add</c>, <c>add_</c>) into a new native Scalar that only its
/// finalizer frees, and passes libtorch the handle without keeping the managed object alive. A
/// garbage collection started by another thread during that call can run the finalizer and free
/// the Scalar while libtorch reads it: "Expected false to be true" from c10's Scalar accessors, or
/// a silently wrong value. Measured here: <c>a + b</c> on two 64x64 tensors failed after 0.56 M and
/// 4.2 M additions (1.4 s and 9.8 s) while a second thread allocated, as a silo's threads do; with
/// a Scalar held in a field, 28.7 M additions in 60 s did not fail. Code on the inference and
/// training paths therefore passes Scalars it holds: these, a module's own, or a <c>using</c> local.
/// Upstream: dotnet/TorchSharp pull requests 1434 and 1496 (open) dispose such Scalars.
/// </remarks>
internal static class RootedScalars
{
    /// <summary>The alpha of a plain addition.</summary>
    public static Scalar One { get; } = 1;
}
