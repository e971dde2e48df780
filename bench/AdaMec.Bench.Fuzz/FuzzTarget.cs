namespace AdaMec.Bench.Fuzz;

/// <summary>
/// One parser or entry point under fuzzing. <see cref="Prepare"/> turns a case into the input (not
/// timed); <see cref="Run"/> hands it to the code under test and returns null when the input was
/// accepted or the clear error it got (the exception types the code documents, or the refusal it
/// returns). Anything else it throws is a crash.
/// </summary>
public abstract class FuzzTarget
{
    /// <summary>Short name, as in `adamec bench fuzz --targets`.</summary>
    public abstract string Name { get; }

    /// <summary>The code under test.</summary>
    public abstract string Calls { get; }

    /// <summary>Valid inputs the mutations start from.</summary>
    public abstract int SeedCount { get; }

    /// <summary>The input for one case.</summary>
    public abstract object Prepare(FuzzCase fuzzCase);

    /// <summary>Size of a prepared input in bytes (for the allocation bound).</summary>
    public abstract long SizeOf(object input);

    /// <summary>Null when accepted, else the clear error's message; throws only on a crash.</summary>
    public abstract string? Run(object input);
}

/// <summary>A target whose inputs are bytes (binary files) or text (JSON, CSV).</summary>
public sealed class BytesTarget(
    string name,
    string calls,
    IReadOnlyList<byte[]> seeds,
    Func<byte[], string?> run,
    Func<byte[], Mutation, byte[]?>? token = null,
    int maxGrowth = 4096) : FuzzTarget
{
    private readonly int _maxLength = seeds.Max(s => s.Length) * 2 + maxGrowth;

    /// <inheritdoc/>
    public override string Name => name;

    /// <inheritdoc/>
    public override string Calls => calls;

    /// <inheritdoc/>
    public override int SeedCount => seeds.Count;

    /// <summary>The seed inputs.</summary>
    public IReadOnlyList<byte[]> Seeds => seeds;

    /// <inheritdoc/>
    public override object Prepare(FuzzCase fuzzCase) =>
        Mutations.Apply(seeds[fuzzCase.Seed], seeds[fuzzCase.SpliceSeed], fuzzCase.Mutations, _maxLength, token);

    /// <inheritdoc/>
    public override long SizeOf(object input) => ((byte[])input).LongLength;

    /// <inheritdoc/>
    public override string? Run(object input) => run((byte[])input);
}

/// <summary>A target whose inputs are typed requests: a mutation sets one field to a boundary value.</summary>
public sealed class RecordTarget<T>(
    string name,
    string calls,
    IReadOnlyList<T> seeds,
    Func<T, Mutation, T> mutate,
    Func<T, long> sizeOf,
    Func<T, string?> run) : FuzzTarget where T : class
{
    /// <inheritdoc/>
    public override string Name => name;

    /// <inheritdoc/>
    public override string Calls => calls;

    /// <inheritdoc/>
    public override int SeedCount => seeds.Count;

    /// <inheritdoc/>
    public override object Prepare(FuzzCase fuzzCase) => fuzzCase.Mutations.Aggregate(seeds[fuzzCase.Seed], mutate);

    /// <inheritdoc/>
    public override long SizeOf(object input) => sizeOf((T)input);

    /// <inheritdoc/>
    public override string? Run(object input) => run((T)input);
}
