using System.CommandLine;
using System.Globalization;
using AdaMec.Cli.Rendering;
using AdaMec.Demo;
using AdaMec.Prediction.Learning;
using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Zoo;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec demo`: the main job end to end on one machine — partition a zoo model into atoms, verify
/// the chain against the whole model, time it locally (<see cref="AtomChainTimer"/>), then the cluster
/// scenario (<see cref="ContextChangeDemo"/>). This file parses options and renders; the work is in
/// the libraries.
/// </summary>
internal static class DemoCommand
{
    private const int Steps = 6;

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = $"Zoo model: {string.Join(", ", ModelZoo.Names)}", DefaultValueFactory = _ => "resnet18" };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Where to keep the atoms (default: a temporary folder, removed afterwards)" };
        var local = new Option<bool>("--local-only") { Description = "Stop after the local run (no cluster)" };
        var command = new Command("demo", "Partition a model into atoms, verify the chain, run it locally, then on a three-silo cluster with emulated devices: deploy, infer, change the context, lose a device") { model, output, local };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var keep = parse.GetValue(output)?.FullName;
            var directory = keep ?? Path.Combine(Path.GetTempPath(), "adamec-demo-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                var threads = RunLocal(parse.GetValue(model)!, directory);
                if (parse.GetValue(local)) return 0;
                Console.WriteLine();
                // Silo logs are off in the demo; ADAMEC_DEMO_LOGS=1 writes warnings and AdaMec's information to stderr.
                Action<ILoggingBuilder>? logging = Environment.GetEnvironmentVariable("ADAMEC_DEMO_LOGS") == "1"
                    ? l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning).AddFilter("AdaMec", LogLevel.Information)
                    : null;
                var settings = new ContextChangeDemoSettings { AtomsDirectory = directory, Threads = threads, FirstStep = 4, Steps = Steps, Logging = logging };
                await ContextChangeDemo.RunAsync(settings, Render, cancellationToken);
                return 0;
            }
            finally
            {
                if (keep is null && Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            }
        });
        return command;
    }

    /// <summary>Steps 1 to 3: partition, verify, time the chain; returns the libtorch thread count the chain ran with.</summary>
    private static int RunLocal(string model, string directory)
    {
        Console.WriteLine($"== 1/{Steps} partition {model}: predict every operator's latency, filter cut points by latency benefit, write atom files");
        var latency = LatencySources.Resolve("auto", null, ModelZoo.Graph(model));
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

    private static void Render(DemoEvent e)
    {
        switch (e)
        {
            case DemoStep step:
                if (step.Number > 4) Console.WriteLine();
                Console.WriteLine($"== {step.Number}/{step.Of} {step.Title}");
                foreach (var note in step.Notes) Console.WriteLine("   " + note);
                break;
            case DemoNote note:
                Console.WriteLine("   " + note.Text);
                break;
            case DemoRequests batch:
                var requests = new CliTable("request", "latency ms", "plan v", "where each atom ran", "max rel. diff vs local");
                foreach (var r in batch.Requests)
                    requests.Add(r.Number, r.LatencyMs, r.PlanVersion, string.Join(" ", r.Assignment), r.MaxRelDiff.ToString("0.0e0", CultureInfo.InvariantCulture));
                requests.Write(CliConsole.Out);
                break;
            case DemoHistory history:
                Console.WriteLine("   " + history.Caption);
                var table = new CliTable("#", "trigger", "new plan", "predicted ms", "decide ms", "bytes moved", "feasible");
                foreach (var r in history.Records)
                    table.Add(r.Sequence, r.Trigger.Length > 48 ? r.Trigger[..48] + "…" : r.Trigger, string.Join(" ", r.NewPlan), r.PredictedLatencyMs, r.DecisionTimeMs, r.BytesMoved, r.Feasible);
                table.Write(CliConsole.Out);
                break;
        }
    }
}
