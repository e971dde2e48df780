using Orleans.Concurrency;

namespace AdaMec.Interfaces;

/// <summary>
/// Measured latency of one deployment over time (key: deployment id), as its initiator reports it,
/// for the operator page. Kept in memory on one silo: a silo that leaves takes the recent history
/// with it and reports start again (it is a view for operators, not a record).
/// </summary>
[Alias("AdaMec.ILatencyLogGrain")]
public interface ILatencyLogGrain : IGrainWithStringKey
{
    /// <summary>Adds a report (requests finished since the previous one).</summary>
    [Alias("Record"), OneWay]
    Task RecordAsync(LatencyReport report);

    /// <summary>The recent reports, oldest first.</summary>
    [Alias("Read")]
    Task<IReadOnlyList<LatencyReport>> ReadAsync();
}

/// <summary>Requests an initiator finished over a short window.</summary>
/// <param name="At">End of the window.</param>
/// <param name="Requests">Requests finished in the window.</param>
/// <param name="MedianMs">Median end-to-end latency, ms.</param>
/// <param name="MaxMs">Slowest request, ms.</param>
/// <param name="RequirementMs">The deployment's latency requirement then, ms.</param>
/// <param name="PlanVersion">Plan version of the last request in the window.</param>
[GenerateSerializer, Immutable, Alias("AdaMec.LatencyReport")]
public sealed record LatencyReport(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] int Requests,
    [property: Id(2)] double MedianMs,
    [property: Id(3)] double MaxMs,
    [property: Id(4)] double RequirementMs,
    [property: Id(5)] int PlanVersion);
