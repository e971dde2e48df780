using AdaMec.Core.Scenarios;
using AdaMec.Interfaces;

namespace AdaMec.Demo.Scenarios;

/// <summary>How to replay a trace.</summary>
public sealed record ScenarioReplaySettings
{
    /// <summary>The scenario.</summary>
    public required ScenarioTrace Trace { get; init; }

    /// <summary>The atoms folder (written by partitioning) the initiator deploys.</summary>
    public required string AtomsDirectory { get; init; }

    /// <summary>The model the atoms come from (for the timeline).</summary>
    public required string Model { get; init; }

    /// <summary>The planner strategy (PlanningStrategies.Names).</summary>
    /// <value>The default value is "dp" (PlanningStrategies.DefaultName).</value>
    public string Strategy { get; init; } = Core.Planning.PlanningStrategies.DefaultName;

    /// <summary>
    /// How long the replay runs, seconds. The trace is time-SCALED to it, not truncated: every event
    /// happens, at its trace time times <c>DurationS / trace.DurationS</c> (a freeze's length too), so a
    /// shorter replay keeps the whole story with less time between events. Null: the trace's own durationS.
    /// </summary>
    public double? DurationS { get; init; }

    /// <summary>Pause between the starts of two requests.</summary>
    /// <value>The default value is 250 ms.</value>
    public TimeSpan RequestInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The deployment's id.</summary>
    /// <value>The default value is "demo".</value>
    public string DeploymentId { get; init; } = "demo";

    /// <summary>How often the planner's history is read while the replay runs (a planner that lived on a device that left starts afresh, so the history is kept as it goes).</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan HistoryPoll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Time scale: replay seconds per trace second.</summary>
    public double TimeScale => (DurationS ?? Trace.DurationS) / Trace.DurationS;
}

/// <summary>Something the replay saw, as it happens (for a live display).</summary>
public abstract record ReplayProgress(double T);

/// <summary>The stage is up and the first request was answered.</summary>
public sealed record ReplayStarted(double T, string Mode, IReadOnlyList<string> Limitations) : ReplayProgress(T);

/// <summary>An event of the trace was applied.</summary>
public sealed record ReplayEventApplied(double T, TimelineEvent Event) : ReplayProgress(T);

/// <summary>A request completed.</summary>
public sealed record ReplayRequest(double T, TimelineRequest Request, double RequirementMs) : ReplayProgress(T);

/// <summary>The planner decided a new plan.</summary>
public sealed record ReplayPlan(double T, TimelinePlan Plan) : ReplayProgress(T);

/// <summary>
/// Replays a scenario trace on a stage: starts it (devices, deployment, requests every 250 ms), applies each
/// event at its (scaled) time, collects every request and the planner's decisions, and returns the
/// <see cref="Timeline"/>. Bounded: it ends at the replay's duration (plus the time to drain outstanding
/// requests, each bounded by the client's timeouts) or when cancelled.
/// </summary>
public static class ScenarioReplay
{
    /// <summary>Replays <paramref name="settings"/> on <paramref name="stage"/>, reporting progress as it goes.</summary>
    public static async Task<Timeline> RunAsync(IScenarioStage stage, ScenarioReplaySettings settings, Action<ReplayProgress>? report = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stage);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.DurationS is { } d && !(d > 0 && d <= ScenarioTraceJson.MaxDurationS))
            throw new ArgumentOutOfRangeException(nameof(settings), d, $"DurationS must be > 0 and <= {ScenarioTraceJson.MaxDurationS} s");
        report ??= _ => { };
        var trace = settings.Trace;
        var scale = settings.TimeScale;
        var duration = trace.DurationS * scale;

        await stage.StartAsync(new StageStart(trace, settings.AtomsDirectory, settings.Strategy, settings.RequestInterval, settings.DeploymentId), cancellationToken);
        // t = 0 is when the stage serves: the first request was answered; the trace's clock starts here.
        var start = DateTimeOffset.UtcNow;
        double Now() => (DateTimeOffset.UtcNow - start).TotalSeconds;
        report(new ReplayStarted(0, stage.Mode, stage.Limitations));

        var events = new List<TimelineEvent>();
        var requests = new List<TimelineRequest>();
        var plans = new SortedDictionary<(DateTimeOffset, int), PlanRecord>();
        double requirement = trace.RequirementMs;

        var collecting = CollectRequestsAsync();
        using var stopPolling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var polling = PollPlansAsync(stopPolling.Token);
        try
        {
            foreach (var change in trace.Events)
            {
                var due = change.T * scale;
                // A timer may fire a millisecond before the replay's clock says it is due: never apply early.
                for (var wait = due - Now(); wait > 0; wait = due - Now())
                    await Task.Delay(TimeSpan.FromSeconds(Math.Max(wait, 0.001)), cancellationToken);
                var scaled = Scale(change, scale);
                // Stamped when it starts: applying it may already cause the re-plan it is the trigger of.
                var at = Now();
                string? note = null;
                try
                {
                    await stage.ApplyAsync(scaled, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The replay goes on: one event a stage cannot apply is a finding for the timeline, not the end of the run.
                    note = $"not applied: {e.Message}";
                }
                if (change is RequirementChanged r) requirement = r.Ms;
                var entry = TimelineEvent.From(change, at, note);
                lock (events) events.Add(entry);
                report(new ReplayEventApplied(entry.T, entry));
            }

            var rest = duration - Now();
            if (rest > 0) await Task.Delay(TimeSpan.FromSeconds(rest), cancellationToken);
        }
        finally
        {
            await stage.StopRequestsAsync(CancellationToken.None);
            await collecting;
            await stopPolling.CancelAsync();
            await polling;
        }

        await ReadPlansAsync(cancellationToken);
        var testbed = new TimelineTestbed(stage.Mode, trace.Name, settings.Model, settings.Strategy, trace.Initiator.Id,
            trace.Devices.Select(x => x.Id).ToList(), trace.RequirementMs, duration, scale, settings.RequestInterval.TotalMilliseconds, stage.Limitations, start);
        return new Timeline(testbed, events, requests, plans.Values.Select(p => TimelinePlan.From(p, start)).ToList());

        async Task CollectRequestsAsync()
        {
            await foreach (var r in stage.Requests.ReadAllAsync(CancellationToken.None))
            {
                var entry = new TimelineRequest((r.At - start).TotalSeconds, r.Ok, r.LatencyMs, r.Assignment, r.PlanVersion, r.Error);
                lock (requests) requests.Add(entry);
                report(new ReplayRequest(entry.T, entry, requirement));
            }
        }

        async Task PollPlansAsync(CancellationToken token)
        {
            using var timer = new PeriodicTimer(settings.HistoryPoll);
            try
            {
                while (await timer.WaitForNextTickAsync(token)) await ReadPlansAsync(token);
            }
            catch (OperationCanceledException) { }
        }

        async Task ReadPlansAsync(CancellationToken token)
        {
            IReadOnlyList<PlanRecord> history;
            try
            {
                history = await stage.GetPlansAsync(token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return; // the planner is moving (its device left); the next read finds it again
            }
            foreach (var record in history)
            {
                bool added;
                lock (plans)
                {
                    // The same decision read again may have completed or gained its time-to-benefit since: keep the newest copy.
                    added = !plans.ContainsKey((record.At, record.Sequence));
                    plans[(record.At, record.Sequence)] = record;
                }
                if (added) report(new ReplayPlan((record.At - start).TotalSeconds, TimelinePlan.From(record, start)));
            }
        }
    }

    /// <summary><paramref name="change"/> on the replay's clock: its time and, for a freeze, its length times <paramref name="scale"/>.</summary>
    public static TraceEvent Scale(TraceEvent change, double scale)
    {
        ArgumentNullException.ThrowIfNull(change);
        var scaled = change with { T = change.T * scale };
        return scaled is DeviceFroze f ? f with { ForS = f.ForS * scale } : scaled;
    }
}
