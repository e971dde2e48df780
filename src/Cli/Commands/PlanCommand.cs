using System.CommandLine;
using System.Globalization;
using AdaMec.Cli.Rendering;
using AdaMec.Core.Planning;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec plan --problem FILE [--strategy NAME] [--json]`: decide a plan for a planning-problem
/// file (docs). Exit 0 with an answer (also when no plan is feasible: the answer says so), 2 when the
/// file is invalid (the message names the field) or the strategy refuses the problem's size.
/// </summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var problem = new Option<FileInfo>("--problem")
        {
            Description = "planning-problem JSON file (format in docs/planning-file.md)",
            Required = true,
        };
        var strategy = new Option<string>("--strategy")
        {
            Description = $"planning strategy: {string.Join(", ", PlanningStrategies.Names)}",
            DefaultValueFactory = _ => PlanningStrategies.DefaultName,
        };
        strategy.AcceptOnlyFromAmong([.. PlanningStrategies.Names]);
        var json = new Option<bool>("--json") { Description = "print the answer as one JSON object" };

        var command = new Command("plan", "decide which device runs each atom, and the order to offload them") { problem, strategy, json };
        command.SetAction(parse => Run(parse.GetRequiredValue(problem), parse.GetRequiredValue(strategy), parse.GetValue(json)));
        return command;
    }

    private static int Run(FileInfo file, string strategyName, bool json)
    {
        PlanningProblem problem;
        try
        {
            problem = PlanningProblemJson.ReadFile(file.FullName);
        }
        catch (PlanningProblemException e)
        {
            throw new PlanningProblemException($"{file.Name}: invalid planning problem: {e.Message}", e);
        }
        var strategy = PlanningStrategies.Create(strategyName);
        // decisionTimeMs should measure the decision, not the JIT compiling the planner: a
        // long-lived PlannerGrain pays that once. Warm up on a tiny problem, then time the real one.
        strategy.Plan(PlanningProblemGenerator.Generate(1, 3, 2));
        var decision = Planner.Decide(problem, strategy);

        if (json) Console.Out.WriteLine(PlanAnswerJson.Write(decision));
        else Print(decision);
        return 0;
    }

    private static void Print(PlanDecision decision)
    {
        var c = CultureInfo.InvariantCulture;
        var p = decision.Problem;
        Console.WriteLine(string.Create(c, $"strategy {decision.Strategy}: {(decision.Feasible ? "feasible" : "INFEASIBLE (least constraint gap)")}, predicted latency {Ms(decision.Cost.LatencyMs)} (requirement {Ms(p.LatencyRequirementMs)}), decided in {decision.DecisionTimeMs:0.###} ms"));
        if (!decision.Feasible)
            Console.WriteLine(string.Create(c, $"  meets latency: {decision.Cost.MeetsLatency}, within budgets: {decision.Cost.WithinBudgets}, constraint gap {decision.Cost.ConstraintGap:0.####}"));
        Console.WriteLine();
        var atoms = new CliTable("atom", "now", "plan", "exec ms");
        for (var i = 0; i < p.Atoms.Count; i++)
        {
            var device = p.Devices[decision.Assignment[i]].Id;
            atoms.Add(p.Atoms[i].Id, p.Devices[p.Current[i]].Id, device, p.Atoms[i].LatencyMs[device]);
        }
        atoms.Write(CliConsole.Out);

        Console.WriteLine();
        var devices = new CliTable("device", "memory MB", "budget", "MFLOPs", "budget");
        for (var d = 0; d < p.Devices.Count; d++)
        {
            var device = p.Devices[d];
            devices.Add(device.Id + (device.IsInitiator ? "*" : ""), decision.Cost.MemoryBytes[d] / 1e6, Budget(device.MemoryBudgetBytes), decision.Cost.ComputeFlops[d] / 1e6, Budget(device.ComputeBudgetFlops));
        }
        devices.Write(CliConsole.Out);

        Console.WriteLine();
        if (decision.OffloadOrder.Count == 0)
        {
            Console.WriteLine("offloading: nothing to move");
            return;
        }
        Console.WriteLine($"offloading order ({decision.OffloadOrder.Count} moves):");
        var moves = new CliTable("#", "atom", "from", "to", "transfer ms", "done at ms", "latency after");
        var step = 0;
        foreach (var move in decision.OffloadOrder)
            moves.Add(++step, move.Atom, move.From, move.To, Ms(move.TransferMs), Ms(move.CompletesAtMs), Ms(move.PredictedLatencyMs));
        moves.Write(CliConsole.Out);
    }

    private static string Ms(double value) => double.IsFinite(value) ? value.ToString("0.###", CultureInfo.InvariantCulture) : "unreachable";

    private static string Budget(double? value) => value is { } v ? (v / 1e6).ToString("0.###", CultureInfo.InvariantCulture) : "-";
}
