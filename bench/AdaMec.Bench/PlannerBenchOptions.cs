namespace AdaMec.Bench;

/// <summary>Settings of one planner benchmark run. The defaults are the run recorded in bench/README.md.</summary>
public sealed record PlannerBenchOptions
{
    public int Seed { get; init; } = 42;

    /// <summary>Random instances per (atoms, devices) cell.</summary>
    public int Instances { get; init; } = 50;

    public IReadOnlyList<int> AtomCounts { get; init; } = [5, 10, 20, 40];

    public IReadOnlyList<int> DeviceCounts { get; init; } = [2, 3, 5, 8];

    /// <summary>Extra instances: every *.json planning-problem file in this folder (for example the zoo under Table 4).</summary>
    public string? ProblemsDirectory { get; init; }

    /// <summary>When set, every random instance is also written here as a problem file (n{n}-d{D}-{k}.json), so any row can be replayed with `adamec plan`.</summary>
    public string? ExportDirectory { get; init; }

    /// <summary>Timed runs per problem file (a file is one instance, so the timing needs repeats).</summary>
    public int FileRepeats { get; init; } = 21;

    /// <summary>Largest D^n the exhaustive reference is asked to enumerate.</summary>
    public long ExhaustiveLimit { get; init; } = Core.Planning.Strategies.ExhaustiveStrategy.DefaultMaxPlans;

    public IReadOnlyList<string> Strategies { get; init; } = Core.Planning.PlanningStrategies.Names;
}
