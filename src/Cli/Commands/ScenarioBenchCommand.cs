using System.CommandLine;
using System.Globalization;
using AdaMec.Cli.Rendering;
using AdaMec.Core.Planning;
using AdaMec.Core.Scenarios;
using AdaMec.Demo.Scenarios;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec bench scenario`: one trace replayed under AdaMec and the baselines in one run
/// (<see cref="ScenarioComparison"/>), a table per strategy, JSON with --json. Parses options and renders.
/// </summary>
internal static class ScenarioBenchCommand
{
    public static Command Create()
    {
        var trace = new Option<string>("--trace") { Description = "Scenario trace: a shipped name or a trace file", Required = true };
        var model = new Option<string>("--model") { Description = $"Zoo model: {string.Join(", ", ModelZoo.Names)}", DefaultValueFactory = _ => "googlenet" };
        var duration = new Option<double?>("--duration") { Description = $"Length of each replay, seconds (0 < s <= {ScenarioTraceJson.MaxDurationS}): the trace's times are scaled to it (default: the trace's durationS)" };
        duration.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is { } d && !(d > 0 && d <= ScenarioTraceJson.MaxDurationS))
                r.AddError($"--duration must be > 0 and <= {ScenarioTraceJson.MaxDurationS} seconds, got {d.ToString(CultureInfo.InvariantCulture)}");
        });
        var strategies = new Option<string>("--strategies") { Description = "Comma-separated strategies, run in this order (dp = AdaMec)", DefaultValueFactory = _ => string.Join(",", ScenarioComparison.DefaultStrategies) };
        strategies.Validators.Add(r =>
        {
            var names = Split(r.GetValueOrDefault<string>() ?? "");
            if (names.Count == 0) r.AddError("--strategies: name at least one strategy");
            foreach (var name in names.Where(n => !PlanningStrategies.Names.Contains(n) || n == "exhaustive"))
                r.AddError($"--strategies: unknown strategy '{name}'; choose from {string.Join(", ", PlanningStrategies.Names.Where(n => n != "exhaustive"))}");
        });
        var inProcess = new Option<bool>("--in-process") { Description = "Replay on the in-process EMULATION even where the real testbed could run" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON (and write it to --out)" };
        var output = new Option<DirectoryInfo?>("--out") { Description = "also write scenario-bench.json (the --json report) to this folder (absent: nothing is written)" };
        var command = new Command("scenario", "Replay one scenario trace under AdaMec (dp) and the baselines (neurosurgeon, ionn, onetime, local), one after the other: latency, requirement met, time-to-benefit, bytes moved, atom memory per device")
        {
            trace, model, duration, strategies, inProcess, json, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (scenario, _) = ShippedScenarios.Read(parse.GetValue(trace)!);
            var modelName = parse.GetValue(model)!;
            var asJson = parse.GetValue(json);
            var directory = Path.Combine(Path.GetTempPath(), "adamec-bench-scenario-" + Guid.NewGuid().ToString("N")[..8]);
            // Progress goes to stderr so --json keeps stdout clean.
            var stdout = Console.Out;
            Console.SetOut(Console.Error);
            try
            {
                var threads = DemoCommand.RunLocal(modelName, directory);
                var inProcessOnly = parse.GetValue(inProcess);
                var settings = new ScenarioReplaySettings { Trace = scenario, AtomsDirectory = directory, Model = modelName, DurationS = parse.GetValue(duration) };
                var report = await ScenarioComparison.RunAsync(settings, Split(parse.GetValue(strategies)!),
                    () =>
                    {
                        var chosen = ScenarioStages.Create(inProcessOnly, new InProcessStageSettings { Threads = threads }, line => Console.Error.WriteLine("   testbed: " + line));
                        Console.Error.WriteLine($"== stage: {chosen.Stage.Mode}{(chosen.FallbackReason is { } why ? $" (EMULATION, not the real testbed: {why})" : "")}");
                        return chosen.Stage;
                    },
                    (strategy, p) =>
                    {
                        if (p is ReplayStarted) Console.Error.WriteLine($"== {strategy}: replay started");
                        else if (p is ReplayEventApplied e) Console.Error.WriteLine($"   {strategy} t={e.T:0.0}s {e.Event.Detail}");
                    },
                    cancellationToken);
                report = report with { Limitations = [.. report.Limitations, PeakMemoryNote] };
                Console.SetOut(stdout);
                if (parse.GetValue(output) is { } folder)
                {
                    Directory.CreateDirectory(folder.FullName);
                    await File.WriteAllTextAsync(Path.Combine(folder.FullName, "scenario-bench.json"), report.ToJson(), cancellationToken);
                }
                if (asJson) Console.Out.WriteLine(report.ToJson());
                else Table(report).Write(CliConsole.Create(Console.Out, Console.IsOutputRedirected));
                if (!asJson)
                {
                    var prefix = report.Mode == "in-process" ? "EMULATION (in-process): " : "";
                    foreach (var line in report.Limitations) Console.Out.WriteLine(prefix + line);
                }
                if (report.Results.All(r => r.Ok == 0)) throw new CommandFailedException("no request of any replay returned the model's output");
                return 0;
            }
            finally
            {
                Console.SetOut(stdout);
                if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            }
        });
        return command;
    }

    /// <summary>How the memory column is obtained (every output says it).</summary>
    public const string PeakMemoryNote = "peak memory per device = the most atom memory (the atoms' specified memoryBytes) that the plan of any ok request placed on the device; not process RSS";

    /// <summary>The comparison as a table, one row per strategy.</summary>
    public static CliTable Table(ScenarioComparisonReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var mode = report.Mode == "in-process" ? "EMULATION in-process" : report.Mode;
        var table = new CliTable("strategy", "mode", "ok/requests", "mean ms", "p95 ms", "met %", "time-to-benefit ms per event", "MB moved", "peak atom MB per device", "measured peak MB per device");
        foreach (var r in report.Results)
        {
            table.Add(r.Strategy == "dp" ? "dp (AdaMec)" : r.Strategy, mode, $"{r.Ok}/{r.Requests}", r.MeanMs, r.P95Ms, (r.MetFraction * 100).ToString("0.0", CultureInfo.InvariantCulture),
                string.Join(" ", r.TimeToBenefitMs.Select(b => b.Ms is { } ms ? ms.ToString("0", CultureInfo.InvariantCulture) : "-")),
                r.BytesMoved / 1e6,
                string.Join(" ", r.PeakAtomMemoryBytes.Select(p => $"{p.Key}={p.Value / 1e6:0.#}")),
                r.PeakMeasuredMemoryBytes is { } measured ? string.Join(" ", measured.Select(p => $"{p.Key}={p.Value / 1e6:0}")) : "-");
        }
        return table;
    }

    private static List<string> Split(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
