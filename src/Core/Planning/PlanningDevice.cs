namespace AdaMec.Core.Planning;

/// <summary>
/// A device that can run atoms. Exactly one device of a problem is the initiator: it holds the
/// input and must receive the output. An absent budget means unlimited.
/// </summary>
public sealed record PlanningDevice(
    string Id,
    bool IsInitiator = false,
    double? MemoryBudgetBytes = null,
    double? ComputeBudgetFlops = null);
