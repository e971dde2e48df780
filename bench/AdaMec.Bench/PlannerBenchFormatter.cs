using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AdaMec.Bench;

/// <summary>Renders a <see cref="PlannerBenchReport"/> as a side-by-side table or as JSON.</summary>
public static class PlannerBenchFormatter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public static string ToJson(PlannerBenchReport report) => JsonSerializer.Serialize(report, Json);

    public static string ToTable(PlannerBenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"planner benchmark: seed {report.Options.Seed}, {report.Options.Instances} instances per cell, {report.Machine}");
        text.AppendLine("quality = T(strategy)/T(exhaustive) where exhaustive ran and found a feasible plan; missed = infeasible there; vsBest = T/T(best feasible of all strategies)");
        text.AppendLine();
        const string header = "{0,-22} {1,-13} {2,10} {3,10} {4,7} {5,6} {6,8} {7,8} {8,7} {9,6} {10,7} {11,6} {12,7}";
        text.AppendLine("timing: per random instance the fastest of 3 runs; per problem file every run");
        text.AppendLine(string.Format(c, header, "group", "strategy", "median ms", "p99 ms", "feas%", "cmp", "q median", "q worst", "<=1%", "missed", "vsBest", "false", "proven%"));
        string? lastGroup = null;
        foreach (var cell in report.Cells)
        {
            if (lastGroup is not null && cell.Group != lastGroup) text.AppendLine();
            lastGroup = cell.Group;
            text.AppendLine(string.Format(c, header,
                cell.Group,
                cell.Strategy,
                cell.Refused == cell.Instances ? "refused" : Ms(cell.MedianMs),
                cell.Refused == cell.Instances ? "" : Ms(cell.P99Ms),
                Percent(cell.FeasibleRate),
                cell.Compared,
                Ratio(cell.QualityMedian),
                Ratio(cell.QualityWorst),
                Percent(cell.WithinOnePercent),
                cell.Compared == 0 ? "-" : cell.MissedFeasible.ToString(c),
                Ratio(cell.VersusBestMedian),
                cell.FalseClaims,
                Percent(cell.ProvenOptimalRate)));
        }

        text.AppendLine();
        text.AppendLine("summary (target zone: random instances with n <= 20, D <= 5)");
        const string summaryHeader = "{0,-13} {1,14} {2,12} {3,9} {4,9} {5,7} {6,7} {7,6}";
        text.AppendLine(string.Format(c, summaryHeader, "strategy", "zone median ms", "zone p99 ms", "compared", "<=1%", "missed", "feas%", "false"));
        foreach (var s in report.Summary)
        {
            text.AppendLine(string.Format(c, summaryHeader, s.Strategy, Ms(s.TargetZoneMedianMs), Ms(s.TargetZoneP99Ms), s.Compared, Percent(s.WithinOnePercent), s.MissedFeasible, Percent(s.FeasibleRate), s.FalseClaims));
        }

        return text.ToString();
    }

    private static string Ms(double? value) => value is { } v ? v.ToString(v < 10 ? "0.0000" : "0.0", CultureInfo.InvariantCulture) : "-";

    private static string Ratio(double? value) => value is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "-";

    private static string Percent(double? value) => value is { } v ? (v * 100).ToString("0.0", CultureInfo.InvariantCulture) : "-";
}
