using System.CommandLine;
using System.Globalization;
using System.Text;
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

        Console.Out.WriteLine(json ? PlanAnswerJson.Write(decision) : Table(decision));
        return 0;
    }

    private static string Table(PlanDecision decision)
    {
        var c = CultureInfo.InvariantCulture;
        var p = decision.Problem;
        var text = new StringBuilder();
        text.AppendLine(c, $"strategy {decision.Strategy}: {(decision.Feasible ? "feasible" : "INFEASIBLE (least constraint gap)")}, predicted latency {Ms(decision.Cost.LatencyMs)} (requirement {Ms(p.LatencyRequirementMs)}), decided in {decision.DecisionTimeMs:0.###} ms");
        if (!decision.Feasible)
            text.AppendLine(c, $"  meets latency: {decision.Cost.MeetsLatency}, within budgets: {decision.Cost.WithinBudgets}, constraint gap {decision.Cost.ConstraintGap:0.####}");
        text.AppendLine();
        text.AppendLine(c, $"{"atom",-12} {"now",-10} {"plan",-10} {"exec ms",10}");
        for (var i = 0; i < p.Atoms.Count; i++)
        {
            var device = p.Devices[decision.Assignment[i]].Id;
            text.AppendLine(c, $"{p.Atoms[i].Id,-12} {p.Devices[p.Current[i]].Id,-10} {device,-10} {p.Atoms[i].LatencyMs[device],10:0.###}");
        }

        text.AppendLine();
        text.AppendLine(c, $"{"device",-10} {"memory MB",10} {"budget",10} {"MFLOPs",10} {"budget",10}");
        for (var d = 0; d < p.Devices.Count; d++)
        {
            var device = p.Devices[d];
            text.AppendLine(c, $"{device.Id + (device.IsInitiator ? "*" : ""),-10} {decision.Cost.MemoryBytes[d] / 1e6,10:0.###} {Budget(device.MemoryBudgetBytes),10} {decision.Cost.ComputeFlops[d] / 1e6,10:0.###} {Budget(device.ComputeBudgetFlops),10}");
        }

        text.AppendLine();
        if (decision.OffloadOrder.Count == 0)
        {
            text.AppendLine("offloading: nothing to move");
        }
        else
        {
            text.AppendLine(c, $"offloading order ({decision.OffloadOrder.Count} moves):");
            text.AppendLine(c, $"{"#",3} {"atom",-12} {"from",-10} {"to",-10} {"transfer ms",12} {"done at ms",11} {"latency after",14}");
            var step = 0;
            foreach (var move in decision.OffloadOrder)
            {
                text.AppendLine(c, $"{++step,3} {move.Atom,-12} {move.From,-10} {move.To,-10} {Ms(move.TransferMs),12} {Ms(move.CompletesAtMs),11} {Ms(move.PredictedLatencyMs),14}");
            }
        }

        return text.ToString().TrimEnd();
    }

    private static string Ms(double value) => double.IsFinite(value) ? value.ToString("0.###", CultureInfo.InvariantCulture) : "unreachable";

    private static string Budget(double? value) => value is { } v ? (v / 1e6).ToString("0.###", CultureInfo.InvariantCulture) : "-";
}
