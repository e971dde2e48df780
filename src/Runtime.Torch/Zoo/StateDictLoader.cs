using System.Text;
using AdaMec.Runtime.Execution;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Zoo;

/// <summary>
/// Loads real weights into a zoo model from a TorchSharp state-dict file (what Module.save writes,
/// and what TorchSharp's exportsd.py produces from a PyTorch state_dict), matching keys such as
/// "features.0.weight" to operator names. Layout: LEB128 entry count, then per entry a
/// length-prefixed UTF-8 key, LEB128 element type, LEB128 rank, LEB128 dims, raw little-endian data.
/// </summary>
public static class StateDictLoader
{
    private const long Float16 = 5, Float32 = 6, Float64 = 7, Int64 = 4, BFloat16 = 15;

    /// <summary>Copies every tensor of the file into <paramref name="model"/>; all model tensors must be present.</summary>
    /// <exception cref="InvalidDataException">Malformed file, missing or unexpected keys, shape mismatch.</exception>
    public static void Load(GraphSliceModule model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!File.Exists(path)) throw new FileNotFoundException($"State-dict file '{path}' does not exist.", path);
        var entries = Read(File.ReadAllBytes(path));
        var targets = model.NamedTensors().ToDictionary(t => t.Key, t => t.Tensor);
        // BatchNorm's step counter is bookkeeping, not a weight; exporters often omit it.
        var missing = targets.Keys.Where(k => !entries.ContainsKey(k) && !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).ToArray();
        if (missing.Length > 0) throw new InvalidDataException($"{path} lacks {missing.Length} tensors, e.g. {string.Join(", ", missing.Take(3))}");
        var extra = entries.Keys.Where(k => !targets.ContainsKey(k)).ToArray();
        if (extra.Length > 0) throw new InvalidDataException($"{path} has {extra.Length} tensors the model does not, e.g. {string.Join(", ", extra.Take(3))}");

        using var _ = no_grad();
        foreach (var (key, (shape, tensorValue)) in entries)
        {
            using var source = tensorValue;
            var target = targets[key];
            if (!shape.SequenceEqual(target.shape))
                throw new InvalidDataException($"'{key}' is [{string.Join("x", shape)}] in {path}, the model needs [{string.Join("x", target.shape)}]");
            target.copy_(source.to_type(target.dtype));
        }
    }

    internal static Dictionary<string, (long[] Shape, Tensor Value)> Read(byte[] data)
    {
        var position = 0;
        var count = ReadLeb128(data, ref position, "entry count");
        var entries = new Dictionary<string, (long[], Tensor)>();
        for (long i = 0; i < count; i++)
        {
            var keyLength = (int)ReadLeb128(data, ref position, $"key {i} length");
            Require(data, position, keyLength, $"key {i}");
            var key = Encoding.UTF8.GetString(data, position, keyLength);
            position += keyLength;
            var type = ReadLeb128(data, ref position, $"'{key}' element type");
            var rank = ReadLeb128(data, ref position, $"'{key}' rank");
            if (rank > 8) throw new InvalidDataException($"'{key}' has rank {rank}");
            var shape = new long[rank];
            long elements = 1;
            for (var d = 0; d < rank; d++)
            {
                shape[d] = ReadLeb128(data, ref position, $"'{key}' dimension {d}");
                elements *= shape[d];
            }
            var (width, scalar) = type switch
            {
                Float32 => (4, ScalarType.Float32),
                Float64 => (8, ScalarType.Float64),
                Float16 => (2, ScalarType.Float16),
                BFloat16 => (2, ScalarType.BFloat16),
                Int64 => (8, ScalarType.Int64),
                _ => throw new InvalidDataException($"'{key}' has unsupported element type {type}"),
            };
            var bytes = checked((int)(elements * width));
            Require(data, position, bytes, $"'{key}' data");
            var value = empty(shape, scalar);
            data.AsSpan(position, bytes).CopyTo(value.bytes);
            position += bytes;
            if (!entries.TryAdd(key, (shape, value))) throw new InvalidDataException($"'{key}' appears twice");
        }
        if (position != data.Length) throw new InvalidDataException($"{data.Length - position} unexpected bytes after the last tensor");
        return entries;
    }

    private static void Require(byte[] data, int position, int count, string what)
    {
        if (count < 0 || position + (long)count > data.Length) throw new InvalidDataException($"file ends while reading {what} (truncated)");
    }

    private static long ReadLeb128(byte[] data, ref int position, string what)
    {
        long result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length) throw new InvalidDataException($"file ends while reading {what} (truncated)");
            var b = data[position++];
            result |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new InvalidDataException($"{what} is not a valid LEB128 number");
    }
}
