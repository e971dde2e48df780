using AdaMec.Core.Graph;

namespace AdaMec.Prediction.Learning;

/// <summary>
/// Which learner models each operator kind: one learner for every kind (and the pooled fallback),
/// with exceptions for some. No single learner measures best everywhere: on the committed profile
/// FastTree with the networks is best on conv and most small kinds, FastTree alone on fc (see the
/// predictor README). Written as a learner name, then <c>kind=learner</c> exceptions: <c>fasttree+mlp,fc=fasttree</c>.
/// </summary>
public sealed class LearnerChoice : IEquatable<LearnerChoice>
{
    private readonly SortedDictionary<OperatorKind, LearnerKind> _exceptions;

    public LearnerChoice(LearnerKind learner, IReadOnlyDictionary<OperatorKind, LearnerKind>? exceptions = null)
    {
        Learner = learner;
        // An exception naming the learner itself is no exception: dropped, so equal choices read alike.
        _exceptions = new SortedDictionary<OperatorKind, LearnerKind>(
            (exceptions ?? new Dictionary<OperatorKind, LearnerKind>()).Where(p => p.Value != learner).ToDictionary(p => p.Key, p => p.Value));
    }

    /// <summary>The learner for every kind without an exception, and for the pooled model.</summary>
    public LearnerKind Learner { get; }

    /// <summary>Kinds modelled by another learner than <see cref="Learner"/>.</summary>
    public IReadOnlyDictionary<OperatorKind, LearnerKind> Exceptions => _exceptions;

    /// <summary>The learner for <paramref name="kind"/>.</summary>
    public LearnerKind For(OperatorKind kind) => _exceptions.TryGetValue(kind, out var learner) ? learner : Learner;

    /// <summary>Reads what <see cref="ToString"/> writes; a bad learner or kind is a <see cref="FormatException"/> naming it.</summary>
    public static LearnerChoice Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts[0].Length == 0 || parts[0].Contains('=', StringComparison.Ordinal))
            throw new FormatException($"'{text}': start with the learner for every kind, e.g. 'fasttree+mlp,conv=fasttree'.");
        var exceptions = new Dictionary<OperatorKind, LearnerKind>();
        foreach (var part in parts.Skip(1))
        {
            var pair = part.Split('=', StringSplitOptions.TrimEntries);
            if (pair.Length != 2) throw new FormatException($"'{part}' in '{text}' is not kind=learner.");
            if (!OperatorKindNames.TryParse(pair[0], out var kind))
                throw new FormatException($"'{pair[0]}' in '{text}' is not an operator kind. Known: {string.Join(", ", Enum.GetValues<OperatorKind>().Select(k => k.ToName()))}.");
            if (!exceptions.TryAdd(kind, LearnerNames.Parse(pair[1]))) throw new FormatException($"'{text}' names {pair[0]} twice.");
        }
        return new LearnerChoice(LearnerNames.Parse(parts[0]), exceptions);
    }

    public override string ToString() =>
        string.Join(",", _exceptions.Select(p => $"{p.Key.ToName()}={p.Value.ToName()}").Prepend(Learner.ToName()));

    public bool Equals(LearnerChoice? other) => other is not null && ToString() == other.ToString();

    public override bool Equals(object? obj) => Equals(obj as LearnerChoice);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());
}
