using TorchSharp;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Execution;

/// <summary>
/// A leaky ReLU that owns its slope as a <see cref="Scalar"/>. TorchSharp's <c>nn.LeakyReLU</c>
/// converts its double slope into a fresh Scalar on every call, which a collection on another
/// thread can free while libtorch reads it (see <see cref="RootedScalars"/>); Tiny-YOLO runs nine of
/// these per inference. No parameters: atom files are unchanged.
/// </summary>
internal sealed class LeakyReLUModule : nn.Module<Tensor, Tensor>
{
    private readonly Scalar _slope;

    public LeakyReLUModule(double slope) : base(nameof(LeakyReLUModule))
    {
        _slope = slope;
    }

    public override Tensor forward(Tensor input) => input.leaky_relu(_slope);

    protected override void Dispose(bool disposing)
    {
        if (disposing) _slope.Dispose();
        base.Dispose(disposing);
    }
}
