namespace AdaMec.Core.Partitioning;

/// <summary>
/// The latency-benefit function of the paper (formula 1, with formulas 2 and 3) for one partition
/// scheme p: R(p) = λ1·ln((T_dev − T_exe(p)) / T_tran(p)) − λ2·ε(T_exe(p) + T_tran(p) − T_user).
/// </summary>
/// <remarks>
/// The paper prints the acceleration as T_exe − T_dev, which is negative whenever offloading helps
/// and has no logarithm; we use T_dev − T_exe, the time offloading saves, so that R ≥ 0 exactly
/// when the saving pays for the transfer and the scheme meets the requirement. A scheme that saves
/// nothing has R = −∞.
/// </remarks>
public static class LatencyBenefit
{
    /// <param name="localMs">T_dev: the whole model on the mobile device.</param>
    /// <param name="executionMs">T_exe (formula 2): local part plus the edge parts.</param>
    /// <param name="transferMs">T_tran (formula 3): intermediate data over the bandwidth.</param>
    /// <param name="requirementMs">T_user.</param>
    /// <param name="lambda1">Weight of the acceleration term.</param>
    /// <param name="lambda2">Weight of the requirement penalty.</param>
    public static double Compute(double localMs, double executionMs, double transferMs, double requirementMs, double lambda1 = 1, double lambda2 = 1)
    {
        var saving = localMs - executionMs;
        if (saving <= 0) return double.NegativeInfinity;
        var step = executionMs + transferMs - requirementMs > 0 ? 1 : 0;
        return lambda1 * Math.Log(saving / Math.Max(transferMs, 1e-9)) - lambda2 * step;
    }

    /// <summary>Formula 3 for one link: bytes over megabits per second, plus the link's fixed latency.</summary>
    public static double TransferMs(long bytes, double mbps, double linkLatencyMs) =>
        linkLatencyMs + bytes * 8.0 / (mbps * 1000.0);
}
