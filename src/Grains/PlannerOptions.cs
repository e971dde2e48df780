using System.ComponentModel.DataAnnotations;

namespace AdaMec.Grains;

/// <summary>How planners and context grains behave. Section "Planner".</summary>
public sealed class PlannerOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Planner";

    /// <summary>Planning strategy (see `adamec plan --help`).</summary>
    public string Strategy { get; set; } = Core.Planning.PlanningStrategies.DefaultName;

    /// <summary>How often a planner checks cluster membership, ms (50 to 60,000).</summary>
    [Range(50, 60_000)]
    public int MembershipPollMs { get; set; } = 500;

    /// <summary>Bandwidth assumed for a link with neither measurements nor a declaration, Mbps.</summary>
    [Range(0.01, 1_000_000)]
    public double DefaultLinkMbps { get; set; } = 1000;

    /// <summary>Latency assumed for a link with neither measurements nor a declaration, ms.</summary>
    [Range(0, 10_000)]
    public double DefaultLinkLatencyMs { get; set; } = 1;

    /// <summary>Relative change of a link estimate that makes planners re-plan (0.01 to 10).</summary>
    [Range(0.01, 10)]
    public double ChangeThreshold { get; set; } = 0.3;

    /// <summary>
    /// A re-plan triggered by measured context keeps the current target unless the new plan is faster
    /// by more than this fraction (0 to 1): measurements jitter, and moving atoms costs bytes.
    /// </summary>
    [Range(0, 1)]
    public double Hysteresis { get; set; } = 0.1;

    /// <summary>Weight bytes per pull message (64 KiB to 64 MiB; also capped by MaxMessageBodySize).</summary>
    [Range(65_536, 67_108_864)]
    public int WeightChunkBytes { get; set; } = 4 * 1024 * 1024;
}
