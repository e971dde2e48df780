namespace AdaMec.Core.Graph;

/// <summary>
/// The shape of one float32 tensor, batch dimension included (the zoo uses batch 1, NCHW).
/// Value semantics: two shapes with the same dimensions are equal.
/// </summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    private readonly int[] _dims;

    public TensorShape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length == 0) throw new ArgumentException("A tensor shape needs at least one dimension.", nameof(dims));
        foreach (var d in dims)
        {
            if (d <= 0) throw new ArgumentException($"Dimension {d} in [{string.Join(", ", dims)}] is not positive.", nameof(dims));
        }
        _dims = (int[])dims.Clone();
    }

    public IReadOnlyList<int> Dims => _dims;

    public int Rank => _dims.Length;

    public int this[int index] => _dims[index];

    /// <summary>Number of elements.</summary>
    public long Elements
    {
        get
        {
            long n = 1;
            foreach (var d in _dims) n *= d;
            return n;
        }
    }

    /// <summary>Size in bytes as float32.</summary>
    public long Bytes => Elements * sizeof(float);

    /// <summary>Channels of an NCHW (or NC) tensor.</summary>
    public int Channels => _dims.Length >= 2 ? _dims[1] : throw new InvalidOperationException($"Shape {this} has no channel dimension.");

    public int Height => _dims.Length == 4 ? _dims[2] : throw new InvalidOperationException($"Shape {this} is not NCHW.");

    public int Width => _dims.Length == 4 ? _dims[3] : throw new InvalidOperationException($"Shape {this} is not NCHW.");

    public long[] ToLongArray() => Array.ConvertAll(_dims, d => (long)d);

    public bool Equals(TensorShape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    public override bool Equals(object? obj) => Equals(obj as TensorShape);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in _dims) hash.Add(d);
        return hash.ToHashCode();
    }

    public override string ToString() => "[" + string.Join("x", _dims) + "]";

    public static bool operator ==(TensorShape? left, TensorShape? right) => left?.Equals(right) ?? right is null;

    public static bool operator !=(TensorShape? left, TensorShape? right) => !(left == right);
}
