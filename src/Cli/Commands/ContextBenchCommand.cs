using System.CommandLine;
using System.Reflection;
using AdaMec.Bench.Context;

namespace AdaMec.Cli.Commands;

/// <summary>`adamec bench context`: experiments on measured context (bench/AdaMec.Bench.Context), one section each.</summary>
internal static class ContextBenchCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "one JSON object: { date, machine, sections: [ { name, title, skipped, notes, rows } ] }" };
        var sections = new Option<string[]>("--section") { Description = $"run only these sections (repeatable): {string.Join(", ", ContextBench.Sections.Select(s => s.Name))}", AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats") { Description = "measurements per setting (probes per shaped rate; section prediction: 4x this many requests per quota)", DefaultValueFactory = _ => 5 };
        var silo = new Option<FileInfo?>("--silo") { Description = "adamec-silo.dll to start (default: next to adamec, else the repository's src/Silo build)" };
        var output = new Option<FileInfo?>("--out") { Description = "also write the report to this file" };
        var rates = new Option<double[]>("--rates") { Description = "shaped link rates, Mbps (section links)", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [5, 20, 100] };
        var command = new Command("context", "measured context (root): link estimate error per really shaped rate (tc), re-plan trigger delay and time-to-benefit per kind of change, whole-model prediction error per CPU quota (real silos in cgroups)")
        {
            json, sections, repeats, silo, output, rates,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var count = parse.GetValue(repeats);
            if (count < 1) throw new ArgumentException("--repeats must be at least 1");
            var cli = Assembly.GetEntryAssembly()!.Location;
            var siloDll = parse.GetValue(silo)?.FullName ?? FindSilo(cli)
                ?? throw new ArgumentException("adamec-silo.dll not found next to adamec or in the repository's src/Silo build: build src/Silo or pass --silo PATH");
            if (!File.Exists(siloDll)) throw new ArgumentException($"--silo: no file {siloDll}");
            var shaped = parse.GetValue(rates) ?? [];
            if (shaped.Length == 0 || shaped.Any(r => !double.IsFinite(r) || r <= 0 || r > 10_000)) throw new ArgumentException("--rates must be one or more rates between 0 and 10,000 Mbps");
            var settings = new ContextBenchSettings(siloDll, cli) { Repeats = count, RatesMbps = shaped };
            var report = await ContextBench.RunAsync(settings, parse.GetValue(sections) ?? [], Console.Error, cancellationToken);
            var text = parse.GetValue(json) ? ContextBench.ToJson(report) : ContextBench.ToTable(report);
            Console.Out.WriteLine(text);
            if (parse.GetValue(output) is { } file) File.WriteAllText(file.FullName, text);
            return 0;
        });
        return command;
    }

    private static string? FindSilo(string cli)
    {
        var here = Path.GetDirectoryName(cli)!;
        var next = Path.Combine(here, "adamec-silo.dll");
        if (File.Exists(next)) return next;
        // src/Cli/bin/<configuration>/<tfm>/ -> src/Silo/bin/<configuration>/<tfm>/
        var tfm = new DirectoryInfo(here);
        var configuration = tfm.Parent;
        var src = configuration?.Parent?.Parent?.Parent;
        if (src is null || configuration is null) return null;
        var built = Path.Combine(src.FullName, "Silo", "bin", configuration.Name, tfm.Name, "adamec-silo.dll");
        return File.Exists(built) ? built : null;
    }
}
