namespace AdaMec.Core.Planning.Strategies;

/// <summary>On-device execution: every atom on the initiator (the paper's on-device baseline).</summary>
public sealed class LocalStrategy : IPlanningStrategy
{
    public string Name => "local";

    public string Description => "every atom on the initiator (on-device baseline)";

    public PlanResult Plan(PlanningProblem problem)
    {
        var tables = new CostTables(problem);
        return tables.Result(tables.LocalPlan());
    }
}
