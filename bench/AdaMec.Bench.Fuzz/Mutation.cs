using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace AdaMec.Bench.Fuzz;

/// <summary>What one mutation does to a valid input.</summary>
public enum MutationKind
{
    /// <summary>Flip one bit.</summary>
    FlipBit,
    /// <summary>Set one byte to a value parsers treat specially (quotes, brackets, digits, 0x00, 0xFF).</summary>
    SetByte,
    /// <summary>Overwrite four bytes with a boundary int32 (lengths, counts, ranks in binary formats).</summary>
    SetInt32,
    /// <summary>Delete a run of bytes.</summary>
    Delete,
    /// <summary>Repeat a run of bytes in place.</summary>
    Duplicate,
    /// <summary>Cut the input short.</summary>
    Truncate,
    /// <summary>Replace the tail with the tail of another seed.</summary>
    Splice,
    /// <summary>Replace one JSON value or CSV field with a boundary value (huge, negative, NaN, wrong type, long).</summary>
    ReplaceToken,
}

/// <summary>
/// One mutation, drawn by FsCheck: where (a fraction of the input, so one draw fits any seed), a value
/// (an index into the boundary tables) and a length. A field of a typed request is chosen the same
/// way (<see cref="Value"/> picks the field, <see cref="Length"/> the boundary value).
/// </summary>
public readonly record struct Mutation(MutationKind Kind, double At, int Value, int Length)
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Kind}@{At:0.000}/{Value}/{Length}");
}

/// <summary>One fuzz input: a seed, up to four mutations, and a second seed to splice from.</summary>
public sealed record FuzzCase(int Seed, int SpliceSeed, IReadOnlyList<Mutation> Mutations)
{
    /// <inheritdoc/>
    public override string ToString() => $"seed {Seed}, {string.Join(", ", Mutations)}";
}

/// <summary>FsCheck generators for fuzz cases, and how a mutation changes bytes and text.</summary>
public static class Mutations
{
    /// <summary>Boundary numbers as JSON/CSV literals: limits of int, long and double, negatives, zero, non-numbers.</summary>
    public static readonly string[] Literals =
    [
        "0", "-0", "-1", "1", "2147483647", "-2147483648", "2147483648", "4294967296", "9223372036854775807",
        "-9223372036854775808", "18446744073709551616", "1e308", "1e999", "-1e999", "1.5", "0.0000001", "\"NaN\"",
        "\"Infinity\"", "null", "true", "[]", "{}", "\"\"", "\"x\"", "[1,2,3,4,5,6,7,8,9,10,11,12]",
        "[2147483647,2147483647,2147483647]", "[-1]", "\"../../etc/passwd\"", "\"a\\u0000b\"", "\"" + new string('a', 5000) + "\"",
        "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}", "NaN", "", "x",
    ];

    /// <summary>Bytes parsers treat specially.</summary>
    public static readonly byte[] Bytes = "\"{}[],:-.0 9eE\n\r\\"u8.ToArray().Concat(new byte[] { 0x00, 0xFF, 0x7F, 0x80, 0xC3, 0xEF }).ToArray();

    /// <summary>Boundary int32s for binary formats.</summary>
    public static readonly int[] Int32s = [0, -1, 1, 8, 9, 1024, 1025, 100_000, 100_001, int.MaxValue, int.MinValue, 0x7FFFFFC7, 1 << 30, 65536];

    /// <summary>One case: seed index below <paramref name="seeds"/>, one to four mutations.</summary>
    public static Gen<FuzzCase> Case(int seeds)
    {
        var kinds = Enum.GetValues<MutationKind>();
        var mutation =
            from kind in Gen.Elements(kinds)
            from at in Gen.Choose(0, 1_000_000)
            from value in Gen.Choose(0, 1 << 20)
            from length in Gen.Choose(1, 64)
            select new Mutation(kind, at / 1_000_000.0, value, length);
        return
            from seed in Gen.Choose(0, seeds - 1)
            from splice in Gen.Choose(0, seeds - 1)
            from count in Gen.Choose(1, 4)
            from list in mutation.ArrayOf(count)
            select new FuzzCase(seed, splice, list);
    }

    /// <summary>
    /// <paramref name="count"/> cases for a target, the same for the same <paramref name="seed"/> (FsCheck's
    /// <see cref="Rnd"/>): a failure is reproduced by its seed and input number.
    /// </summary>
    public static FuzzCase[] Cases(int seeds, int count, ulong seed) =>
        Case(seeds).Sample(count, new Rnd(seed), 50);

    /// <summary>The mutated bytes; grows an input at most to <paramref name="maxLength"/>.</summary>
    public static byte[] Apply(byte[] input, byte[] other, IReadOnlyList<Mutation> mutations, int maxLength, Func<byte[], Mutation, byte[]?>? token = null)
    {
        var data = input;
        foreach (var m in mutations)
        {
            var at = (int)(m.At * data.Length);
            data = m.Kind switch
            {
                MutationKind.FlipBit when data.Length > 0 => With(data, Math.Min(at, data.Length - 1), b => (byte)(b ^ (1 << (m.Value % 8)))),
                MutationKind.SetByte when data.Length > 0 => With(data, Math.Min(at, data.Length - 1), _ => Bytes[m.Value % Bytes.Length]),
                MutationKind.SetInt32 when data.Length >= 4 => SetInt32(data, Math.Min(at, data.Length - 4), Int32s[m.Value % Int32s.Length]),
                MutationKind.Delete => [.. data.AsSpan(0, at), .. data.AsSpan(Math.Min(data.Length, at + m.Length))],
                MutationKind.Duplicate when data.Length + m.Length <= maxLength => [.. data.AsSpan(0, Math.Min(data.Length, at + m.Length)), .. data.AsSpan(at)],
                MutationKind.Truncate => data[..at],
                MutationKind.Splice => [.. data.AsSpan(0, at), .. other.AsSpan((int)(m.At * other.Length))],
                MutationKind.ReplaceToken => token?.Invoke(data, m) ?? data,
                _ => data,
            };
            if (data.Length > maxLength) data = data[..maxLength];
        }
        return data;
    }

    /// <summary>Replaces the JSON value (number, string, literal) nearest after the mutation's place with a boundary literal.</summary>
    public static byte[]? JsonToken(byte[] data, Mutation m)
    {
        var text = Encoding.UTF8.GetString(data);
        var start = (int)(m.At * text.Length);
        // The next value position: after a ':' or '[' or ',' at or beyond start.
        var colon = text.IndexOfAny([':', '[', ','], start);
        if (colon < 0) return null;
        var from = colon + 1;
        while (from < text.Length && char.IsWhiteSpace(text[from])) from++;
        var to = from;
        if (to < text.Length && text[to] == '"')
        {
            to++;
            while (to < text.Length && text[to] != '"') to += text[to] == '\\' ? 2 : 1;
            to = Math.Min(text.Length, to + 1);
        }
        else
        {
            while (to < text.Length && text[to] is not (',' or '}' or ']') && !char.IsWhiteSpace(text[to])) to++;
        }
        return Encoding.UTF8.GetBytes(string.Concat(text.AsSpan(0, from), Literals[m.Value % Literals.Length], text.AsSpan(to)));
    }

    /// <summary>Replaces one CSV field (the one holding the mutation's place) with a boundary literal.</summary>
    public static byte[]? CsvToken(byte[] data, Mutation m)
    {
        var text = Encoding.UTF8.GetString(data);
        var at = Math.Min((int)(m.At * text.Length), Math.Max(0, text.Length - 1));
        if (text.Length == 0) return null;
        var from = text.LastIndexOfAny([',', '\n'], at) + 1;
        var to = text.IndexOfAny([',', '\n'], at);
        if (to < 0) to = text.Length;
        if (to < from) to = from;
        return Encoding.UTF8.GetBytes(string.Concat(text.AsSpan(0, from), Literals[m.Value % Literals.Length].Trim('"'), text.AsSpan(to)));
    }

    /// <summary>Boundary values for typed fields.</summary>
    public static readonly double[] Doubles = [0, -0.0, -1, 1e-300, 1e300, double.MaxValue, double.MinValue, double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, 0.5];

    /// <summary>Boundary values for typed long fields.</summary>
    public static readonly long[] Longs = [0, -1, 1, int.MaxValue, long.MaxValue, long.MinValue, 1L << 40, 4096];

    /// <summary>Boundary strings for typed id fields (null included).</summary>
    public static readonly string?[] Strings = [null, "", " ", "edge1", "other", new string('d', 257), new string('x', 100_000), "a/b@c", "../x", "\0", "dep", "dep/0@edge1"];

    private static byte[] With(byte[] data, int at, Func<byte, byte> change)
    {
        var copy = (byte[])data.Clone();
        copy[at] = change(copy[at]);
        return copy;
    }

    private static byte[] SetInt32(byte[] data, int at, int value)
    {
        var copy = (byte[])data.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(at), value);
        return copy;
    }
}
