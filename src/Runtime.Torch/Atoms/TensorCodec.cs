using System.Runtime.InteropServices;
using AdaMec.Core.Graph;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Atoms;

/// <summary>
/// Tensors cross device boundaries as raw float32 bytes (grain messages carry byte[], never a
/// Tensor; byte[] also serializes about 5x faster than float[]). The shape travels in the atom spec.
/// </summary>
public static class TensorCodec
{
    public static byte[] Encode(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.dtype != ScalarType.Float32) throw new ArgumentException($"Only float32 tensors cross devices, got {tensor.dtype}.", nameof(tensor));
        using var contiguous = tensor.contiguous();
        return contiguous.bytes.ToArray();
    }

    /// <summary>
    /// A seeded standard-normal float32 payload of <paramref name="shape"/>: the input the demo,
    /// the benchmarks and the client send when the user gives none. Never zeros: on an all-zero
    /// image a bias-free conv emits zeros and the max-pool after it compares equal values, which
    /// runs faster than on real data (ResNet-18's first atom, conv to max-pool: 3.3 ms on zeros,
    /// 5.2-7.4 ms on this payload) and makes every timing look better than it is.
    /// </summary>
    public static byte[] RandomPayload(TensorShape shape, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(shape);
        using var generator = new Generator(seed);
        using var random = randn(shape.ToLongArray(), generator: generator);
        return Encode(random);
    }

    /// <exception cref="ArgumentException">The byte count does not match the expected shape.</exception>
    public static Tensor Decode(ReadOnlySpan<byte> bytes, TensorShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (bytes.Length != shape.Bytes)
            throw new ArgumentException($"Tensor payload has {bytes.Length} bytes; shape {shape} needs {shape.Bytes}.", nameof(bytes));
        var values = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        return tensor(values, shape.ToLongArray());
    }

    /// <summary>max |actual − expected| / max |expected| (see <see cref="TensorBytes.RelativeDifference"/>).</summary>
    public static double RelativeDifference(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> expected) => TensorBytes.RelativeDifference(actual, expected);
}
