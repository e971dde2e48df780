using AdaMec.Core.Scenarios;

namespace AdaMec.Cli.Commands;

/// <summary>The scenario traces shipped next to the CLI (scenarios/*.json), found by name or by path.</summary>
internal static class ShippedScenarios
{
    /// <summary>The trace the testbed and the demo use when none is given: the paper's Table 4 day.</summary>
    public const string Default = "table4-day";

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "scenarios");

    /// <summary>Names of the shipped traces.</summary>
    public static IReadOnlyList<string> Names =>
        Directory.Exists(Folder) ? Directory.GetFiles(Folder, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order().ToList() : [];

    /// <summary>Reads <paramref name="nameOrPath"/>: a trace file, else the name of a shipped trace.</summary>
    /// <returns>The trace and the path it was read from.</returns>
    public static (ScenarioTrace Trace, string Path) Read(string nameOrPath)
    {
        var path = File.Exists(nameOrPath) ? nameOrPath : Path.Combine(Folder, nameOrPath + ".json");
        if (!File.Exists(path))
            throw new FileNotFoundException($"--trace: '{nameOrPath}' is neither a trace file nor a shipped trace ({string.Join(", ", Names)})");
        try
        {
            return (ScenarioTraceJson.ReadFile(path), path);
        }
        catch (ScenarioTraceException e)
        {
            throw new ScenarioTraceException(e.Field, $"{e.Message.Split(": ", 2)[^1]} (in {path})");
        }
    }
}
