namespace AdaMec.Core.Planning.Strategies;

/// <summary>
/// The paper's strategy (§3.2.3): context-adaptive combination search from the current assignment,
/// keeping the top <see cref="BeamWidth"/> vertices by constraint gap until feasible, then by
/// benefit. A local search: fast to adapt from a nearby plan, not guaranteed optimal.
/// </summary>
public sealed class AdamecStrategy(int beamWidth = AdamecStrategy.DefaultBeamWidth) : IPlanningStrategy
{
    /// <summary>The paper does not give k; 8 keeps a round under n*D*8 neighbour costings.</summary>
    public const int DefaultBeamWidth = 8;

    public string Name => "adamec";

    public string Description => "paper §3.2.3: top-k search-graph expansion from the current plan (gap, then benefit)";

    public int BeamWidth => beamWidth;

    public PlanResult Plan(PlanningProblem problem)
    {
        var tables = new CostTables(problem);
        // Each round can move the set one atom further, so a plan n moves away needs n rounds; the
        // factor leaves room for the benefit phase to keep improving after reaching feasibility.
        var search = new CombinationSearch(tables, beamWidth, maxRounds: 4 * tables.N * tables.D);
        return search.Run([tables.Current.ToArray()]);
    }
}
