using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AdaMec.Cli.Rendering;
using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec predictor check`: a trained predictor against measured samples it never saw (a user's
/// own board, a later sitting), per operator kind, after one fitted speed ratio (<see cref="PredictorCheck"/>).
/// </summary>
internal static class PredictorCheckCommand
{
    public static Command Create()
    {
        var samples = new Option<string>("--samples")
        {
            Description = "Measured samples the predictor was not trained on: `adamec profile` output, or external (op|type, hw, cin, cout, kernel, stride, latency).",
            Required = true,
        };
        var predictor = new Option<string>("--predictor") { Description = "Predictor file (default: data/predictor/predictor.zip found upwards from the current directory, trained from the committed profile if missing)." };
        var unit = PredictorCommand.UnitOption();
        var json = new Option<bool>("--json") { Description = "Print { \"results\": [ { op, count, within5, within10, maeMs, ... } ], \"all\", \"speedRatio\", ... } (shares 0-1)." };
        var command = new Command("check", "Accuracy of a trained predictor on samples it never saw, per operator kind, after fitting the device's speed ratio (median of measured/predicted).")
        {
            samples, predictor, unit, json,
        };
        command.SetAction(parse =>
        {
            var samplesPath = parse.GetValue(samples)!;
            var rows = ReadSamples(samplesPath, PredictorCommand.ParseUnit(parse.GetValue(unit)));
            OperatorTimer.SetThreads(1); // predictions only: the networks are small, more threads only synchronise
            var model = LoadPredictor(parse.GetValue(predictor));
            var report = PredictorCheck.Run(rows, model);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    results = report.Results,
                    all = report.All,
                    speedRatio = report.SpeedRatio,
                    speedRatioMethod = "median of measured/predicted over all samples",
                    samples = report.All.Count,
                    memoryLimited = report.MemoryLimited,
                    predictor = model.Name,
                }, PredictorCommand.Json));
                return 0;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{model.Name} on {report.All.Count} samples of {samplesPath}: speed ratio x{report.SpeedRatio:F3} (median of measured/predicted, all samples)"));
            var threads = rows.Select(r => r.Threads).Where(t => t > 0).Distinct().ToArray();
            if (model.Threads > 0 && threads.Length > 0 && threads.Any(t => t != model.Threads))
            {
                Console.WriteLine($"note: samples taken with {string.Join(", ", threads)} thread(s), the predictor's profile with {model.Threads}");
            }
            if (report.MemoryLimited > 0)
            {
                Console.WriteLine(model.Memory is null
                    ? $"note: {report.MemoryLimited} samples were taken under a memory limit and this predictor has no f_mem"
                    : $"{report.MemoryLimited} samples taken under a memory limit, predicted with f_mem");
            }
            var table = new CliTable("op", "count", "±5%", "±10%", "MAE ms", "±10% at x1", "own ratio");
            foreach (var r in report.Results.Append(report.All))
            {
                table.Add(r.Op, r.Count, r.Within5.ToString("P1", CultureInfo.InvariantCulture), r.Within10.ToString("P1", CultureInfo.InvariantCulture),
                    r.MaeMs.ToString("F4", CultureInfo.InvariantCulture), r.Within10AsTrained.ToString("P1", CultureInfo.InvariantCulture), r.MedianRatio.ToString("F3", CultureInfo.InvariantCulture));
            }
            table.Write(CliConsole.Out);
            return 0;
        });
        return command;
    }

    /// <summary>Every row of the CSV; bad input names --samples, and a row without a usable latency is an error (not skipped).</summary>
    private static IReadOnlyList<OperatorSample> ReadSamples(string path, LatencyUnit unit)
    {
        IReadOnlyList<OperatorSample> rows;
        string latencyColumn;
        try
        {
            using var reader = new StreamReader(path);
            rows = SampleCsv.ReadRows(reader, path, unit);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"--samples: no file at '{path}'.", path, e);
        }
        catch (FormatException e)
        {
            throw new FormatException($"--samples: {e.Message}", e);
        }
        using (var header = new StreamReader(path))
        {
            latencyColumn = (header.ReadLine() ?? "").Split(',').Any(c => c.Trim().Trim('"').Equals("latency_ms", StringComparison.OrdinalIgnoreCase))
                ? "latency_ms"
                : "latency";
        }
        if (rows.Count == 0) throw new InvalidDataException($"--samples: {path} has a header but no samples.");
        for (var i = 0; i < rows.Count; i++)
        {
            if (!double.IsFinite(rows[i].LatencyMs) || rows[i].LatencyMs <= 0)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"--samples: {path}, data row {i + 1} ({rows[i].Config.Kind.ToName()}): '{latencyColumn}' must be a positive number of {(latencyColumn == "latency_ms" ? "ms" : "the --latency-unit")}, got {(double.IsNaN(rows[i].LatencyMs) ? "none (empty or NaN)" : rows[i].LatencyMs)}."));
            }
        }
        return rows;
    }

    private static LearnedLatencyModel LoadPredictor(string? path)
    {
        if (path is null) return PredictorCommand.LoadPredictor(null);
        try
        {
            return LearnedLatencyModel.Load(path);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"--predictor: {e.Message}", path, e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"--predictor: {e.Message}", e);
        }
    }
}
