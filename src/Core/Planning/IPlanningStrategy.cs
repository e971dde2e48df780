namespace AdaMec.Core.Planning;

/// <summary>
/// Decides an assignment of atoms to devices. Implementations never throw for a valid problem:
/// with no feasible plan they return the least-gap plan they found with <c>Feasible = false</c>.
/// </summary>
public interface IPlanningStrategy
{
    /// <summary>The name the CLI and the benchmark use (lowercase).</summary>
    string Name { get; }

    /// <summary>One line for `--help` and the benchmark table.</summary>
    string Description { get; }

    PlanResult Plan(PlanningProblem problem);
}
