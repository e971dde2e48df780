namespace AdaMec.Core.Planning;

/// <summary>
/// The constraint gap d(s, C_t) of paper formula 5, in the form AdaMec uses:
/// <code>
/// d = sqrt( alpha * (max(0, T - T_user) / T_user)^2
///         + beta  * sum_j (max(0, C_j - Cbudg_j) / max(Cbudg_j, 1))^2
///         + gamma * sum_j (max(0, M_j - Mbudg_j) / max(Mbudg_j, 1))^2 )
/// </code>
/// Two deliberate departures from the formula as printed, both needed for it to guide a search:
/// (1) only violations count (a hinge): the printed squares also punish plans that beat the
/// requirement, so the best plans would look "far" from the constraints; with the hinge d = 0
/// exactly when the plan is feasible. (2) every term is divided by its bound, because milliseconds,
/// FLOPs and bytes differ by nine orders of magnitude and raw squares would let memory alone decide.
/// A zero budget divides by 1 (one byte / one FLOP) so the gap stays finite. Devices without a
/// budget contribute nothing; an unreachable plan (infinite latency) has an infinite gap.
/// </summary>
public static class ConstraintGap
{
    public static double Compute(
        double latencyMs,
        double latencyRequirementMs,
        ReadOnlySpan<double> computeFlops,
        ReadOnlySpan<double> computeBudgetFlops,
        ReadOnlySpan<double> memoryBytes,
        ReadOnlySpan<double> memoryBudgetBytes,
        GapWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (double.IsPositiveInfinity(latencyMs)) return double.PositiveInfinity;
        var latency = Math.Max(0, latencyMs - latencyRequirementMs) / latencyRequirementMs;
        var sum = weights.Alpha * latency * latency;
        sum += weights.Beta * BudgetTerm(computeFlops, computeBudgetFlops);
        sum += weights.Gamma * BudgetTerm(memoryBytes, memoryBudgetBytes);
        return Math.Sqrt(sum);
    }

    private static double BudgetTerm(ReadOnlySpan<double> used, ReadOnlySpan<double> budget)
    {
        var sum = 0.0;
        for (var j = 0; j < used.Length; j++)
        {
            // An unlimited budget is passed as +infinity: no violation possible.
            if (used[j] <= budget[j]) continue;
            var violation = (used[j] - budget[j]) / Math.Max(budget[j], 1);
            sum += violation * violation;
        }

        return sum;
    }
}
