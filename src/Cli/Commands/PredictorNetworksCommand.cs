using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec predictor networks`: the in-model correction judged on whole calibration networks it
/// never saw (k-fold by network), with a predictor's f_pre underneath. The blind counterpart of
/// `predictor models`: nothing here has seen the zoo.
/// </summary>
internal static class PredictorNetworksCommand
{
    public static Command Create()
    {
        var calibration = new Option<string>("--calibration") { Description = "CSV from `adamec profile calibrate`.", DefaultValueFactory = _ => LearnedLatencyModel.DefaultCalibrationRelativePath };
        var calibrationSeed = new Option<int>("--calibration-seed") { Description = "The --seed `profile calibrate` was run with (the networks are rebuilt from it).", DefaultValueFactory = _ => 1 };
        var predictor = new Option<string>("--predictor") { Description = "Predictor whose f_pre is used (default: data/predictor/predictor.zip, trained from the committed profile if missing)." };
        var folds = new Option<int>("--folds") { Description = "k of the k-fold cross-validation over the calibration networks.", DefaultValueFactory = _ => 8 };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("networks", "k-fold by calibration network: whole-network in-model time predicted vs measured (no zoo model involved).")
        {
            calibration, calibrationSeed, predictor, folds, json,
        };
        command.SetAction(parse =>
        {
            var k = parse.GetValue(folds);
            if (k < 2) throw new ArgumentException("--folds must be at least 2.");
            var networks = ContextCorrectionEvaluation.ByNetwork(SampleCsv.Read(parse.GetValue(calibration)!), parse.GetValue(calibrationSeed));
            var model = PredictorCommand.LoadPredictor(parse.GetValue(predictor));
            var results = ContextCorrectionEvaluation.CrossValidate(networks, model.PredictBaseMs, k);
            var within10 = results.Count(r => Math.Abs(r.Error) <= 0.10);
            var within5 = results.Count(r => Math.Abs(r.Error) <= 0.05);
            var meanError = results.Average(r => Math.Abs(r.Error));
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { predictor = model.Name, folds = k, within10, within5, meanAbsError = meanError, networks = results }, PredictorCommand.Json));
                return 0;
            }
            Console.WriteLine($"in-model correction, {k}-fold by calibration network ({results.Count} networks, {results.Sum(r => r.Operators)} operators), f_pre = {model.Name}");
            foreach (var r in results)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Network,-34} ops {r.Operators,4}  predicted {r.PredictedMs,9:F2} ms  measured {r.MeasuredMs,9:F2} ms  error {Percent.Signed(r.Error),7}"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"within ±10%: {within10}/{results.Count}, within ±5%: {within5}/{results.Count}, mean |error| {meanError:P1}, worst {results.Max(r => Math.Abs(r.Error)):P1}"));
            return 0;
        });
        return command;
    }
}
