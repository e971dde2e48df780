using AdaMec.Interfaces;

namespace AdaMec.Grains;

/// <summary>
/// Checks the context reports grains receive (link declarations, subscriptions, latency reports)
/// where they enter. Each check returns null when the report may be used, else the problem naming the
/// field; the grain adds its own key to the message. Pure, so the fuzz targets (`adamec bench fuzz`)
/// run the same code the grains do.
/// </summary>
public static class ContextReportValidation
{
    /// <summary>Longest deployment id a subscription may name (characters), as <see cref="LimitsOptions.MaxIdLength"/>'s default.</summary>
    public const int MaxDeploymentIdLength = 256;

    /// <summary>A declared link: bandwidth finite and > 0, latency finite and >= 0.</summary>
    public static string? Declaration(double mbps, double latencyMs)
    {
        if (!double.IsFinite(mbps) || mbps <= 0) return $"mbps: must be a finite number > 0, got {mbps}";
        if (!double.IsFinite(latencyMs) || latencyMs < 0) return $"latencyMs: must be a finite number >= 0, got {latencyMs}";
        return null;
    }

    /// <summary>Budgets an operator sets on a device: memory bytes >= 0, compute FLOPs finite and >= 0 (absent: unlimited).</summary>
    public static string? Budgets(DeviceBudgets? budgets)
    {
        if (budgets is null) return "budgets: missing";
        if (budgets.MemoryBudgetBytes is < 0) return $"memoryBudgetBytes: must be >= 0, got {budgets.MemoryBudgetBytes}";
        if (budgets.ComputeBudgetFlops is { } flops && (!double.IsFinite(flops) || flops < 0))
            return $"computeBudgetFlops: must be a finite number >= 0, got {flops}";
        return null;
    }

    /// <summary>A measured transfer: bytes > 0, milliseconds finite and >= 0 (what the link estimator can fit).</summary>
    public static string? Transfer(TransferSample? sample)
    {
        if (sample is null) return "sample: missing";
        if (sample.Bytes <= 0) return $"bytes: must be > 0, got {sample.Bytes}";
        if (!double.IsFinite(sample.Milliseconds) || sample.Milliseconds < 0) return $"milliseconds: must be a finite number >= 0, got {sample.Milliseconds}";
        return null;
    }

    /// <summary>A subscription: a deployment id of 1 to <see cref="MaxDeploymentIdLength"/> characters and a lease in (0, <paramref name="maxLease"/>].</summary>
    public static string? Subscription(ContextSubscription? subscription, TimeSpan maxLease)
    {
        if (subscription is null) return "subscription: missing";
        if (string.IsNullOrWhiteSpace(subscription.Deployment)) return "deployment: missing (a subscription needs a deployment id)";
        if (subscription.Deployment.Length > MaxDeploymentIdLength)
            return $"deployment: {subscription.Deployment.Length} characters, over {MaxDeploymentIdLength}";
        if (subscription.Lease <= TimeSpan.Zero || subscription.Lease > maxLease)
            return $"lease: must be > 0 and at most {maxLease.TotalDays:0} days, got {subscription.Lease}";
        return null;
    }

    /// <summary>A latency report: requests > 0, times finite and >= 0, plan version >= 0.</summary>
    public static string? Latency(LatencyReport? report)
    {
        if (report is null) return "report: missing";
        if (report.Requests <= 0) return $"requests: must be > 0, got {report.Requests}";
        if (!double.IsFinite(report.MedianMs) || report.MedianMs < 0) return $"medianMs: must be a finite number >= 0, got {report.MedianMs}";
        if (!double.IsFinite(report.MaxMs) || report.MaxMs < report.MedianMs) return $"maxMs: must be a finite number >= medianMs, got {report.MaxMs}";
        if (!double.IsFinite(report.RequirementMs) || report.RequirementMs < 0) return $"requirementMs: must be a finite number >= 0, got {report.RequirementMs}";
        if (report.PlanVersion < 0) return $"planVersion: must be >= 0, got {report.PlanVersion}";
        return null;
    }
}
