using AdaMec.Core.Planning;

namespace AdaMec.Core.Deployments;

/// <summary>How a deployment state machine behaves (the grain maps its PlannerOptions onto this).</summary>
public sealed record DeploymentMachineOptions
{
    /// <summary>Planning strategy by name (<see cref="PlanningStrategies.Names"/>). Default <see cref="PlanningStrategies.DefaultName"/>.</summary>
    public string Strategy { get; init; } = PlanningStrategies.DefaultName;

    /// <summary>A re-plan on measured context keeps a feasible target unless the new plan is faster by more than this fraction. Default 0.1.</summary>
    public double Hysteresis { get; init; } = 0.1;

    /// <summary>Plan history entries kept (oldest dropped first). Default 1,000.</summary>
    public int HistoryLimit { get; init; } = 1000;

    /// <summary>Failed loads of one atom onto one device retried before giving up on that pair. Default 5.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Delay before the first retry; it doubles on each further retry. Default 1 second.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Measured-context re-plans of one signal kind run at most once per this interval. Default 1 second.</summary>
    public TimeSpan ContextReplanInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The live plan's prediction and the median of measured request latencies may differ by this
    /// fraction of the prediction before the gap counts. Default 0.2 (20 %).
    /// </summary>
    public double PredictionGapThreshold { get; init; } = 0.2;

    /// <summary>A gap counts as sustained once every latency report on the live plan has shown it for this long (and <see cref="PredictionGapReports"/> reports). Default 5 seconds.</summary>
    public TimeSpan PredictionGapWindow { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Latency reports (about one a second while requests run) a sustained gap needs at least. Default 3.</summary>
    public int PredictionGapReports { get; init; } = 3;

    /// <summary>After a recalibration, the next one waits at least this long (a gap the model cannot close must not re-plan over and over). Default 60 seconds.</summary>
    public TimeSpan RecalibrationCooldown { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a moved atom's old copy stays for requests in flight before it is released. Default 5 seconds.</summary>
    public TimeSpan SourceReleaseDelay { get; init; } = TimeSpan.FromSeconds(5);
}
