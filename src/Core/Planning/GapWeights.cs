namespace AdaMec.Core.Planning;

/// <summary>
/// The priorities alpha (latency), beta (compute) and gamma (memory) of the constraint gap,
/// paper formula 5. All default to 1: the terms are already normalised (see <see cref="ConstraintGap"/>).
/// </summary>
public sealed record GapWeights(double Alpha = 1, double Beta = 1, double Gamma = 1)
{
    public static GapWeights Default { get; } = new();
}
