using System.Text;
using System.Text.Json;

namespace AdaMec.Core.Planning;

/// <summary>
/// The answer object of `adamec plan --json` (docs/planning-file.md): strategy, feasible, assignment,
/// predictedLatencyMs, decisionTimeMs, offloadOrder — then extra fields. Costs come from the
/// independent evaluator. JSON has no infinity: an unreachable latency is written as null.
/// </summary>
public static class PlanAnswerJson
{
    public static string Write(PlanDecision decision, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var problem = decision.Problem;
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
        {
            writer.WriteStartObject();
            writer.WriteString("strategy", decision.Strategy);
            writer.WriteBoolean("feasible", decision.Feasible);
            writer.WriteStartObject("assignment");
            for (var i = 0; i < problem.Atoms.Count; i++)
            {
                writer.WriteString(problem.Atoms[i].Id, problem.Devices[decision.Assignment[i]].Id);
            }

            writer.WriteEndObject();
            Number(writer, "predictedLatencyMs", decision.Cost.LatencyMs);
            writer.WriteNumber("decisionTimeMs", Math.Round(decision.DecisionTimeMs, 4));
            writer.WriteStartArray("offloadOrder");
            foreach (var step in decision.OffloadOrder)
            {
                writer.WriteStartObject();
                writer.WriteString("atom", step.Atom);
                writer.WriteString("to", step.To);
                Number(writer, "transferMs", step.TransferMs);
                writer.WriteString("from", step.From);
                Number(writer, "completesAtMs", step.CompletesAtMs);
                Number(writer, "predictedLatencyMs", step.PredictedLatencyMs);
                writer.WriteStartArray("route");
                foreach (var hop in step.Route) writer.WriteStringValue(hop);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteNumber("latencyRequirementMs", problem.LatencyRequirementMs);
            writer.WriteBoolean("meetsLatency", decision.Cost.MeetsLatency);
            writer.WriteBoolean("withinBudgets", decision.Cost.WithinBudgets);
            Number(writer, "constraintGap", decision.Cost.ConstraintGap);
            writer.WriteNumber("weightBytesMoved", decision.Cost.WeightBytesMoved);
            writer.WriteBoolean("provenOptimal", decision.Result.ProvenOptimal);
            writer.WriteStartObject("devices");
            for (var d = 0; d < problem.Devices.Count; d++)
            {
                var device = problem.Devices[d];
                writer.WriteStartObject(device.Id);
                writer.WriteNumber("memoryBytes", decision.Cost.MemoryBytes[d]);
                if (device.MemoryBudgetBytes is { } memory) writer.WriteNumber("memoryBudgetBytes", memory);
                writer.WriteNumber("computeFlops", decision.Cost.ComputeFlops[d]);
                if (device.ComputeBudgetFlops is { } compute) writer.WriteNumber("computeBudgetFlops", compute);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Number(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumber(name, value);
        else writer.WriteNull(name);
    }
}
