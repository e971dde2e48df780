namespace AdaMec.Core.Scenarios;

/// <summary>
/// A scenario to replay on a testbed (docs/traces.md): the devices and links at the start, then a timeline of
/// context changes. Read with <see cref="ScenarioTraceJson"/>, which checks every field and event.
/// </summary>
/// <param name="Name">Short name, shown in outputs.</param>
/// <param name="Description">What the scenario shows.</param>
/// <param name="DurationS">How long the replay runs, seconds; every event happens before it ends.</param>
/// <param name="RequirementMs">The latency requirement at the start, ms.</param>
/// <param name="Devices">Every device the scenario uses, including those that join later.</param>
/// <param name="Links">Links between devices, both directions; a pair without a link is unreachable.</param>
/// <param name="Events">The timeline, in time order.</param>
public sealed record ScenarioTrace(
    string Name,
    string Description,
    double DurationS,
    double RequirementMs,
    IReadOnlyList<TraceDevice> Devices,
    IReadOnlyList<TraceLink> Links,
    IReadOnlyList<TraceEvent> Events)
{
    /// <summary>The initiator (the phone): the one device the requests start from.</summary>
    public TraceDevice Initiator => Devices.Single(d => d.Initiator);
}

/// <summary>A device of a scenario and the resource limits its process starts with.</summary>
/// <param name="Id">Device id (also the silo's device id).</param>
/// <param name="Initiator">True for the phone that sends the requests.</param>
/// <param name="Cpus">CPU quota in cores (cgroup cpu), e.g. 0.5.</param>
/// <param name="MemoryLimitMb">Memory limit of the process (cgroup memory), MB (10^6 bytes).</param>
/// <param name="MemoryBudgetMb">Memory budget declared to the planner for atoms, MB; null: none.</param>
/// <param name="ComputeBudgetMflops">Compute budget declared to the planner, MFLOPs per request; null: none.</param>
/// <param name="Present">False for a device that is not there at the start and joins later.</param>
public sealed record TraceDevice(
    string Id,
    bool Initiator,
    double Cpus,
    double MemoryLimitMb,
    double? MemoryBudgetMb,
    double? ComputeBudgetMflops,
    bool Present);

/// <summary>A link between two devices, the same rate both ways.</summary>
/// <param name="A">One end.</param>
/// <param name="B">The other end.</param>
/// <param name="Mbps">Rate, megabits per second.</param>
/// <param name="DelayMs">Added one-way delay, ms (applied only where the kernel has netem).</param>
public sealed record TraceLink(string A, string B, double Mbps, double DelayMs)
{
    /// <summary>True when this link joins <paramref name="x"/> and <paramref name="y"/>, in either order.</summary>
    public bool Joins(string x, string y) => (A == x && B == y) || (A == y && B == x);
}
