using AdaMec.Core.Planning;
using AdaMec.Core.Planning.Strategies;
using BenchmarkDotNet.Attributes;

namespace AdaMec.Bench.Micro;

/// <summary>
/// Decision time of the default strategy and of the paper's search on fixed random instances, with
/// BenchmarkDotNet's statistics (the `adamec bench planner` runner covers quality and the baselines).
/// BenchmarkDotNet derives from this class, so it cannot be sealed.
/// </summary>
[MemoryDiagnoser]
public class PlannerMicroBenchmarks
{
    private PlanningProblem[] _problems = [];
    private readonly ChainDpStrategy _dp = new();
    private readonly AdamecStrategy _adamec = new();

    [Params(10, 20, 40)]
    public int Atoms { get; set; }

    [Params(3, 5)]
    public int Devices { get; set; }

    [GlobalSetup]
    public void Setup() =>
        _problems = Enumerable.Range(0, 16).Select(k => PlanningProblemGenerator.Generate(1000 + k, Atoms, Devices)).ToArray();

    /// <summary>One call plans 16 instances (easy, budget-bound and infeasible mixed); divide by 16.</summary>
    [Benchmark(Baseline = true)]
    public double Dp()
    {
        var sum = 0.0;
        foreach (var problem in _problems) sum += _dp.Plan(problem).LatencyMs;
        return sum;
    }

    [Benchmark]
    public double Adamec()
    {
        var sum = 0.0;
        foreach (var problem in _problems) sum += _adamec.Plan(problem).LatencyMs;
        return sum;
    }
}
