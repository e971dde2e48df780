using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AdaMec.Bench.Context;

/// <summary>Where the bench finds the real executables, and how long it may take.</summary>
/// <param name="SiloDll">adamec-silo.dll.</param>
/// <param name="CliDll">adamec.dll.</param>
public sealed record ContextBenchSettings(string SiloDll, string CliDll)
{
    /// <summary>Probes per shaped rate (each one replaces the previous one's samples).</summary>
    public int Repeats { get; init; } = 5;

    /// <summary>Rounds per active probe (Links:ProbeRounds of the silos; the silo default is 3).</summary>
    public int ProbeRounds { get; init; } = 6;

    /// <summary>Shaped rates, Mbps.</summary>
    public IReadOnlyList<double> RatesMbps { get; init; } = [5, 20, 100];
}

/// <summary>
/// One section of `adamec bench context`: a table of rows (column name to value) or a reason it was
/// skipped. Columns are camelCase (they are the JSON names too).
/// </summary>
/// <param name="Name">Short id (JSON).</param>
/// <param name="Title">One line for people.</param>
/// <param name="Columns">Column names, in print order.</param>
/// <param name="Rows">One dictionary per row: column name to value.</param>
public sealed record ContextBenchSection(string Name, string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows)
{
    /// <summary>Why the section did not run (the rows are then empty), or null.</summary>
    public string? Skipped { get; init; }

    /// <summary>Lines under the table: method, emulation, caveats.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>A section's experiment. Add one by implementing this and listing it in <see cref="ContextBench.Sections"/>.</summary>
public interface IContextBenchExperiment
{
    /// <summary>The section's name (JSON, and `--section`).</summary>
    string Name { get; }

    /// <summary>Runs the experiment; progress goes to <paramref name="log"/>.</summary>
    Task<ContextBenchSection> RunAsync(ContextBenchSettings settings, TextWriter log, CancellationToken cancellationToken);
}

/// <summary>`adamec bench context`: every section, in order, as a table or one JSON object.</summary>
public static class ContextBench
{
    /// <summary>The sections, in the order they run and print.</summary>
    public static IReadOnlyList<IContextBenchExperiment> Sections { get; } =
    [
        new LinkEstimateExperiment(),
        new ReplanExperiment(),
        new PredictionErrorExperiment(),
    ];

    /// <summary>Runs the sections named in <paramref name="only"/> (all when empty).</summary>
    /// <exception cref="ArgumentException">A name in <paramref name="only"/> is not a section.</exception>
    public static async Task<IReadOnlyList<ContextBenchSection>> RunAsync(ContextBenchSettings settings, IReadOnlyCollection<string> only, TextWriter log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(only);
        var unknown = only.Where(n => Sections.All(s => s.Name != n)).ToArray();
        if (unknown.Length > 0) throw new ArgumentException($"--section: no section {string.Join(", ", unknown)} (sections: {string.Join(", ", Sections.Select(s => s.Name))})");
        var results = new List<ContextBenchSection>();
        foreach (var section in Sections.Where(s => only.Count == 0 || only.Contains(s.Name)))
            results.Add(await section.RunAsync(settings, log, cancellationToken));
        return results;
    }

    /// <summary>One JSON object: <c>{ "date", "machine", "sections": [ { "name", "title", "skipped", "notes", "rows": [ {...} ] } ] }</c>.</summary>
    public static string ToJson(IReadOnlyList<ContextBenchSection> sections)
    {
        ArgumentNullException.ThrowIfNull(sections);
        var root = new JsonObject
        {
            ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            ["machine"] = Machine(),
            ["sections"] = new JsonArray(sections.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name,
                ["title"] = s.Title,
                ["skipped"] = s.Skipped,
                ["notes"] = new JsonArray(s.Notes.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
                ["rows"] = new JsonArray(s.Rows.Select(r => (JsonNode)new JsonObject(r.Select(kv => KeyValuePair.Create(kv.Key, kv.Value is null ? null : JsonSerializer.SerializeToNode(kv.Value))))).ToArray()),
            }).ToArray()),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Tables for people, one per section.</summary>
    public static string ToTable(IReadOnlyList<ContextBenchSection> sections)
    {
        ArgumentNullException.ThrowIfNull(sections);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"adamec bench context — {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Machine()}");
        foreach (var s in sections)
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"== {s.Name}: {s.Title}");
            if (s.Skipped is not null)
            {
                text.AppendLine("skipped: " + s.Skipped);
                continue;
            }
            var cells = s.Rows.Select(r => s.Columns.Select(c => Cell(r.TryGetValue(c, out var v) ? v : null)).ToArray()).ToList();
            var widths = s.Columns.Select((c, i) => Math.Max(c.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
            text.AppendLine(string.Join("  ", s.Columns.Select((c, i) => c.PadLeft(widths[i]))));
            foreach (var row in cells) text.AppendLine(string.Join("  ", row.Select((c, i) => c.PadLeft(widths[i]))));
            foreach (var note in s.Notes) text.AppendLine("  " + note);
        }
        return text.ToString();
    }

    private static string Cell(object? value) => value switch
    {
        null => "-",
        double d => d.ToString(Math.Abs(d) >= 100 ? "0.0" : "0.00", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Machine() => $"{Environment.ProcessorCount} cores, {Environment.OSVersion.VersionString}";
}
