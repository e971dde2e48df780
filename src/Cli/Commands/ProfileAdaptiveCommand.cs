using System.CommandLine;
using System.Globalization;
using AdaMec.Cli.Rendering;
using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec profile adaptive`: adaptive supplementary sampling (paper §4.2.2). Cross-validates the
/// learner on the samples so far, finds the strata (kind, kernel, stride, depthwise, magnitude of
/// work) where held-out accuracy is below the threshold, times new configurations there, and
/// repeats until every profiled kind meets the target or the budget of new samples is spent.
/// </summary>
internal static class ProfileAdaptiveCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Sample CSV to extend (start it with `adamec profile`).", Required = true };
        var ops = new Option<string>("--ops") { Description = "Kinds to improve.", DefaultValueFactory = _ => "conv" };
        var learner = new Option<string>("--learner") { Description = "Learner whose held-out error decides where to sample.", DefaultValueFactory = _ => PredictorCommand.DefaultLearner.Learner.ToName() };
        var threshold = new Option<double>("--threshold") { Description = "A stratum whose within-±10% share is below this gets new samples.", DefaultValueFactory = _ => 0.9 };
        var target = new Option<double>("--target") { Description = "Stop when every kind's within-±10% share reaches this.", DefaultValueFactory = _ => 0.9 };
        var budget = new Option<int>("--budget") { Description = "Most new samples to take in total.", DefaultValueFactory = _ => 1000 };
        var round = new Option<int>("--round") { Description = "New samples per round.", DefaultValueFactory = _ => 200 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads while timing (the count the predictor is for).", DefaultValueFactory = _ => 1 };
        var folds = new Option<int>("--folds") { Description = "k of the k-fold cross-validation each round.", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { Description = "Seed of the configurations drawn (round r draws with seed + r).", DefaultValueFactory = _ => 100 };
        var command = new Command("adaptive", "Adaptive supplementary sampling: add samples where held-out error is high until the target is met or the budget runs out.")
        {
            output, ops, learner, threshold, target, budget, round, threads, folds, seed,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(output)!;
            var kinds = Profiler.ParseKinds(parse.GetValue(ops)).ToHashSet();
            var kind = LearnerNames.Parse(parse.GetValue(learner)!);
            var profiler = new Profiler(path, parse.GetValue(threads)) { Mode = TimingMode.Hot }; // as `adamec profile` does by default
            var added = 0;
            for (var r = 1; ; r++)
            {
                var samples = SampleCsv.Read(path).Where(s => s.MemoryMb is null && kinds.Contains(s.Config.Kind)).ToArray();
                if (samples.Length < 20) throw new ArgumentException($"{path} has {samples.Length} samples of {string.Join(",", kinds.Select(k => k.ToName()))}: profile some first.");
                var predictions = CrossValidation.Predict(samples, [kind], parse.GetValue(folds), 1);
                var perKind = predictions.GroupBy(p => p.Sample.Config.Kind)
                    .ToDictionary(g => g.Key, g => g.Count(p => p.RelativeError <= 0.10) / (double)g.Count());
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {r}: {predictions.Count} samples, within ±10%: {string.Join(", ", perKind.OrderBy(p => p.Key).Select(p => $"{p.Key.ToName()} {p.Value:P1}"))}"));
                if (perKind.Values.All(v => v >= parse.GetValue(target)))
                {
                    Console.WriteLine("adaptive: target met");
                    return 0;
                }
                var left = parse.GetValue(budget) - added;
                if (left <= 0)
                {
                    throw new CommandFailedException($"adaptive: budget of {parse.GetValue(budget)} new samples spent, target not met");
                }
                var regions = AdaptiveSampling.Regions(predictions);
                foreach (var weak in regions.Where(x => x.Within10 < parse.GetValue(threshold)).Take(8))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  weak: {weak.Region,-32} {weak.Within10,7:P1} of {weak.Count}"));
                }
                var keys = samples.Select(s => s.Config.Key).ToHashSet(StringComparer.Ordinal);
                var configs = AdaptiveSampling.Supplement(regions, parse.GetValue(threshold), Math.Min(left, parse.GetValue(round)),
                    new SamplingSpace(parse.GetValue(seed) + r), keys);
                if (configs.Count == 0)
                {
                    throw new CommandFailedException("adaptive: no stratum below the threshold has room for new configurations");
                }
                CliConsole.WithProgress($"round {r}", report => profiler.Run(configs, new SyncProgress<ProfileProgress>(p => report(p.Done, p.Total, p.Last.Config.Kind.ToName()))));
                added += configs.Count;
            }
        });
        return command;
    }
}
