namespace AdaMec.Core.Planning;

/// <summary>When the live plan takes up atoms that have arrived on their target device.</summary>
public enum OffloadSwitching
{
    /// <summary>Each atom switches as soon as it is resident (AdaMec, IONN): the benefit arrives atom by atom.</summary>
    EachAtom,

    /// <summary>
    /// Nothing switches until every atom of the target is resident, then all at once (one-time offloading):
    /// requests meanwhile run on the old live plan (on-device at the start).
    /// </summary>
    WholePlan,
}

/// <summary>
/// How a strategy's plan is made live: the order atoms are offloaded in and when the live plan switches.
/// A strategy that does not implement it gets <see cref="OffloadPolicies.ShortestPathFirst"/> (paper §3.2.4).
/// </summary>
public interface IOffloadPolicy
{
    /// <summary>The steps from <paramref name="problem"/>'s current assignment to <paramref name="target"/>, in offloading order.</summary>
    IReadOnlyList<OffloadStep> Order(PlanningProblem problem, IReadOnlyList<int> target);

    /// <summary>When arrived atoms go live.</summary>
    OffloadSwitching Switching { get; }
}

/// <summary>The offloading policies, and which one a strategy uses.</summary>
public static class OffloadPolicies
{
    /// <summary>AdaMec's: cheapest move first along shortest routes (<see cref="OffloadOrder.Compute"/>), each atom live on arrival.</summary>
    public static IOffloadPolicy ShortestPathFirst { get; } = new ShortestPathFirstPolicy();

    /// <summary>IONN's: atoms in layer (chain) order (<see cref="OffloadOrder.InChainOrder"/>), each atom live on arrival.</summary>
    public static IOffloadPolicy LayerOrder { get; } = new LayerOrderPolicy();

    /// <summary>One-time offloading: AdaMec's order, but the live plan switches only once the whole target is resident.</summary>
    public static IOffloadPolicy WholePlanFirst { get; } = new WholePlanPolicy();

    /// <summary>The policy <paramref name="strategy"/> asks for; <see cref="ShortestPathFirst"/> when it asks for none.</summary>
    public static IOffloadPolicy For(IPlanningStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        return strategy as IOffloadPolicy ?? ShortestPathFirst;
    }

    private sealed class ShortestPathFirstPolicy : IOffloadPolicy
    {
        public OffloadSwitching Switching => OffloadSwitching.EachAtom;

        public IReadOnlyList<OffloadStep> Order(PlanningProblem problem, IReadOnlyList<int> target) => OffloadOrder.Compute(problem, target);
    }

    private sealed class LayerOrderPolicy : IOffloadPolicy
    {
        public OffloadSwitching Switching => OffloadSwitching.EachAtom;

        public IReadOnlyList<OffloadStep> Order(PlanningProblem problem, IReadOnlyList<int> target) => OffloadOrder.InChainOrder(problem, target);
    }

    private sealed class WholePlanPolicy : IOffloadPolicy
    {
        public OffloadSwitching Switching => OffloadSwitching.WholePlan;

        public IReadOnlyList<OffloadStep> Order(PlanningProblem problem, IReadOnlyList<int> target) => OffloadOrder.Compute(problem, target);
    }
}
