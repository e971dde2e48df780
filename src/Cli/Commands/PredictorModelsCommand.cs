using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec predictor models`: whole-model prediction (formulas 6 and 7 with every atom on one
/// device, so no transfer term) next to the measured median forward time of each zoo model, as
/// profiled and scaled by the device's speed measured in the same rounds (<see cref="DeviceSpeedProbe"/>).
/// </summary>
internal static class PredictorModelsCommand
{
    public static Command Create()
    {
        var predictor = new Option<string>("--predictor") { Description = "Predictor file (default: data/predictor/predictor.zip found upwards from the current directory, trained from the committed profile if missing)." };
        var models = new Option<string>("--models") { Description = "Comma-separated zoo models or 'all'.", DefaultValueFactory = _ => "all" };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads for the measurement (default: the predictor's profiling threads, else 1)." };
        var repeats = new Option<int>("--repeats") { Description = "Rounds of timed forward passes, one pass of every model per round (median reported per model).", DefaultValueFactory = _ => 21 };
        var memoryMb = new Option<double?>("--memory-mb") { Description = "Predict for a device with this much memory (applies f_mem; absent: no memory correction)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var zooSamples = new Option<string?>("--zoo-samples") { Description = "CSV of the zoo's own operators timed in isolation (profile --include-zoo): adds their sum per model, the best any per-operator predictor can do." };
        var perKind = new Option<bool>("--per-kind") { Description = "Also time every operator inside the model and print, per operator kind, the in-model time next to the prediction (and the isolated timing with --zoo-samples)." };
        var command = new Command("models", "Whole-model predicted vs measured latency for the zoo models.") { predictor, models, threads, repeats, memoryMb, json, zooSamples, perKind };
        command.SetAction(parse =>
        {
            if (parse.GetValue(repeats) < 1) throw new ArgumentException("--repeats must be at least 1.");
            var model = PredictorCommand.LoadPredictor(parse.GetValue(predictor));
            var n = parse.GetValue(threads) ?? (model.Threads > 0 ? model.Threads : 1);
            OperatorTimer.SetThreads(n);
            var names = PredictorCommand.ParseModels(parse.GetValue(models));
            var budget = parse.GetValue(memoryMb) * 1e6;
            var rows = new List<ModelRow>();
            var isolated = parse.GetValue(zooSamples) is { } zooPath
                ? SampleCsv.Collapse(SampleCsv.Read(zooPath)).Where(s => s.MemoryMb is null).ToDictionary(s => s.Config.Key, s => s.LatencyMs)
                : null;
            if (!parse.GetValue(json)) Console.WriteLine($"{model.Name}, {n} thread(s){(budget is null ? "" : $", memory {parse.GetValue(memoryMb)} MB")}");
            var graphs = names.Select(ModelZoo.Graph).ToArray();
            var probes = DeviceSpeedProbe.Graphs();
            var modules = graphs.Concat(probes).Select(g => ModelZoo.Create(g)).ToArray();
            SpeedReading speed;
            try
            {
                // The probe networks run in the same rounds as the zoo, so they see the same moments.
                var measured = OperatorTimer.TimeRoundRobin(modules, rounds: parse.GetValue(repeats));
                speed = DeviceSpeedProbe.Read(measured.Skip(graphs.Length).ToArray(), model);
                for (var i = 0; i < graphs.Length; i++)
                {
                    var graph = graphs[i];
                    var predicted = model.PredictAtomMs(graph.Nodes, budget);
                    double? opSum = isolated is null ? null : graph.Nodes.Sum(n => isolated.TryGetValue(OperatorConfig.FromNode(n).Key, out var ms) ? ms : double.NaN);
                    var row = new ModelRow(graph.Model, graph.Nodes.Count, predicted, measured[i].MedianMs, measured[i].IqrMs, (predicted - measured[i].MedianMs) / measured[i].MedianMs,
                        predicted * speed.Factor, (predicted * speed.Factor - measured[i].MedianMs) / measured[i].MedianMs, opSum);
                    rows.Add(row);
                    if (parse.GetValue(json)) continue;
                    if (parse.GetValue(perKind)) PrintPerKind(graph.Nodes, OperatorTimer.TimeInside(modules[i]), model, isolated);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{row.Model,-14} ops {row.Operators,4}  predicted {row.PredictedMs,8:F2} ms  measured {row.MeasuredMs,8:F2} ms (IQR {row.MeasuredIqrMs:F2})  error {Percent.Signed(row.Error),7}  at device speed {row.PredictedNowMs,8:F2} ms  error {Percent.Signed(row.ErrorNow),7}{(row.IsolatedOperatorsMs is { } sum ? $"  measured ops summed {sum:F2} ms ({Percent.Signed((sum - row.MeasuredMs) / row.MeasuredMs)})" : "")}"));
                }
            }
            finally
            {
                foreach (var module in modules) module.Dispose();
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { predictor = model.Name, threads = n, speedFactor = speed.Factor, models = rows }, PredictorCommand.Json));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"within ±10%: {rows.Count(r => Math.Abs(r.Error) <= 0.10)}/{rows.Count}, mean |error| {rows.Average(r => Math.Abs(r.Error)):P1} (as profiled)"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"within ±10%: {rows.Count(r => Math.Abs(r.ErrorNow) <= 0.10)}/{rows.Count}, mean |error| {rows.Average(r => Math.Abs(r.ErrorNow)):P1} (at device speed x{speed.Factor:F3}: {DeviceSpeedProbe.Count} probe networks measured {speed.MeasuredMs:F1} ms, predicted {speed.PredictedMs:F1} ms)"));
            }
            return 0;
        });
        return command;
    }

    private static void PrintPerKind(IReadOnlyList<OperatorNode> nodes, IReadOnlyDictionary<int, double> inside, LearnedLatencyModel model,
        IReadOnlyDictionary<string, double>? isolated)
    {
        foreach (var kind in nodes.GroupBy(n => n.Kind).OrderByDescending(g => g.Sum(n => inside[n.Id])))
        {
            var inModel = kind.Sum(n => inside[n.Id]);
            var predicted = kind.Sum(model.PredictMs);
            var alone = isolated is null ? "" : string.Create(CultureInfo.InvariantCulture,
                $"  isolated {kind.Sum(n => isolated.GetValueOrDefault(OperatorConfig.FromNode(n).Key, double.NaN)),8:F3} ms");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {kind.Key.ToName(),-18} x{kind.Count(),3}  in model {inModel,8:F3} ms  predicted {predicted,8:F3} ms ({Percent.Signed((predicted - inModel) / inModel),7}){alone}"));
        }
    }

    private sealed record ModelRow(string Model, int Operators, double PredictedMs, double MeasuredMs, double MeasuredIqrMs, double Error,
        double PredictedNowMs, double ErrorNow, double? IsolatedOperatorsMs);
}
