using System.ComponentModel.DataAnnotations;
using AdaMec.Core.Context;

namespace AdaMec.Grains;

/// <summary>How link grains estimate and probe their links. Section "Links".</summary>
public sealed class LinkOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Links";

    /// <summary>Passive samples (real tensor and weight transfers) a link keeps, newest last.</summary>
    /// <value>The default value is 48 (2 to 1,000).</value>
    [Range(2, 1000)]
    public int Window { get; set; } = 48;

    /// <summary>Active-probe samples a link keeps apart from the passive ones, so a busy link's one tensor size does not push them out.</summary>
    /// <value>The default value is 12 (2 to 1,000).</value>
    [Range(2, 1000)]
    public int ProbeWindow { get; set; } = 12;

    /// <summary>Two samples form a slope of the fit only when the larger is at least this many times the smaller.</summary>
    /// <value>The default value is 1.5 (1.05 to 100).</value>
    [Range(1.05, 100)]
    public double MinSizeRatio { get; set; } = 1.5;

    /// <summary>Samples older than this, counted back from the link's newest one, leave the fit.</summary>
    /// <value>The default value is 10 minutes (1 second to 1 day).</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxSampleSpread { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>An estimate whose newest sample is older than this is probed again before a planner uses it.</summary>
    /// <value>The default value is 5 minutes (1 second to 1 day).</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A link probes at most once per this interval (a new link, never measured, is probed at once).
    /// It also is how often a link with subscribed planners checks whether it needs a probe.
    /// </summary>
    /// <value>The default value is 30 seconds (1 second to 1 day).</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MinProbeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Probe rounds (one small and one large payload each).</summary>
    /// <value>The default value is 3 (1 to 20).</value>
    [Range(1, 20)]
    public int ProbeRounds { get; set; } = 3;

    /// <summary>The small probe payload, bytes.</summary>
    /// <value>The default value is 32 KiB (1 to 16 MiB).</value>
    [Range(1, 16 * 1024 * 1024)]
    public int ProbeSmallBytes { get; set; } = 32 * 1024;

    /// <summary>Smallest large probe payload, bytes.</summary>
    /// <value>The default value is 256 KiB (2 to 64 MiB).</value>
    [Range(2, 64 * 1024 * 1024)]
    public int ProbeMinLargeBytes { get; set; } = 256 * 1024;

    /// <summary>Largest large probe payload, bytes (also kept under the silo's MaxMessageBodySize).</summary>
    /// <value>The default value is 2 MiB (2 to 64 MiB).</value>
    [Range(2, 64 * 1024 * 1024)]
    public int ProbeMaxLargeBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>The large probe payload is sized to take about this long at the bandwidth estimated so far.</summary>
    /// <value>The default value is 150 ms (1 ms to 1 minute).</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan ProbeTarget { get; set; } = TimeSpan.FromMilliseconds(150);

    /// <summary>No probe round starts after this much time into a probe; a planner waiting for one waits about this long at most.</summary>
    /// <value>The default value is 5 seconds (100 ms to 10 minutes).</value>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:10:00")]
    public TimeSpan ProbeBudget { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long <c>EnsureMeasuredAsync</c> (a planner about to plan) waits for a probe. A probe still
    /// running then completes on its own and signals subscribed planners, which re-plan on it.
    /// </summary>
    /// <value>The default value is 3 seconds (0 to 10 minutes).</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan EnsureWait { get; set; } = TimeSpan.FromSeconds(3);

    internal LinkEstimatorOptions ToEstimator() => new()
    {
        Window = Window,
        MinSizeRatio = MinSizeRatio,
        MaxSampleSpread = MaxSampleSpread,
        StaleAfter = StaleAfter,
    };

    internal LinkEstimatorOptions ToProbeWindow() => ToEstimator() with { Window = ProbeWindow };

    internal LinkProbeOptions ToProbe(int maxMessageBytes) => new()
    {
        SmallBytes = ProbeSmallBytes,
        MinLargeBytes = ProbeMinLargeBytes,
        MaxLargeBytes = Math.Min(ProbeMaxLargeBytes, maxMessageBytes),
        TargetTransfer = ProbeTarget,
        Rounds = ProbeRounds,
        Budget = ProbeBudget,
    };
}
