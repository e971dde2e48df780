using AdaMec.Core.Planning;

namespace AdaMec.Core.Tests.Planning;

/// <summary>Small hand-computable problems shared by the planning tests.</summary>
internal static class PlanningTestData
{
    /// <summary>The original example planning file (format: docs/planning-file.md).</summary>
    public const string DesignExample = """
        {
          "inputBytes": 602112,
          "latencyRequirementMs": 120,
          "devices": [
            { "id": "mobile", "initiator": true, "memoryBudgetBytes": 300000000, "computeBudgetFlops": 5.5e8 },
            { "id": "edge1" },
            { "id": "edge2", "memoryBudgetBytes": 150000000 }
          ],
          "links": [
            { "from": "mobile", "to": "edge1", "mbps": 40, "latencyMs": 2 },
            { "from": "edge1", "to": "mobile", "mbps": 40, "latencyMs": 2 }
          ],
          "atoms": [
            { "id": "a1", "flops": 2.1e8, "weightBytes": 140000, "memoryBytes": 900000, "outputBytes": 774144,
              "latencyMs": { "mobile": 12.5, "edge1": 3.1, "edge2": 2.2 } }
          ],
          "current": { "a1": "mobile" }
        }
        """;

    /// <summary>
    /// Two atoms, mobile (initiator) and edge, 8 Mbps both ways with 1 ms latency, so 1000 bytes
    /// take 1 + 1000*8/8000 = 2 ms. Input 1000 B, a1 outputs 3000 B (4 ms), a2 outputs 1000 B (2 ms).
    /// a1: mobile 10, edge 2 ms; a2: mobile 20, edge 4 ms.
    /// </summary>
    public static PlanningProblem TwoAtoms(
        double requirementMs = 100,
        double? edgeMemoryBudget = null,
        double? edgeComputeBudget = null,
        IReadOnlyDictionary<string, string>? current = null) =>
        PlanningProblem.Create(
            inputBytes: 1000,
            latencyRequirementMs: requirementMs,
            devices: [new PlanningDevice("mobile", true), new PlanningDevice("edge", false, edgeMemoryBudget, edgeComputeBudget)],
            links: [new PlanningLink("mobile", "edge", 8, 1), new PlanningLink("edge", "mobile", 8, 1)],
            atoms:
            [
                new PlanningAtom("a1", 100, 8000, 500, 3000, new Dictionary<string, double> { ["mobile"] = 10, ["edge"] = 2 }),
                new PlanningAtom("a2", 200, 16000, 700, 1000, new Dictionary<string, double> { ["mobile"] = 20, ["edge"] = 4 }),
            ],
            current: current);

    public static int[] Plan(PlanningProblem problem, params string[] devices) =>
        devices.Select(problem.DeviceIndexOf).ToArray();
}
