using System.ComponentModel.DataAnnotations;
using AdaMec.Core.Deployments;

namespace AdaMec.Grains;

/// <summary>How planners and context grains behave. Section "Planner".</summary>
public sealed class PlannerOptions : IValidatableObject
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Planner";

    /// <summary>
    /// Planning strategy (see `adamec plan --help`). <c>exhaustive</c> is refused on a silo: it is
    /// exponential in the atom count and exists for offline comparison (`adamec plan`, `adamec bench`).
    /// </summary>
    /// <value>The default value is <c>dp</c>.</value>
    public string Strategy { get; set; } = Core.Planning.PlanningStrategies.DefaultName;

    /// <summary>Bandwidth assumed for a link with neither measurements nor a declaration, Mbps.</summary>
    [Range(0.01, 1_000_000)]
    public double DefaultLinkMbps { get; set; } = 1000;

    /// <summary>Latency assumed for a link with neither measurements nor a declaration, ms.</summary>
    [Range(0.0, 10_000.0)]
    public double DefaultLinkLatencyMs { get; set; } = 1;

    /// <summary>Relative change of a link estimate that makes planners re-plan (0.01 to 10).</summary>
    [Range(0.01, 10)]
    public double ChangeThreshold { get; set; } = 0.3;

    /// <summary>
    /// A re-plan triggered by measured context keeps the current target unless the new plan is faster
    /// by more than this fraction (0 to 1): measurements jitter, and moving atoms costs bytes.
    /// </summary>
    [Range(0.0, 1.0)]
    public double Hysteresis { get; set; } = 0.1;

    /// <summary>Weight bytes per pull message (64 KiB to 64 MiB; also capped by MaxMessageBodySize).</summary>
    [Range(65_536, 67_108_864)]
    public int WeightChunkBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Plan history entries a deployment keeps, newest last (older ones are dropped; the count of decisions goes on).</summary>
    /// <value>The default value is 1,000 (1 to 100,000).</value>
    [Range(1, 100_000)]
    public int HistoryLimit { get; set; } = 1000;

    /// <summary>
    /// How long a planner's subscription to a device or link grain lasts. The planner renews it at a
    /// third of this, and again after it re-activates, so a collected context grain hears from it again.
    /// </summary>
    /// <value>The default value is 2 minutes (10 seconds to 1 day).</value>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan SubscriptionLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Failed loads of one atom onto one device retried before the planner gives that pair up (until an operator action, a budget change or the device joining again).</summary>
    /// <value>The default value is 5 (0 to 100).</value>
    [Range(0, 100)]
    public int MaxOffloadRetries { get; set; } = 5;

    /// <summary>Delay before the first retry of a failed load or re-plan; it doubles with each further retry.</summary>
    /// <value>The default value is 1 second (10 ms to 10 minutes).</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Measured-context re-plans of one signal kind (link, memory, compute) run at most once per this interval; budget changes and evictions re-plan at once.</summary>
    /// <value>The default value is 1 second (0 to 10 minutes).</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ContextReplanInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a planner waits for its initiator to probe the links between it and a device it never
    /// measured (a device that joined after the deploy: a link grain cannot probe a link with a client
    /// end) before it plans; zero plans at once on the configured default link.
    /// </summary>
    /// <value>The default value is 5 seconds (0 to 1 minute).</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan InitiatorProbeWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the old copy of a moved atom stays on its device, for requests already on their way, before the planner releases it.</summary>
    /// <value>The default value is 5 seconds (0 to 1 hour).</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan SourceReleaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How far (a fraction of the prediction) the median latency the initiator measures may stray from the
    /// live plan's predicted latency before the planner recalibrates the devices and links the plan uses and re-plans.
    /// </summary>
    /// <value>The default value is 0.2 (0.01 to 10).</value>
    [Range(0.01, 10)]
    public double PredictionGapThreshold { get; set; } = 0.2;

    /// <summary>How long every latency report on the live plan must show the gap before it counts as sustained (at least 3 reports, about one a second).</summary>
    /// <value>The default value is 5 seconds (1 second to 1 hour).</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PredictionGapWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>After a recalibration, how long before the next: a gap the cost model cannot close must not re-plan over and over.</summary>
    /// <value>The default value is 60 seconds (0 to 1 day).</value>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RecalibrationCooldown { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The state machine's view of these options.</summary>
    internal DeploymentMachineOptions ToMachineOptions() => new()
    {
        Strategy = Strategy,
        Hysteresis = Hysteresis,
        HistoryLimit = HistoryLimit,
        MaxRetries = MaxOffloadRetries,
        RetryDelay = RetryDelay,
        ContextReplanInterval = ContextReplanInterval,
        SourceReleaseDelay = SourceReleaseDelay,
        PredictionGapThreshold = PredictionGapThreshold,
        PredictionGapWindow = PredictionGapWindow,
        RecalibrationCooldown = RecalibrationCooldown,
    };

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Strategy == "exhaustive")
        {
            yield return new ValidationResult(
                "Planner:Strategy 'exhaustive' is for offline comparison (adamec plan, adamec bench); a silo refuses it because its search grows exponentially with the atoms. Choose dp (the default) or adamec.",
                [nameof(Strategy)]);
        }
    }
}
