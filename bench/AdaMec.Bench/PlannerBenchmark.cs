using System.Diagnostics;
using System.Globalization;
using AdaMec.Core.Planning;
using AdaMec.Core.Planning.Strategies;

namespace AdaMec.Bench;

/// <summary>
/// The planner benchmark of issue 4: every strategy on the same seeded random instances
/// (n atoms x D devices) and on planning-problem files, side by side. Decision time is wall time
/// of <see cref="IPlanningStrategy.Plan"/> after a warm-up (JIT); quality is measured against the
/// exhaustive optimum wherever D^n is small enough to enumerate. The "target zone" of the summary
/// is n &lt;= 20 and D &lt;= 5, where the default strategy must decide in under 1 ms (median).
/// </summary>
public sealed class PlannerBenchmark(PlannerBenchOptions options)
{
    private const string Exhaustive = "exhaustive";

    // Each random instance is timed this many times and the fastest run kept: the machine is shared,
    // and a preempted run measures the scheduler, not the planner.
    private const int RandomRepeats = 3;

    public PlannerBenchReport Run(TextWriter? progress = null)
    {
        var strategies = options.Strategies.Select(CreateStrategy).ToList();
        Warm(strategies);
        var samples = new List<Sample>();
        foreach (var atoms in options.AtomCounts)
        {
            foreach (var devices in options.DeviceCounts)
            {
                progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"n={atoms} D={devices}: {options.Instances} instances"));
                for (var k = 0; k < options.Instances; k++)
                {
                    var seed = InstanceSeed(options.Seed, atoms, devices, k);
                    var problem = PlanningProblemGenerator.Generate(seed, atoms, devices);
                    if (options.ExportDirectory is { } export)
                    {
                        Directory.CreateDirectory(export);
                        File.WriteAllText(Path.Combine(export, string.Create(CultureInfo.InvariantCulture, $"n{atoms}-d{devices}-{k}.json")), PlanningProblemJson.Write(problem));
                    }

                    samples.AddRange(Measure($"n={atoms} D={devices}", problem, strategies, RandomRepeats, bestOf: true));
                }
            }
        }

        if (options.ProblemsDirectory is { } directory)
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
            {
                progress?.WriteLine($"{Path.GetFileName(file)}");
                var problem = PlanningProblemJson.ReadFile(file);
                samples.AddRange(Measure(Path.GetFileNameWithoutExtension(file), problem, strategies, options.FileRepeats, bestOf: false));
            }
        }

        var cells = samples
            .GroupBy(s => (s.Group, s.Strategy))
            .Select(g => Cell(g.Key.Group, g.Key.Strategy, g.ToList()))
            .OrderBy(c => c.Group.StartsWith("n=", StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(c => c.Atoms).ThenBy(c => c.Devices).ThenBy(c => c.Group, StringComparer.Ordinal)
            .ThenBy(c => options.Strategies.ToList().IndexOf(c.Strategy))
            .ToList();
        var summary = options.Strategies.Select(name => Summary(name, samples.Where(s => s.Strategy == name).ToList())).ToList();
        var machine = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        return new PlannerBenchReport(options, machine, cells, summary);
    }

    private IPlanningStrategy CreateStrategy(string name) =>
        name == Exhaustive ? new ExhaustiveStrategy(options.ExhaustiveLimit) : PlanningStrategies.Create(name);

    private void Warm(List<IPlanningStrategy> strategies)
    {
        // Jit every path (budgeted, unbudgeted, infeasible) before anything is timed.
        for (var k = 0; k < 30; k++)
        {
            var problem = PlanningProblemGenerator.Generate(options.Seed - 1 - k, 5 + (k % 4 * 5), 2 + (k % 3));
            foreach (var strategy in strategies)
            {
                if (strategy is ExhaustiveStrategy exhaustive && !exhaustive.IsTractable(problem)) continue;
                strategy.Plan(problem);
            }
        }
    }

    private static List<Sample> Measure(string group, PlanningProblem problem, List<IPlanningStrategy> strategies, int repeats, bool bestOf)
    {
        var evaluator = new PlanEvaluator(problem);
        var results = new List<(IPlanningStrategy Strategy, PlanResult? Result, double[] Times)>();
        foreach (var strategy in strategies)
        {
            if (strategy is ExhaustiveStrategy exhaustive && !exhaustive.IsTractable(problem))
            {
                results.Add((strategy, null, []));
                continue;
            }

            var times = new double[repeats];
            PlanResult? result = null;
            for (var r = 0; r < repeats; r++)
            {
                var started = Stopwatch.GetTimestamp();
                result = strategy.Plan(problem);
                times[r] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

            results.Add((strategy, result, bestOf ? [times.Min()] : times));
        }

        var reference = results.FirstOrDefault(r => r.Strategy.Name == Exhaustive).Result;
        var bestFeasible = results.Where(r => r.Result is { Feasible: true }).Select(r => r.Result!.LatencyMs).DefaultIfEmpty(double.NaN).Min();
        var samples = new List<Sample>();
        foreach (var (strategy, result, times) in results)
        {
            if (result is null)
            {
                samples.Add(new Sample(group, problem.Atoms.Count, problem.Devices.Count, strategy.Name, true, [], false, false, null, null, false, false));
                continue;
            }

            var falseClaim = result.Feasible && !evaluator.Evaluate(result.Assignment).Feasible;
            bool? missed = null;
            double? quality = null;
            if (reference is { Feasible: true })
            {
                missed = !result.Feasible;
                quality = result.Feasible ? result.LatencyMs / reference.LatencyMs : null;
            }

            double? versusBest = result.Feasible && double.IsFinite(bestFeasible) ? result.LatencyMs / bestFeasible : null;
            samples.Add(new Sample(group, problem.Atoms.Count, problem.Devices.Count, strategy.Name, false, times, result.Feasible, falseClaim, quality, versusBest, missed ?? false, result.ProvenOptimal)
            {
                Compared = missed is not null,
            });
        }

        return samples;
    }

    private static StrategyCell Cell(string group, string strategy, List<Sample> samples)
    {
        var ran = samples.Where(s => !s.Refused).ToList();
        var times = ran.SelectMany(s => s.Times).ToList();
        var compared = ran.Where(s => s.Compared).ToList();
        var qualities = compared.Where(s => s.Quality is not null).Select(s => s.Quality!.Value).ToList();
        return new StrategyCell(
            group,
            samples[0].Atoms,
            samples[0].Devices,
            strategy,
            samples.Count,
            samples.Count - ran.Count,
            Percentile(times, 0.5),
            Percentile(times, 0.99),
            ran.Count == 0 ? null : ran.Count(s => s.Feasible) / (double)ran.Count,
            compared.Count,
            Percentile(qualities, 0.5),
            qualities.Count == 0 ? null : qualities.Max(),
            compared.Count == 0 ? null : compared.Count(s => s.Quality is <= 1.01) / (double)compared.Count,
            compared.Count(s => s.Missed),
            Percentile(ran.Where(s => s.VersusBest is not null).Select(s => s.VersusBest!.Value).ToList(), 0.5),
            ran.Count(s => s.FalseClaim),
            ran.Count == 0 ? null : ran.Count(s => s.Proven) / (double)ran.Count);
    }

    private static StrategySummary Summary(string strategy, List<Sample> samples)
    {
        var ran = samples.Where(s => !s.Refused).ToList();
        var zone = ran.Where(s => s.Group.StartsWith("n=", StringComparison.Ordinal) && s.Atoms <= 20 && s.Devices <= 5).SelectMany(s => s.Times).ToList();
        var compared = ran.Where(s => s.Compared).ToList();
        return new StrategySummary(
            strategy,
            Percentile(zone, 0.5),
            Percentile(zone, 0.99),
            compared.Count,
            compared.Count == 0 ? null : compared.Count(s => s.Quality is <= 1.01) / (double)compared.Count,
            compared.Count(s => s.Missed),
            ran.Count == 0 ? null : ran.Count(s => s.Feasible) / (double)ran.Count,
            ran.Count(s => s.FalseClaim));
    }

    /// <summary>
    /// A stable seed per instance (HashCode.Combine is randomised per process, so it would make
    /// every run draw different instances): SplitMix64 over the four numbers.
    /// </summary>
    public static int InstanceSeed(int seed, int atoms, int devices, int instance)
    {
        var z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL);
        foreach (var part in (ReadOnlySpan<int>)[atoms, devices, instance])
        {
            z = unchecked((z ^ (uint)part) + 0x9E3779B97F4A7C15UL);
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            z ^= z >> 31;
        }

        return (int)(z & int.MaxValue);
    }

    /// <summary>Nearest-rank percentile; null for no data.</summary>
    private static double? Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return null;
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(p * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    private sealed record Sample(
        string Group,
        int Atoms,
        int Devices,
        string Strategy,
        bool Refused,
        double[] Times,
        bool Feasible,
        bool FalseClaim,
        double? Quality,
        double? VersusBest,
        bool Missed,
        bool Proven)
    {
        public bool Compared { get; init; }
    }
}
