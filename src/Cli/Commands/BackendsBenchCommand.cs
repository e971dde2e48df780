using System.CommandLine;
using System.Globalization;
using System.Reflection;
using AdaMec.Bench.Backends;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Cli.Commands;

/// <summary>`adamec bench backends`: ONNX Runtime vs TorchSharp per zoo model (bench/AdaMec.Bench.Backends).</summary>
internal static class BackendsBenchCommand
{
    public static Command Create()
    {
        var models = new Option<string[]>("--models") { Description = $"zoo models to partition and measure (default: all): {string.Join(", ", ModelZoo.Names)}", AllowMultipleArgumentsPerToken = true };
        var atoms = new Option<DirectoryInfo[]>("--atoms") { Description = "measure these partitioned folders instead of partitioning (repeatable)", AllowMultipleArgumentsPerToken = true };
        var threads = new Option<string>("--threads") { Description = "intra-op thread counts, comma-separated, each on both backends", DefaultValueFactory = _ => "1,2" };
        var runs = new Option<int>("--runs") { Description = "timed chain runs per model, thread count and backend (the median is reported)", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "untimed chain runs before timing", DefaultValueFactory = _ => 2 };
        var rss = new Option<string[]>("--rss-models") { Description = "measure a real silo's peak RSS for these models only (default: every measured model)", AllowMultipleArgumentsPerToken = true };
        var noRss = new Option<bool>("--no-rss") { Description = "skip the silo peak-RSS part" };
        var requests = new Option<int>("--rss-requests") { Description = "requests through the silo before reading its peak RSS", DefaultValueFactory = _ => 3 };
        var silo = new Option<FileInfo?>("--silo") { Description = "adamec-silo.dll to start (default: next to adamec, else the repository's src/Silo build)" };
        var json = new Option<bool>("--json") { Description = "print the report as JSON" };
        var output = new Option<FileInfo?>("--out") { Description = "also write the report to this file" };
        var command = new Command("backends", "ONNX Runtime vs TorchSharp: whole-chain time per zoo model at each thread count, and a real silo's peak RSS per backend")
        {
            models, atoms, threads, runs, warmup, rss, noRss, requests, silo, json, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var names = parse.GetValue(models) is { Length: > 0 } given ? given : ModelZoo.Names.ToArray();
            foreach (var name in names)
            {
                if (!ModelZoo.Names.Contains(name, StringComparer.OrdinalIgnoreCase))
                    throw new ArgumentException($"--models: unknown model '{name}'; use {string.Join(", ", ModelZoo.Names)}");
            }
            var folders = (parse.GetValue(atoms) ?? []).Select(d => d.Exists ? d.FullName : throw new ArgumentException($"--atoms: no folder {d.FullName}")).ToArray();
            var counts = ParseThreads(parse.GetValue(threads)!);
            var runCount = parse.GetValue(runs);
            if (runCount < 1) throw new ArgumentException("--runs must be at least 1");
            var warmupCount = parse.GetValue(warmup);
            if (warmupCount < 0) throw new ArgumentException("--warmup must be 0 or more");
            var requestCount = parse.GetValue(requests);
            if (requestCount < 1) throw new ArgumentException("--rss-requests must be at least 1");
            string? siloDll = null;
            if (!parse.GetValue(noRss))
            {
                siloDll = parse.GetValue(silo)?.FullName ?? FindSilo(Assembly.GetEntryAssembly()!.Location)
                    ?? throw new ArgumentException("--silo: adamec-silo.dll not found next to adamec or in the repository's src/Silo build: build src/Silo, pass --silo PATH or --no-rss");
                if (!File.Exists(siloDll)) throw new ArgumentException($"--silo: no file {siloDll}");
            }

            var settings = new BackendBenchSettings
            {
                Models = names, AtomsDirectories = folders, Threads = counts, Runs = runCount, Warmup = warmupCount,
                SiloDll = siloDll, RssModels = parse.GetValue(rss) ?? [], RssRequests = requestCount,
            };
            var report = await BackendBench.RunAsync(settings, Console.Error, cancellationToken);
            var text = parse.GetValue(json) ? BackendBench.ToJson(report) : BackendBench.ToTable(report);
            Console.Out.WriteLine(text);
            if (parse.GetValue(output) is { } file) File.WriteAllText(file.FullName, text);
            return 0;
        });
        return command;
    }

    private static int[] ParseThreads(string list)
    {
        var parts = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var counts = parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 256 ? n : -1).ToArray();
        return counts.Length == 0 || counts.Any(n => n < 0)
            ? throw new ArgumentException($"--threads: '{list}' is not a comma-separated list of thread counts between 1 and 256")
            : counts;
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
