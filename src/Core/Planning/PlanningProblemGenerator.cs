using System.Globalization;

namespace AdaMec.Core.Planning;

/// <summary>
/// Seeded random planning problems for the benchmark and the property tests. The shapes follow
/// real deployments: a slow initiator and 1.5-10x faster edge boards, atoms whose latency follows
/// their FLOPs, activations that mostly shrink along the chain, 5-100 Mbps links (one in ten
/// edge-to-edge directions missing), budgets on about half the instances, and a latency requirement
/// drawn relative to the unconstrained optimum: 1.0-3x of it on 85% of the instances (feasible
/// unless the budgets forbid), 0.6-1x on 15% (certainly infeasible), so instances are easy,
/// budget-bound or infeasible in realistic proportions.
/// </summary>
public static class PlanningProblemGenerator
{
    public static PlanningProblem Generate(int seed, int atomCount, int deviceCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(atomCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(deviceCount, 1);
        var random = new Random(seed);
        var ids = Enumerable.Range(0, deviceCount).Select(d => d == 0 ? "mobile" : string.Create(CultureInfo.InvariantCulture, $"edge{d}")).ToArray();
        var speed = ids.Select((_, d) => d == 0 ? 1.0 : LogUniform(random, 1.5, 10)).ToArray();

        var atoms = new List<PlanningAtom>(atomCount);
        var activation = LogUniform(random, 1e4, 1e6);
        var inputBytes = activation;
        for (var i = 0; i < atomCount; i++)
        {
            var flops = LogUniform(random, 5e6, 5e8);
            // About 1 GFLOP/s on the initiator: a smartwatch or a Raspberry Pi class CPU.
            var mobileMs = flops / 1e6 * Uniform(random, 0.8, 1.25);
            var latency = new Dictionary<string, double>(StringComparer.Ordinal);
            for (var d = 0; d < deviceCount; d++)
            {
                latency[ids[d]] = d == 0 ? mobileMs : mobileMs / speed[d] * Uniform(random, 0.8, 1.25);
            }

            // Activations mostly shrink along a network, with occasional growth.
            activation = Math.Max(1e3, activation * LogUniform(random, 0.3, 1.6));
            var weights = LogUniform(random, 1e4, 5e7);
            atoms.Add(new PlanningAtom(
                string.Create(CultureInfo.InvariantCulture, $"a{i + 1}"),
                flops,
                weights,
                weights + (2 * activation),
                activation,
                latency));
        }

        var links = new List<PlanningLink>();
        for (var from = 0; from < deviceCount; from++)
        {
            for (var to = 0; to < deviceCount; to++)
            {
                if (from == to) continue;
                var betweenEdges = from != 0 && to != 0;
                if (betweenEdges && random.NextDouble() < 0.1) continue;
                links.Add(new PlanningLink(ids[from], ids[to], LogUniform(random, 5, 100), Uniform(random, 1, 10)));
            }
        }

        var totalMemory = atoms.Sum(a => a.MemoryBytes);
        var totalFlops = atoms.Sum(a => a.Flops);
        var budgeted = random.NextDouble() < 0.5;
        var devices = new List<PlanningDevice>(deviceCount);
        for (var d = 0; d < deviceCount; d++)
        {
            double? memory = budgeted && random.NextDouble() < 0.6 ? totalMemory * Uniform(random, 0.2, 0.8) : null;
            double? compute = budgeted && random.NextDouble() < 0.5 ? totalFlops * Uniform(random, 0.2, 0.8) : null;
            devices.Add(new PlanningDevice(ids[d], d == 0, memory, compute));
        }

        Dictionary<string, string>? current = null;
        if (random.NextDouble() < 0.5)
        {
            current = atoms.ToDictionary(a => a.Id, _ => ids[random.Next(deviceCount)], StringComparer.Ordinal);
        }

        var draft = PlanningProblem.Create(inputBytes, 1, devices, links, atoms, current);
        var optimum = Strategies.ChainDpStrategy.UnconstrainedLatency(draft);
        var requirement = optimum * (random.NextDouble() < 0.85 ? Uniform(random, 1.0, 3.0) : Uniform(random, 0.6, 1.0));
        return PlanningProblem.Create(inputBytes, requirement, devices, links, atoms, current);
    }

    private static double Uniform(Random random, double low, double high) => low + (random.NextDouble() * (high - low));

    private static double LogUniform(Random random, double low, double high) => Math.Exp(Uniform(random, Math.Log(low), Math.Log(high)));
}
