using System.Runtime.InteropServices;
using AdaMec.Core.Graph;

namespace AdaMec.Runtime.Atoms;

/// <summary>Float32 tensors as the bytes that cross devices, without any tensor library.</summary>
public static class TensorBytes
{
    /// <summary>
    /// max |actual − expected| / max |expected| over two float32 payloads (+infinity when their
    /// sizes differ): the one measure every "distributed equals local" check uses.
    /// </summary>
    public static double RelativeDifference(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> expected)
    {
        var a = MemoryMarshal.Cast<byte, float>(actual);
        var b = MemoryMarshal.Cast<byte, float>(expected);
        if (a.Length != b.Length) return double.PositiveInfinity;
        double diff = 0, magnitude = 1e-12;
        for (var i = 0; i < a.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(a[i] - b[i]));
            magnitude = Math.Max(magnitude, Math.Abs(b[i]));
        }
        return diff / magnitude;
    }

    /// <summary>
    /// A seeded standard-normal float32 payload of <paramref name="shape"/> (Box-Muller on
    /// <see cref="Random"/>), for apps without TorchSharp. Never zeros: on zeros pools compare
    /// equal values and run faster than on real data. Its values differ from TorchSharp's seeded
    /// payload (TensorCodec.RandomPayload) for the same seed.
    /// </summary>
    public static byte[] RandomPayload(TensorShape shape, int seed)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var random = new Random(seed);
        var values = new float[shape.Elements];
        for (var i = 0; i < values.Length; i += 2)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            var radius = Math.Sqrt(-2 * Math.Log(u1));
            values[i] = (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < values.Length) values[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2));
        }
        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }
}
