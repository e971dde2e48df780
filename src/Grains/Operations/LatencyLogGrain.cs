using AdaMec.Interfaces;

namespace AdaMec.Grains.Operations;

/// <summary>The recent latency reports of one deployment, in memory (see <see cref="ILatencyLogGrain"/>).</summary>
[CollectionAgeLimit(Minutes = 30)]
internal sealed class LatencyLogGrain : Grain, ILatencyLogGrain
{
    /// <summary>Reports kept: about ten minutes at one report a second.</summary>
    internal const int Kept = 600;

    private readonly Queue<LatencyReport> _reports = new();

    public Task RecordAsync(LatencyReport report)
    {
        // One-way: nobody hears a refusal, so a report out of range is dropped rather than shown.
        if (ContextReportValidation.Latency(report) is not null) return Task.CompletedTask;
        _reports.Enqueue(report);
        while (_reports.Count > Kept) _reports.Dequeue();
        // The planner times each plan's benefit by the requests it served (one-way: this grain never waits on it).
        return GrainFactory.GetGrain<IPlannerGrain>(this.GetPrimaryKeyString()).RequestsServedAsync(report);
    }

    public Task<IReadOnlyList<LatencyReport>> ReadAsync() => Task.FromResult<IReadOnlyList<LatencyReport>>(_reports.ToArray());
}
