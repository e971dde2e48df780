using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AdaMec.Cli.Rendering;
using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Cli.Commands;

/// <summary>`adamec predictor train|eval|check|models|memory|networks`: the learned runtime latency predictor (paper §4.2).</summary>
internal static class PredictorCommand
{
    /// <summary>The learners `train` uses unless told otherwise: best measured on this machine (see README).</summary>
    public static LearnerChoice DefaultLearner => LearnedLatencyModel.DefaultLearner;

    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Create()
    {
        var command = new Command("predictor", "Train, evaluate and apply the learned operator latency predictor.");
        command.Subcommands.Add(Train());
        command.Subcommands.Add(Eval());
        command.Subcommands.Add(PredictorCheckCommand.Create());
        command.Subcommands.Add(PredictorModelsCommand.Create());
        command.Subcommands.Add(PredictorMemoryCommand.Create());
        command.Subcommands.Add(PredictorNetworksCommand.Create());
        return command;
    }

    internal static Option<string> SamplesOption() => new("--samples") { Description = "Sample CSV (adamec profile output, or external: op|type, hw, cin, cout, kernel, stride, latency).", Required = true };

    internal static Option<string> UnitOption() => new("--latency-unit")
    {
        Description = "Unit of an external CSV's 'latency' column: ms or s (a 'latency_ms' column is always ms).",
        DefaultValueFactory = _ => "ms",
    };

    internal static LatencyUnit ParseUnit(string? unit) => unit?.Trim().ToLowerInvariant() switch
    {
        "ms" or null or "" => LatencyUnit.Milliseconds,
        "s" => LatencyUnit.Seconds,
        _ => throw new FormatException($"Unknown latency unit '{unit}': use ms or s."),
    };

    internal static string DefaultPredictorPath() =>
        LearnedLatencyModel.FindDefault() ?? Path.Combine(Directory.GetCurrentDirectory(), LearnedLatencyModel.DefaultRelativePath);

    /// <summary>Zoo model names from a comma-separated list; empty or "all" means every model (unknown names fail in <see cref="ModelZoo.Graph"/>).</summary>
    internal static IReadOnlyList<string> ParseModels(string? list) =>
        string.IsNullOrWhiteSpace(list) || list.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)
            ? ModelZoo.Names.ToArray()
            : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The predictor at <paramref name="path"/>, or the default one (trained from the committed profile on first use).</summary>
    internal static LearnedLatencyModel LoadPredictor(string? path) =>
        path is not null
            ? LearnedLatencyModel.Load(path)
            : LearnedLatencyModel.LoadOrTrainDefault(log: Console.Error.WriteLine)
                ?? throw new FileNotFoundException($"No predictor at {LearnedLatencyModel.DefaultRelativePath} and no {LearnedLatencyModel.DefaultSamplesRelativePath} to train one from. Train one with `adamec predictor train --samples CSV --out FILE`.");

    private static Command Train()
    {
        var samples = SamplesOption();
        var unit = UnitOption();
        var output = new Option<string>("--out") { Description = $"Predictor file to write (default {LearnedLatencyModel.DefaultRelativePath} under the repository)." };
        var learner = new Option<string>("--learner")
        {
            Description = $"Learner for every kind ({string.Join(", ", LearnerNames.All.Select(l => l.ToName()))}), then any kind=learner exceptions, e.g. fasttree+mlp,fc=fasttree.",
            DefaultValueFactory = _ => DefaultLearner.ToString(),
        };
        var seed = new Option<int>("--seed") { Description = "Random seed of the learners (same seed, same predictor).", DefaultValueFactory = _ => 1 };
        var calibration = new Option<string?>("--calibration") { Description = "Operators timed inside calibration networks (`adamec profile calibrate`): fits the in-model correction. Without it predictions are isolated, hot latencies." };
        var command = new Command("train", "Train a predictor on a sample CSV and save it.") { samples, unit, output, learner, seed, calibration };
        command.SetAction(parse =>
        {
            var data = SampleCsv.Read(parse.GetValue(samples)!, ParseUnit(parse.GetValue(unit)));
            var choice = LearnerChoice.Parse(parse.GetValue(learner)!);
            var path = parse.GetValue(output) ?? DefaultPredictorPath();
            var started = DateTime.UtcNow;
            var model = LearnedLatencyModel.Train(data, choice, parse.GetValue(seed));
            if (parse.GetValue(calibration) is { } calibrationPath)
            {
                model.FitContext(SampleCsv.Read(calibrationPath));
                foreach (var line in model.Context!.Describe()) Console.WriteLine(line);
            }
            model.Save(path);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"predictor: {choice} on {data.Count} samples ({string.Join(", ", data.GroupBy(s => s.Config.Kind).Select(g => $"{g.Key.ToName()} {g.Count()}"))}) in {(DateTime.UtcNow - started).TotalSeconds:F1} s -> {path}"));
            return 0;
        });
        return command;
    }

    private static Command Eval()
    {
        var samples = SamplesOption();
        var unit = UnitOption();
        var json = new Option<bool>("--json") { Description = "Print { \"results\": [ { learner, op, maeMs, rmseMs, r2, within5, within10, count } ] }." };
        var folds = new Option<int>("--folds") { Description = "k of k-fold cross-validation.", DefaultValueFactory = _ => 5 };
        var learners = new Option<string>("--learners") { Description = "Comma-separated learners or 'all'.", DefaultValueFactory = _ => "all" };
        var ops = new Option<string>("--ops") { Description = "Only these operator kinds ('all' by default).", DefaultValueFactory = _ => "all" };
        var seed = new Option<int>("--seed") { Description = "Random seed of the fold split and the learners.", DefaultValueFactory = _ => 1 };
        var dump = new Option<string?>("--predictions") { Description = "Also write every held-out prediction to this CSV (learner, sample columns, predicted_ms)." };
        var command = new Command("eval", "k-fold accuracy of every learner, per operator kind, on the same folds.") { samples, unit, json, folds, learners, ops, seed, dump };
        command.SetAction(parse =>
        {
            var kinds = Profiler.ParseKinds(parse.GetValue(ops)).ToHashSet();
            var data = SampleCsv.Read(parse.GetValue(samples)!, ParseUnit(parse.GetValue(unit))).Where(s => kinds.Contains(s.Config.Kind)).ToArray();
            var quiet = parse.GetValue(json);
            var predictions = CrossValidation.Predict(data, LearnerNames.ParseList(parse.GetValue(learners)), parse.GetValue(folds), parse.GetValue(seed),
                quiet ? null : m => Console.Error.WriteLine(m));
            var results = CrossValidation.Summarise(predictions);
            if (parse.GetValue(dump) is { } dumpPath)
            {
                File.WriteAllLines(dumpPath, predictions.Select(p => string.Create(CultureInfo.InvariantCulture,
                    $"{p.Learner.ToName()},{SampleCsv.Format(p.Sample)},{p.PredictedMs:G6}")).Prepend("learner," + SampleCsv.Header + ",predicted_ms"));
            }
            if (quiet)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { results }, Json));
                return 0;
            }
            PrintTable(results);
            Console.WriteLine($"best (conv within ±10%, then all): {CrossValidation.Best(results)}");
            if (predictions.Select(p => p.Learner).Distinct().Count() > 1)
            {
                var (choice, all) = CrossValidation.BestPerKind(predictions);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"best per kind: {choice} (all kinds within ±10% {all.Within10:P1}, ±5% {all.Within5:P1}; train it with --learner {choice})"));
            }
            return 0;
        });
        return command;
    }

    internal static void PrintTable(IReadOnlyList<AccuracyResult> results)
    {
        var table = new CliTable("learner", "op", "count", "MAE ms", "RMSE ms", "R2", "±5%", "±10%");
        foreach (var r in results)
        {
            table.Add(r.Learner, r.Op, r.Count, r.MaeMs.ToString("F4", CultureInfo.InvariantCulture), r.RmseMs.ToString("F4", CultureInfo.InvariantCulture),
                r.R2.ToString("F3", CultureInfo.InvariantCulture), r.Within5.ToString("P1", CultureInfo.InvariantCulture), r.Within10.ToString("P1", CultureInfo.InvariantCulture));
        }
        table.Write(CliConsole.Out);
    }
}
