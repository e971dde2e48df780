using System.CommandLine;
using System.Globalization;
using AdaMec.Cli.Rendering;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec predictor memory`: learns f_mem (formula 6) from `profile memory` data, reports RMSE
/// under constrained memory without and with it (held-out configurations), and with --out saves
/// the predictor with the correction attached.
/// </summary>
internal static class PredictorMemoryCommand
{
    public static Command Create()
    {
        var samples = new Option<string>("--samples") { Description = "CSV from `adamec profile memory`.", Required = true };
        var predictor = new Option<string>("--predictor") { Description = "Predictor whose f_pre is corrected (default: data/predictor/predictor.zip, trained from the committed profile if missing)." };
        var output = new Option<string>("--out") { Description = "Write the predictor with f_mem attached here (may equal --predictor)." };
        var folds = new Option<int>("--folds") { Description = "k of the k-fold cross-validation that decides whether f_mem is kept.", DefaultValueFactory = _ => 5 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units of the two-layer network.", DefaultValueFactory = _ => 8 };
        var epochs = new Option<int>("--epochs") { Description = "Full-batch Adam steps (few: the slowdowns are sparse and noisy, longer training fits the noise).", DefaultValueFactory = _ => 200 };
        var command = new Command("memory", "Train and evaluate the memory correction f_mem on constrained-memory measurements.")
        {
            samples, predictor, output, folds, hidden, epochs,
        };
        command.SetAction(parse =>
        {
            OperatorTimer.SetThreads(1); // a network of a few dozen inputs: more threads only add synchronisation
            var model = PredictorCommand.LoadPredictor(parse.GetValue(predictor));
            List<OperatorSample> rows;
            using (var reader = new StreamReader(parse.GetValue(samples)!)) rows = SampleCsv.ReadRows(reader, parse.GetValue(samples)!).ToList();
            var observations = MemoryCorrectionEvaluation.Observations(rows, model);
            if (observations.Count < 10) throw new ArgumentException($"Only {observations.Count} constrained measurements with a baseline: run `adamec profile memory` first.");
            var results = MemoryCorrectionEvaluation.CrossValidate(observations, parse.GetValue(folds), 1, parse.GetValue(hidden), parse.GetValue(epochs));
            Console.WriteLine($"f_mem ({parse.GetValue(hidden)} hidden units), {parse.GetValue(folds)}-fold by configuration, f_pre = {model.Name}");
            var table = new CliTable("memory", "count", "RMSE f_pre ms", "RMSE f_pre+f_mem ms", "change");
            foreach (var r in results)
            {
                table.Add(r.MemoryMb is { } mb ? string.Create(CultureInfo.InvariantCulture, $"{mb:F0} MB") : "all", r.Count, r.UncorrectedRmseMs.ToString("F3", CultureInfo.InvariantCulture),
                    r.CorrectedRmseMs.ToString("F3", CultureInfo.InvariantCulture), Percent.Signed((r.CorrectedRmseMs - r.UncorrectedRmseMs) / r.UncorrectedRmseMs));
            }
            table.Write(CliConsole.Out);
            if (parse.GetValue(output) is { } target)
            {
                // The k-fold figures above are the sturdier test: one held-back fifth inside training can
                // favour a network by chance (on a profile where limits only kill, 5-fold said +15% RMSE).
                var overall = results.Single(r => r.MemoryMb is null);
                if (overall.CorrectedRmseMs < overall.UncorrectedRmseMs)
                {
                    var memory = MemoryCorrection.Train(observations, parse.GetValue(hidden), parse.GetValue(epochs));
                    model.UseMemoryCorrection(memory);
                    Console.WriteLine(memory.IsIdentity
                        ? $"f_mem trained but not applied (it did not beat \"no correction\" on held-back configurations) -> {target}"
                        : $"predictor with f_mem -> {target}");
                }
                else
                {
                    model.UseMemoryCorrection(null);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"f_mem not used: in cross-validation it raised RMSE ({overall.UncorrectedRmseMs:F3} -> {overall.CorrectedRmseMs:F3} ms); predictor without f_mem -> {target}"));
                }
                model.Save(target);
            }
            return 0;
        });
        return command;
    }
}
