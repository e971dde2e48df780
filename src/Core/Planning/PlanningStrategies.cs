using AdaMec.Core.Planning.Strategies;

namespace AdaMec.Core.Planning;

/// <summary>The strategies by name. The default is the one the planner benchmark shows best.</summary>
public static class PlanningStrategies
{
    /// <summary>
    /// <c>dp</c>: exact on chains (the benchmark finds it within 1% of the exhaustive optimum on
    /// every tractable instance and never infeasible where a feasible plan exists) and faster than
    /// the paper's search. See bench/README.md for the figures.
    /// </summary>
    public const string DefaultName = "dp";

    public static IReadOnlyList<string> Names { get; } = ["dp", "adamec", "exhaustive", "neurosurgeon", "dads", "local", "ionn", "onetime"];

    public static IPlanningStrategy Default => Create(DefaultName);

    public static IPlanningStrategy Create(string name) => name switch
    {
        "dp" => new ChainDpStrategy(),
        "adamec" => new AdamecStrategy(),
        "exhaustive" => new ExhaustiveStrategy(),
        "neurosurgeon" => new NeurosurgeonStrategy(),
        "dads" => new DadsStrategy(),
        "local" => new LocalStrategy(),
        "ionn" => new IonnStrategy(),
        "onetime" => new OneTimeStrategy(),
        _ => throw new ArgumentException($"Unknown strategy '{name}'; choose one of: {string.Join(", ", Names)}.", nameof(name)),
    };
}
