using System.Security.Cryptography;
using System.Text;

namespace AdaMec.Runtime.Atoms;

/// <summary>
/// The weights file of one atom ("AMW1"): a small self-describing float32 format we can check
/// field by field, so a truncated or foreign file is reported precisely instead of crashing native
/// code. Layout (little-endian): magic "AMW1", int32 entry count, then per entry: int32 name length,
/// UTF-8 name, int32 rank, int64 dims[rank], float32 values.
/// </summary>
public static class WeightsFile
{
    private static readonly byte[] Magic = "AMW1"u8.ToArray();
    private const int MaxNameBytes = 1024;
    private const int MaxRank = 8;

    /// <summary>A tensor to write.</summary>
    public sealed record Entry(string Name, long[] Shape, float[] Values);

    /// <summary>
    /// A tensor as read: its float32 bytes are a window on the file's buffer, so loading copies
    /// them once, straight into the parameter, instead of through intermediate arrays.
    /// </summary>
    public sealed record StoredTensor(string Name, long[] Shape, ReadOnlyMemory<byte> Data)
    {
        public float[] ToFloats() => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Data.Span).ToArray();
    }

    /// <summary>Writes the entries and returns the file's SHA-256 (lowercase hex) and size.</summary>
    public static (string Sha256, long Bytes) Write(string path, IEnumerable<Entry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries.ToList();
        using (var stream = File.Create(path))
        using (var writer = new BinaryWriter(stream, Encoding.UTF8))
        {
            writer.Write(Magic);
            writer.Write(list.Count);
            foreach (var entry in list)
            {
                var name = Encoding.UTF8.GetBytes(entry.Name);
                writer.Write(name.Length);
                writer.Write(name);
                writer.Write(entry.Shape.Length);
                foreach (var d in entry.Shape) writer.Write(d);
                writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(entry.Values.AsSpan()));
            }
        }
        return (Sha256Of(path), new FileInfo(path).Length);
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Parses a weights file whose integrity was already checked; every length is bounds-checked.</summary>
    /// <exception cref="InvalidDataException">The layout is broken; the message says where.</exception>
    public static IReadOnlyList<StoredTensor> Read(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var reader = new SpanReader(data);
        if (!reader.Take(Magic.Length).SequenceEqual(Magic)) throw new InvalidDataException("not an AdaMec weights file (bad magic)");
        var count = reader.Int32("entry count");
        if (count < 0 || count > 100_000) throw new InvalidDataException($"implausible entry count {count}");
        var entries = new List<StoredTensor>(count);
        for (var i = 0; i < count; i++)
        {
            var nameLength = reader.Int32($"entry {i} name length");
            if (nameLength <= 0 || nameLength > MaxNameBytes) throw new InvalidDataException($"entry {i} has name length {nameLength}");
            var name = Encoding.UTF8.GetString(reader.Take(nameLength));
            var rank = reader.Int32($"'{name}' rank");
            if (rank < 0 || rank > MaxRank) throw new InvalidDataException($"'{name}' has rank {rank}");
            var shape = new long[rank];
            long elements = 1;
            for (var d = 0; d < rank; d++)
            {
                shape[d] = reader.Int64($"'{name}' dimension {d}");
                if (shape[d] < 0 || shape[d] > int.MaxValue) throw new InvalidDataException($"'{name}' has dimension {shape[d]}");
                elements *= shape[d];
                // Checked as it grows: eight dimensions of up to 2^31 overflow a long, and a wrapped
                // product would pass the length check below.
                if (elements * sizeof(float) > reader.Remaining)
                    throw new InvalidDataException($"'{name}' dimensions {string.Join('x', shape[..(d + 1)])} need more than the {reader.Remaining} bytes that remain (truncated)");
            }
            if (elements * sizeof(float) > reader.Remaining)
                throw new InvalidDataException($"'{name}' needs {elements * sizeof(float)} bytes but only {reader.Remaining} remain (truncated)");
            var length = (int)(elements * sizeof(float));
            entries.Add(new StoredTensor(name, shape, data.AsMemory(reader.Position, length)));
            reader.Take(length);
        }
        if (reader.Remaining != 0) throw new InvalidDataException($"{reader.Remaining} unexpected bytes after the last entry");
        return entries;
    }

    private ref struct SpanReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly long Remaining => _data.Length - _position;

        public readonly int Position => _position;

        public ReadOnlySpan<byte> Take(int count)
        {
            if (count > Remaining) throw new InvalidDataException($"file ends after {_data.Length} bytes (truncated)");
            var slice = _data.Slice(_position, count);
            _position += count;
            return slice;
        }

        public int Int32(string what) => Remaining >= 4 ? BitConverter.ToInt32(Take(4)) : throw Truncated(what);

        public long Int64(string what) => Remaining >= 8 ? BitConverter.ToInt64(Take(8)) : throw Truncated(what);

        private readonly InvalidDataException Truncated(string what) =>
            new($"file ends after {_data.Length} bytes while reading {what} (truncated)");
    }
}
