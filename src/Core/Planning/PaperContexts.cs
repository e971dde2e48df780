using System.Globalization;

namespace AdaMec.Core.Planning;

/// <summary>One column of the paper's Table 4: the context at one moment of the day-long run.</summary>
public sealed record PaperContext(
    string Time,
    double LatencyRequirementMs,
    double BandwidthMbps,
    double MemoryBudgetBytes,
    double ComputeBudgetFlops,
    IReadOnlyList<string> Devices);

/// <summary>
/// The dynamic contexts of paper Table 4 (§5.2.4) and a helper that turns a model's atoms into a
/// planning problem under each of them, for the planner benchmark and the demo.
/// <para>
/// Reading of the table: devices D_A (the initiator, a smartwatch), D_B (Raspberry Pi) and D_C
/// (Jetson, present at 11:00 only); every link between participating devices, both directions, has
/// the context's bandwidth; the memory and compute budgets are D_B's (the paper's text: "when the
/// computation or the memory budget on device D_B is reduced"); MB and MFLOPs are decimal (10^6).
/// The paper gives no link latency; the default is 0 ms so transfers are pure bandwidth.
/// </para>
/// </summary>
public static class PaperContexts
{
    public const string DeviceA = "DA";
    public const string DeviceB = "DB";
    public const string DeviceC = "DC";

    public static IReadOnlyList<PaperContext> Table4 { get; } =
    [
        new("09:21", 10_000, 33.8, 300e6, 550e6, [DeviceA, DeviceB]),
        new("09:36", 11_000, 11.2, 300e6, 550e6, [DeviceA, DeviceB]),
        new("10:20", 11_000, 25.6, 300e6, 450e6, [DeviceA, DeviceB]),
        new("10:30", 11_000, 40.3, 150e6, 450e6, [DeviceA, DeviceB]),
        new("11:00", 11_000, 38.9, 300e6, 550e6, [DeviceA, DeviceB, DeviceC]),
        new("11:25", 11_000, 35.5, 300e6, 550e6, [DeviceA, DeviceB]),
    ];

    /// <summary>
    /// A planning problem for <paramref name="atoms"/> (chain order) under <paramref name="context"/>.
    /// Each atom needs latencyMs for every participating device; entries for absent devices are
    /// dropped. Atoms that <paramref name="current"/> puts on a device absent from the context start
    /// on the initiator (the device left, its copy is gone).
    /// </summary>
    public static PlanningProblem ToProblem(
        PaperContext context,
        IEnumerable<PlanningAtom> atoms,
        double inputBytes,
        IReadOnlyDictionary<string, string>? current = null,
        double linkLatencyMs = 0,
        string budgetDevice = DeviceB)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(atoms);
        var participating = context.Devices.ToHashSet(StringComparer.Ordinal);
        var devices = context.Devices.Select((id, index) => id == budgetDevice
            ? new PlanningDevice(id, index == 0, context.MemoryBudgetBytes, context.ComputeBudgetFlops)
            : new PlanningDevice(id, index == 0)).ToList();
        var links = new List<PlanningLink>();
        foreach (var from in context.Devices)
        {
            foreach (var to in context.Devices)
            {
                if (from != to) links.Add(new PlanningLink(from, to, context.BandwidthMbps, linkLatencyMs));
            }
        }

        var kept = atoms.Select(a => a with
        {
            LatencyMs = a.LatencyMs.Where(p => participating.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        }).ToList();
        var start = current?.Where(p => participating.Contains(p.Value)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return PlanningProblem.Create(inputBytes, context.LatencyRequirementMs, devices, links, kept, start);
    }

    /// <summary>
    /// Writes one problem file per Table 4 context into <paramref name="directory"/>
    /// (<c>{prefix}-table4-0921.json</c>, ...), ready for <c>adamec bench planner --problems</c>.
    /// </summary>
    public static IReadOnlyList<string> WriteTable4Problems(
        string directory,
        string prefix,
        IReadOnlyList<PlanningAtom> atoms,
        double inputBytes,
        double linkLatencyMs = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        foreach (var context in Table4)
        {
            var problem = ToProblem(context, atoms, inputBytes, linkLatencyMs: linkLatencyMs);
            var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}-table4-{context.Time.Replace(":", "", StringComparison.Ordinal)}.json");
            var path = Path.Combine(directory, name);
            File.WriteAllText(path, PlanningProblemJson.Write(problem));
            paths.Add(path);
        }

        return paths;
    }
}
