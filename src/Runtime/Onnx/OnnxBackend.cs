using System.Runtime.InteropServices;
using AdaMec.Core.Atoms;
using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Execution;
using Microsoft.ML.OnnxRuntime;

namespace AdaMec.Runtime.Onnx;

/// <summary>
/// Atoms on ONNX Runtime (CPU): the atom's ONNX model is built from its verified weights file
/// (<see cref="OnnxAtomBuilder"/>), so devices exchange the same <c>.amw</c> files whatever their
/// backend. Runs on linux-x64, linux-arm64, Android and iOS.
/// </summary>
public sealed class OnnxBackend(int? threads = null) : IExecutionBackend
{
    public string Name => ExecutionBackends.Onnx;

    public int? Threads { get; } = threads is < 1 ? throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be at least 1") : threads;

    public IExecutableAtom Load(AtomSpec atom, byte[] weights)
    {
        var tensors = AtomWeights.Verify(weights, atom);
        byte[] model;
        try
        {
            model = OnnxAtomBuilder.Build(atom, tensors);
        }
        catch (NotSupportedException e)
        {
            throw new AtomFileException(atom.Id, e.Message, e);
        }
        return LoadModel(atom, model);
    }

    /// <summary>An atom from ONNX model bytes already checked against the manifest (e.g. DIR/aNN.onnx).</summary>
    public IExecutableAtom LoadModel(AtomSpec atom, byte[] model)
    {
        ArgumentNullException.ThrowIfNull(atom);
        ArgumentNullException.ThrowIfNull(model);
        using var options = new SessionOptions
        {
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            InterOpNumThreads = 1,
            // 0 lets ONNX Runtime choose (one thread per physical core).
            IntraOpNumThreads = Threads ?? 0,
        };
        try
        {
            return new OnnxAtom(atom, new InferenceSession(model, options));
        }
        catch (OnnxRuntimeException e)
        {
            throw new AtomFileException(atom.Id, $"ONNX Runtime rejects the atom's model: {e.Message}", e);
        }
    }

    private sealed class OnnxAtom(AtomSpec spec, InferenceSession session) : IExecutableAtom
    {
        private static readonly string[] InputNames = [OnnxAtomBuilder.InputName];
        private static readonly string[] OutputNames = [OnnxAtomBuilder.OutputName];
        private readonly long[] _inputShape = spec.InputShape.ToLongArray();

        public AtomSpec Spec { get; } = spec;

        public byte[] Run(byte[] input)
        {
            ArgumentNullException.ThrowIfNull(input);
            if (input.Length != Spec.InputBytes)
                throw new ArgumentException($"atom {Spec.Id} expects {Spec.InputShape} ({Spec.InputBytes} bytes), got {input.Length} bytes", nameof(input));
            var values = MemoryMarshal.Cast<byte, float>(input).ToArray();
            using var tensor = OrtValue.CreateTensorValueFromMemory(values, _inputShape);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, InputNames, [tensor], OutputNames);
            var output = MemoryMarshal.AsBytes(outputs[0].GetTensorDataAsSpan<float>()).ToArray();
            if (output.Length != Spec.OutputBytes)
                throw new InvalidOperationException($"atom {Spec.Id} produced {output.Length} bytes on ONNX Runtime, the spec says {Spec.OutputShape} ({Spec.OutputBytes} bytes)");
            return output;
        }

        public void Dispose() => session.Dispose();
    }
}
