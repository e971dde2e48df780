using AdaMec.Core.Atoms;

namespace AdaMec.Runtime.Execution;

/// <summary>
/// What runs atoms on a device: TorchSharp (<c>torch</c>) or ONNX Runtime (<c>onnx</c>). Every
/// backend loads the same verified atom weights file (<c>.amw</c>) and runs the same byte-in,
/// byte-out contract, so devices on different backends serve one chain.
/// </summary>
public interface IExecutionBackend
{
    /// <summary>The backend's name as options, status and metrics carry it: "torch" or "onnx".</summary>
    string Name { get; }

    /// <summary>Intra-op threads one forward pass uses (null: the library's default).</summary>
    int? Threads { get; }

    /// <summary>
    /// Builds an executable atom from its weights file bytes: checks size and SHA-256 against the
    /// spec, the tensors against the operators. Failures are <see cref="AtomFileException"/>s naming the atom.
    /// </summary>
    IExecutableAtom Load(AtomSpec atom, byte[] weights);
}

/// <summary>One loaded atom: float32 bytes of its input shape in, float32 bytes of its output shape out.</summary>
public interface IExecutableAtom : IDisposable
{
    AtomSpec Spec { get; }

    /// <summary>Runs the atom; safe to call from several threads at once.</summary>
    /// <exception cref="ArgumentException">The input is not <see cref="AtomSpec.InputBytes"/> long.</exception>
    byte[] Run(byte[] input);
}
