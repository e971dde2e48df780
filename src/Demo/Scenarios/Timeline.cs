using System.Text.Json;
using System.Text.Json.Serialization;
using AdaMec.Core.Scenarios;
using AdaMec.Interfaces;

namespace AdaMec.Demo.Scenarios;

/// <summary>
/// What one replay of a scenario trace saw (timeline.json): where it ran, the trace's events as applied,
/// every request of the initiator and every plan decision. Times are seconds from the replay's start.
/// </summary>
/// <param name="Testbed">Where and how it ran.</param>
/// <param name="Events">The trace's events, in the order they were applied.</param>
/// <param name="Requests">The initiator's requests, in the order they completed.</param>
/// <param name="Plans">The planner's decisions, oldest first.</param>
public sealed record Timeline(TimelineTestbed Testbed, IReadOnlyList<TimelineEvent> Events, IReadOnlyList<TimelineRequest> Requests, IReadOnlyList<TimelinePlan> Plans)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The timeline as timeline.json.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a timeline.json written by <see cref="ToJson"/>.</summary>
    public static Timeline FromJson(string json) =>
        JsonSerializer.Deserialize<Timeline>(json, Json) ?? throw new JsonException("timeline.json holds null");

    /// <summary>The latency requirement in force at <paramref name="t"/> seconds: the start's, then each requirement event's.</summary>
    public double RequirementAt(double t) =>
        Events.LastOrDefault(e => e.Kind == TraceEventKinds.Requirement && e.T <= t && e.Ms is not null)?.Ms ?? Testbed.RequirementMs;
}

/// <summary>timeline.json's <c>testbed</c>: where the replay ran and with what.</summary>
/// <param name="Mode"><c>real</c> (the testbed: processes, cgroups, shaped links) or <c>in-process</c> (emulation).</param>
/// <param name="Trace">The trace's name.</param>
/// <param name="Model">The model the atoms come from.</param>
/// <param name="Strategy">The planner strategy.</param>
/// <param name="Initiator">The device sending the requests.</param>
/// <param name="Devices">Every device of the trace.</param>
/// <param name="RequirementMs">The latency requirement at the start, ms.</param>
/// <param name="DurationS">How long the replay ran, seconds (after time scaling).</param>
/// <param name="TimeScale">Replay seconds per trace second (<c>--duration</c> over the trace's durationS).</param>
/// <param name="RequestIntervalMs">Pause between the starts of two requests, ms.</param>
/// <param name="Limitations">What the stage emulated or could not apply, one line each.</param>
/// <param name="StartedAt">Wall-clock time of t = 0.</param>
public sealed record TimelineTestbed(
    string Mode,
    string Trace,
    string Model,
    string Strategy,
    string Initiator,
    IReadOnlyList<string> Devices,
    double RequirementMs,
    double DurationS,
    double TimeScale,
    double RequestIntervalMs,
    IReadOnlyList<string> Limitations,
    DateTimeOffset StartedAt);

/// <summary>One applied event of the trace; the kind's own fields are present when the kind has them.</summary>
/// <param name="T">When it was applied, seconds from the start.</param>
/// <param name="Kind">The trace's event kind (<see cref="TraceEventKinds"/>).</param>
/// <param name="TraceT">Its time in the trace file, seconds (differs from <paramref name="T"/> when time is scaled).</param>
/// <param name="Detail">What it does, in words.</param>
/// <param name="Note">What the stage said applying it (an emulation, or why it failed); null when nothing.</param>
public sealed record TimelineEvent(double T, string Kind, double TraceT, string Detail, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Note)
{
    /// <summary>The device the event is about (device events).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Device { get; init; }

    /// <summary>The link's two ends (link events).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? Between { get; init; }

    /// <summary>New link rate, Mbps (link events that change it).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Mbps { get; init; }

    /// <summary>New link delay, ms (link events that change it).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? DelayMs { get; init; }

    /// <summary>New latency requirement, ms (requirement events).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Ms { get; init; }

    /// <summary>New memory limit or budget, MB.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Mb { get; init; }

    /// <summary>New compute budget, MFLOPs per request.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Mflops { get; init; }

    /// <summary>New CPU quota, cores.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Cpus { get; init; }

    /// <summary>How long a freeze lasts, seconds (trace time).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? ForS { get; init; }

    /// <summary>The timeline entry of <paramref name="change"/> applied at <paramref name="t"/>.</summary>
    public static TimelineEvent From(TraceEvent change, double t, string? note)
    {
        ArgumentNullException.ThrowIfNull(change);
        var e = new TimelineEvent(t, change.Kind, change.T, Describe(change), note);
        return change switch
        {
            LinkChanged c => e with { Between = [c.A, c.B], Mbps = c.Mbps, DelayMs = c.DelayMs },
            RequirementChanged c => e with { Ms = c.Ms },
            MemoryLimitChanged c => e with { Device = c.Device, Mb = c.Mb },
            MemoryBudgetChanged c => e with { Device = c.Device, Mb = c.Mb },
            ComputeBudgetChanged c => e with { Device = c.Device, Mflops = c.Mflops },
            CpuQuotaChanged c => e with { Device = c.Device, Cpus = c.Cpus },
            DeviceJoined c => e with { Device = c.Device },
            DeviceLeft c => e with { Device = c.Device },
            DeviceCrashed c => e with { Device = c.Device },
            DeviceFroze c => e with { Device = c.Device, ForS = c.ForS },
            _ => e,
        };
    }

    /// <summary>One short line saying what <paramref name="change"/> does.</summary>
    public static string Describe(TraceEvent change) => change switch
    {
        LinkChanged c => $"link {c.A}-{c.B}{(c.Mbps is { } m ? $" {m:0.#} Mbps" : "")}{(c.DelayMs is { } d ? $" {d:0.#} ms delay" : "")}",
        RequirementChanged c => $"requirement {c.Ms:0.#} ms",
        MemoryLimitChanged c => $"{c.Device} memory limit {c.Mb:0.#} MB",
        MemoryBudgetChanged c => $"{c.Device} memory budget {c.Mb:0.#} MB",
        ComputeBudgetChanged c => $"{c.Device} compute budget {c.Mflops:0.#} MFLOPs",
        CpuQuotaChanged c => $"{c.Device} CPU quota {c.Cpus:0.##} cores",
        DeviceJoined c => $"{c.Device} joins",
        DeviceLeft c => $"{c.Device} leaves",
        DeviceCrashed c => $"{c.Device} crashes",
        DeviceFroze c => $"{c.Device} freezes for {c.ForS:0.#} s",
        _ => change.Kind,
    };
}

/// <summary>One request of the initiator.</summary>
/// <param name="T">When it was answered (or failed), seconds from the start.</param>
/// <param name="Ok">True when it returned the model's output.</param>
/// <param name="LatencyMs">End-to-end latency at the initiator, ms.</param>
/// <param name="Assignment">The device each atom ran on; empty when it failed.</param>
/// <param name="PlanVersion">The plan version that served it; 0 when it failed.</param>
/// <param name="Error">Why it failed; null when it succeeded.</param>
public sealed record TimelineRequest(double T, bool Ok, double LatencyMs, IReadOnlyList<string> Assignment, int PlanVersion,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

/// <summary>One plan decision of the planner.</summary>
/// <param name="T">When it was decided, seconds from the start (negative: before the replay started, e.g. the deployment's first plan).</param>
/// <param name="Trigger">What caused it.</param>
/// <param name="Assignment">The new plan: the device of each atom.</param>
/// <param name="DecisionTimeMs">How long planning took, ms.</param>
/// <param name="BytesMoved">Weight bytes moved to make the plan live.</param>
/// <param name="TimeToBenefitMs">From the triggering change to the first request served by the whole new plan, ms; null when not (yet) known or nothing switched.</param>
/// <param name="Sequence">The decision's number in the planner's history.</param>
/// <param name="Feasible">Whether the plan meets the requirement and budgets as predicted.</param>
/// <param name="PredictedLatencyMs">The plan's predicted latency, ms.</param>
/// <param name="Completed">Whether the plan became wholly live.</param>
public sealed record TimelinePlan(
    double T,
    string Trigger,
    IReadOnlyList<string> Assignment,
    double DecisionTimeMs,
    long BytesMoved,
    double? TimeToBenefitMs,
    int Sequence,
    bool Feasible,
    double PredictedLatencyMs,
    bool Completed)
{
    /// <summary>The timeline entry of one plan record; <paramref name="start"/> is the replay's t = 0.</summary>
    public static TimelinePlan From(PlanRecord record, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new TimelinePlan(
            (record.At - start).TotalSeconds,
            record.Trigger,
            record.NewPlan,
            record.DecisionTimeMs,
            record.BytesMoved,
            record.TimeToBenefitMs,
            record.Sequence,
            record.Feasible,
            record.PredictedLatencyMs,
            record.Completed);
    }
}
