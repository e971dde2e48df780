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

    /// <summary>Most bytes one atom may say it holds on a device, or had moved to it (1 TiB): more is no board's, and a sum of such would overflow.</summary>
    public const long MaxAtomBytes = 1L << 40;

    /// <summary>Longest atom key an admission may name (characters): a deployment id, an index and a device id at their limits.</summary>
    public const int MaxAtomKeyLength = 1024;

    /// <summary>
    /// An atom's admission on a device (<c>DeviceGrain.AdmitAsync</c>): the key names an atom of
    /// <paramref name="device"/> (deployment/index@device, at most <see cref="MaxAtomKeyLength"/> characters),
    /// memory bytes and bytes received each 0 to <see cref="MaxAtomBytes"/>.
    /// </summary>
    public static string? Admission(string? atomKey, string device, long memoryBytes, long bytesReceived)
    {
        if (string.IsNullOrEmpty(atomKey)) return "atomKey: missing";
        if (atomKey.Length > MaxAtomKeyLength) return $"atomKey: {atomKey.Length} characters, over {MaxAtomKeyLength}";
        string keyDevice;
        try { keyDevice = GrainKeys.ParseAtom(atomKey).Device; }
        catch (ArgumentException) { return $"atomKey: '{atomKey}' is not an atom key (deployment/index@device)"; }
        if (keyDevice != device) return $"atomKey: '{atomKey}' is an atom of device '{keyDevice}', not of '{device}'";
        if (memoryBytes is < 0 or > MaxAtomBytes) return $"memoryBytes: must be 0 to {MaxAtomBytes}, got {memoryBytes}";
        if (bytesReceived is < 0 or > MaxAtomBytes) return $"bytesReceived: must be 0 to {MaxAtomBytes}, got {bytesReceived}";
        return null;
    }

    /// <summary>Slowest and fastest speed (measured / predicted latency) a report may give: any ratio of two stays a finite number.</summary>
    public const double MinSpeed = 1e-6, MaxSpeed = 1e6;

    /// <summary>
    /// What an initiator reports of itself (<c>IPlannerGrain.ReportInitiatorAsync</c>, and the deploy
    /// request's context): speeds <see cref="MinSpeed"/> to <see cref="MaxSpeed"/>, a known source, counts >= 0, memory and quota >= 0 or
    /// -1 (unknown / no limit), the emulation factor in the speeds' range.
    /// </summary>
    public static string? Initiator(InitiatorContext? context)
    {
        if (context is null) return "context: missing";
        if (context.Speed is not (>= MinSpeed and <= MaxSpeed)) return $"speed: must be {MinSpeed} to {MaxSpeed}, got {context.Speed}";
        if (context.PriorSpeed is not (>= MinSpeed and <= MaxSpeed)) return $"priorSpeed: must be {MinSpeed} to {MaxSpeed}, got {context.PriorSpeed}";
        if (context.SpeedSource is not ("measured" or "quota" or "prior")) return $"speedSource: must be measured, quota or prior, got {Quote(context.SpeedSource)}";
        if (context.SpeedSamples < 0) return $"speedSamples: must be >= 0, got {context.SpeedSamples}";
        if (context.AvailableMemoryBytes < -1) return $"availableMemoryBytes: must be >= 0 or -1 (unknown), got {context.AvailableMemoryBytes}";
        if (context.MemoryLimitBytes < -1) return $"memoryLimitBytes: must be >= 0 or -1 (no limit), got {context.MemoryLimitBytes}";
        if (!double.IsFinite(context.CpuQuotaCores) || (context.CpuQuotaCores < 0 && context.CpuQuotaCores != -1))
            return $"cpuQuotaCores: must be a finite number >= 0 or -1 (no quota), got {context.CpuQuotaCores}";
        if (context.EmulationSpeedFactor is not (>= MinSpeed and <= MaxSpeed))
            return $"emulationSpeedFactor: must be {MinSpeed} to {MaxSpeed}, got {context.EmulationSpeedFactor}";
        if (context.Atoms is { } atoms)
        {
            if (atoms.AtomMs is null || atoms.AtomMs.Any(ms => !double.IsFinite(ms) || ms < 0))
                return $"atoms.atomMs: must be finite numbers >= 0 ({atoms.AtomMs?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing"})";
            if (atoms.Speed is not (>= MinSpeed and <= MaxSpeed)) return $"atoms.speed: must be {MinSpeed} to {MaxSpeed}, got {atoms.Speed}";
        }
        return null;

        static string Quote(string? text) => text is null ? "nothing" : text.Length > 40 ? $"'{text[..40]}...'" : $"'{text}'";
    }
}
