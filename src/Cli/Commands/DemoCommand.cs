using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AdaMec.Cli.Rendering;
using AdaMec.Core.Partitioning;
using AdaMec.Core.Planning;
using AdaMec.Core.Scenarios;
using AdaMec.Demo.Scenarios;
using AdaMec.Prediction.Learning;
using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Execution;
using AdaMec.Runtime.Zoo;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec demo`: the main job end to end on one machine — partition a zoo model into atoms, verify the
/// chain against the whole model, time it locally (<see cref="AtomChainTimer"/>), then replay a scenario
/// trace (default: the paper's Table 4 day) on the real testbed where this machine can host it, else on the
/// in-process EMULATION (<see cref="ScenarioStages"/>), while the phone sends a request every 250 ms; a live
/// table while it runs, timeline.json and timeline.png at the end. This file parses options and renders;
/// the work is in the libraries.
/// </summary>
internal static class DemoCommand
{
    private const int Steps = 5;

    public static Command Create()
    {
        var trace = new Option<string>("--trace") { Description = $"Scenario trace: a shipped name ({string.Join(", ", ShippedScenarios.Names)}) or a trace file", DefaultValueFactory = _ => ShippedScenarios.Default };
        var model = new Option<string>("--model") { Description = $"Zoo model: {string.Join(", ", ModelZoo.Names)}", DefaultValueFactory = _ => "googlenet" };
        var strategy = new Option<string>("--strategy") { Description = "Planner strategy the silos use", DefaultValueFactory = _ => PlanningStrategies.DefaultName };
        strategy.AcceptOnlyFromAmong([.. PlanningStrategies.Names.Where(n => n != "exhaustive")]);
        var duration = new Option<double?>("--duration") { Description = "Replay length, seconds (0 < s <= 3600): the trace's times are scaled to it, every event kept (default: the trace's durationS)" };
        duration.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is { } d && !(d > 0 && d <= ScenarioTraceJson.MaxDurationS))
                r.AddError($"--duration must be > 0 and <= {ScenarioTraceJson.MaxDurationS} seconds, got {d.ToString(CultureInfo.InvariantCulture)}");
        });
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for timeline.json and timeline.png", DefaultValueFactory = _ => new DirectoryInfo(".") };
        var inProcess = new Option<bool>("--in-process") { Description = "Replay on the in-process EMULATION even where the real testbed could run" };
        var local = new Option<bool>("--local-only") { Description = "Stop after the local run (no replay)" };
        var command = new Command("demo", "Partition a model into atoms, verify the chain, run it locally, then replay a scenario trace (the paper's Table 4 day by default) on the real testbed or the in-process emulation while the phone sends a request every 250 ms; writes timeline.json and timeline.png")
        {
            trace, model, strategy, duration, output, inProcess, local,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (scenario, tracePath) = ShippedScenarios.Read(parse.GetValue(trace)!);
            var modelName = parse.GetValue(model)!;
            var outDirectory = parse.GetValue(output)!.FullName;
            var directory = Path.Combine(Path.GetTempPath(), "adamec-demo-" + Guid.NewGuid().ToString("N")[..8]);
            var wall = Stopwatch.StartNew();
            try
            {
                var threads = RunLocal(modelName, directory);
                if (parse.GetValue(local)) return 0;
                Console.WriteLine();
                // Silo logs are off in the demo; ADAMEC_DEMO_LOGS=1 writes warnings and AdaMec's information to stderr.
                Action<ILoggingBuilder>? logging = Environment.GetEnvironmentVariable("ADAMEC_DEMO_LOGS") == "1"
                    ? l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning).AddFilter("AdaMec", LogLevel.Information)
                    : null;
                var chosen = ScenarioStages.Create(parse.GetValue(inProcess), new InProcessStageSettings { Threads = threads, Logging = logging }, line => Console.Error.WriteLine("   testbed: " + line));
                await using var stage = chosen.Stage;
                var settings = new ScenarioReplaySettings
                {
                    Trace = scenario,
                    AtomsDirectory = directory,
                    Model = modelName,
                    Strategy = parse.GetValue(strategy)!,
                    DurationS = parse.GetValue(duration),
                };
                var replayS = scenario.DurationS * settings.TimeScale;
                Console.WriteLine($"== 4/{Steps} stage: {stage.Mode}{(chosen.FallbackReason is { } why ? $" (not the real testbed: {why})" : "")}");
                if (stage.Mode == "real") Console.WriteLine("   a silo process per edge device in its own network namespace and cgroups, links shaped with tc, the phone an adamec client process in its own; membership on the testbed's PostgreSQL");
                foreach (var line in stage.Limitations) Console.WriteLine("   " + line);
                Console.WriteLine();
                Console.WriteLine($"== 5/{Steps} replay {scenario.Name} ({tracePath}) in {replayS:0.#} s{(settings.TimeScale != 1 ? $" (trace time x{settings.TimeScale:0.###})" : "")}: {scenario.Events.Count} events, a request every {settings.RequestInterval.TotalMilliseconds:0} ms, strategy {settings.Strategy}");
                var view = new ReplayView(scenario.Devices.Select(d => d.Id).ToList(), replayS);
                Console.WriteLine($"   plan vector: one letter per atom, {view.Legend}");
                var timeline = await view.RunAsync(report => ScenarioReplay.RunAsync(stage, settings, report, cancellationToken));
                view.Flush();

                Directory.CreateDirectory(outDirectory);
                var json = Path.Combine(outDirectory, "timeline.json");
                var png = Path.Combine(outDirectory, "timeline.png");
                await File.WriteAllTextAsync(json, timeline.ToJson(), cancellationToken);
                TimelinePlot.Save(timeline, png);
                var ok = timeline.Requests.Count(r => r.Ok);
                var replans = timeline.Plans.Count(p => p.T >= 0);
                Console.WriteLine();
                Console.WriteLine($"{(stage.Mode == "in-process" ? "EMULATION (in-process): " : "")}{ok}/{timeline.Requests.Count} requests ok, {timeline.Events.Count} events applied, {replans} plan decisions during the replay; demo wall time {wall.Elapsed.TotalSeconds:0} s.");
                Console.WriteLine($"wrote {json}");
                Console.WriteLine($"wrote {png}");
                if (ok == 0) throw new CommandFailedException("no request of the replay returned the model's output");
                return 0;
            }
            finally
            {
                if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            }
        });
        return command;
    }

    /// <summary>
    /// The learned predictor when this checkout has it trained; else the model's operators timed on this
    /// machine. Training takes minutes on two cores and would take the demo past its three.
    /// </summary>
    private static IOperatorLatencyModel DemoLatencySource(string model)
    {
        if ((LearnedLatencyModel.LoadDefaultIfTrained(AppContext.BaseDirectory) ?? LearnedLatencyModel.LoadDefaultIfTrained()) is { } learned) return learned;
        Console.WriteLine("   The learned predictor is not trained in this checkout yet (`adamec predictor train`, or a first `adamec partition`, trains it once:");
        Console.WriteLine("   minutes on two cores), so this run times the model's operators on this machine instead.");
        return MeasuredLatencyModel.Measure(ModelZoo.Graph(model));
    }

    /// <summary>Steps 1 to 3: partition, verify, time the chain; returns the libtorch thread count the chain ran with.</summary>
    internal static int RunLocal(string model, string directory)
    {
        Console.WriteLine($"== 1/{Steps} partition {model}: predict every operator's latency, filter cut points by latency benefit, write atom files");
        var latency = DemoLatencySource(model);
        var manifest = ModelPartitioning.Partition(model, directory, latency);
        PartitionCommand.Print(manifest, directory);

        Console.WriteLine();
        Console.WriteLine($"== 2/{Steps} verify: the atoms as a chain (tensors passed as bytes) against the whole model");
        var report = AtomVerifier.Verify(directory);
        VerifyCommand.Print(report);
        if (!report.Ok) throw VerifyCommand.Failed(report);

        Console.WriteLine();
        // Predictions hold for the thread count the predictor was profiled at (1 here); libtorch
        // would otherwise use every core, and the chain ran 1.6x faster than its prediction on 2.
        var threads = latency is LearnedLatencyModel { Threads: > 0 } learned ? learned.Threads : torch.get_num_threads();
        Console.WriteLine($"== 3/{Steps} run the chain locally: a seeded random image, {threads} libtorch thread(s) as profiled, median of {AtomChainTimer.DefaultRuns} runs per atom");
        using var chain = AtomChain.Load(directory);
        var timing = AtomChainTimer.Measure(chain, TensorCodec.RandomPayload(manifest.InputShape, seed: 42), threads);
        var table = new CliTable("atom", "measured ms", "predicted ms");
        foreach (var (atom, ms) in manifest.Atoms.Zip(timing.AtomMs)) table.Add(atom.Id, ms, atom.PredictedMs);
        table.Write(CliConsole.Out);
        Console.WriteLine($"{model}: {timing.ChainMs:0.0} ms for {manifest.Atoms.Count} atoms on this machine (predicted {manifest.Atoms.Sum(a => a.PredictedMs):0.0} ms).");
        return threads;
    }
}
