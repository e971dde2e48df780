namespace AdaMec.Core.Deployments;

/// <summary>One step of the offloading order still to do: move atom <see cref="Atom"/> to <see cref="To"/>.</summary>
public sealed record OrderedMove(int Atom, string To);

/// <summary>An old copy to release once <see cref="DueAt"/> has passed.</summary>
public sealed record PendingRelease(int Atom, string Device, DateTimeOffset DueAt);

/// <summary>
/// The durable part of a deployment (<see cref="DeploymentMachine.Save"/>, <see cref="DeploymentMachine.Restore"/>):
/// everything but the model (stored with its manifest), the devices (read from membership again) and
/// transient retry state.
/// </summary>
public sealed record DeploymentMemento(
    DeploymentInitiator Initiator,
    double RequirementMs,
    IReadOnlyList<string>? Pin,
    IReadOnlyList<string> Live,
    IReadOnlyList<string> Target,
    int Version,
    double PredictedLatencyMs,
    bool Feasible,
    IReadOnlyList<PlanHistoryEntry> History,
    int Sequence,
    int TargetSequence,
    IReadOnlyList<OrderedMove> Order,
    IReadOnlyList<int> Moved,
    IReadOnlyList<PendingRelease> Releases);
