using System.Threading.Channels;
using AdaMec.Core.Scenarios;
using AdaMec.Interfaces;

namespace AdaMec.Demo.Scenarios;

/// <summary>
/// Where a scenario trace is replayed: the real testbed (a process per device in its own cgroups and
/// network namespace, links shaped with tc, the phone a process too) or the in-process fallback
/// (silos in this process, links and speeds emulated). The replay drives a stage the same way in both
/// modes, so the timeline it writes means the same thing; <see cref="Mode"/> says which it was.
/// </summary>
public interface IScenarioStage : IAsyncDisposable
{
    /// <summary><c>real</c> or <c>in-process</c>: timeline.json's <c>testbed.mode</c>.</summary>
    string Mode { get; }

    /// <summary>
    /// What this stage emulates or cannot apply (e.g. "link delay not applied: the kernel has no netem"),
    /// one line each; every output of the replay shows them.
    /// </summary>
    IReadOnlyList<string> Limitations { get; }

    /// <summary>Request outcomes from the initiator, in the order they complete.</summary>
    ChannelReader<StageRequest> Requests { get; }

    /// <summary>
    /// Brings up the devices present at the start with the trace's limits and links, deploys the atoms
    /// from the initiator and starts sending a request every <see cref="StageStart.RequestInterval"/>.
    /// Returns once the first request has been answered.
    /// </summary>
    Task StartAsync(StageStart start, CancellationToken cancellationToken);

    /// <summary>Applies one event of the trace now (the replay calls it at the event's time).</summary>
    Task ApplyAsync(TraceEvent change, CancellationToken cancellationToken);

    /// <summary>The deployment's plan history as the planner grain holds it.</summary>
    Task<IReadOnlyList<PlanRecord>> GetPlansAsync(CancellationToken cancellationToken);

    /// <summary>Stops sending requests; <see cref="Requests"/> completes once the last outstanding one is in.</summary>
    Task StopRequestsAsync(CancellationToken cancellationToken);
}

/// <summary>What a stage starts with.</summary>
/// <param name="Trace">The scenario: devices, links and the starting requirement.</param>
/// <param name="AtomsDirectory">The atoms folder (written by partitioning) the initiator deploys.</param>
/// <param name="Strategy">The planner strategy the silos use (PlanningStrategies.Names).</param>
/// <param name="RequestInterval">Pause between the starts of two requests.</param>
/// <param name="DeploymentId">The deployment's id.</param>
public sealed record StageStart(ScenarioTrace Trace, string AtomsDirectory, string Strategy, TimeSpan RequestInterval, string DeploymentId);

/// <summary>One request the initiator sent.</summary>
/// <param name="At">When it was answered (or failed).</param>
/// <param name="Ok">True when it returned the model's output.</param>
/// <param name="LatencyMs">End-to-end latency seen by the initiator, ms.</param>
/// <param name="PlanVersion">The plan version that served it; 0 when it failed.</param>
/// <param name="Assignment">The device each atom ran on; empty when it failed.</param>
/// <param name="Error">Why it failed; null when it succeeded.</param>
public sealed record StageRequest(DateTimeOffset At, bool Ok, double LatencyMs, int PlanVersion, IReadOnlyList<string> Assignment, string? Error);
