using System.CommandLine;
using System.Globalization;
using AdaMec.Cli.Rendering;
using AdaMec.Prediction.Profiling;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec profile calibrate`: times every operator inside seeded random networks that are not
/// zoo models; `predictor train --calibration` fits the in-model correction on the result.
/// </summary>
internal static class ProfileCalibrateCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "CSV to write (replaced): one row per operator, its median latency inside the network (fastest pass).", Required = true };
        var networks = new Option<int>("--networks") { Description = "Random networks to time (plain, residual, separable, inception and mobile styles in turn); the committed calibration has 60, 12 of each.", DefaultValueFactory = _ => 60 };
        var seed = new Option<int>("--seed") { Description = "Seed of the network series.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (as for the profile).", DefaultValueFactory = _ => 1 };
        var models = new Option<string?>("--models") { Description = "Time these zoo models (comma-separated or 'all') instead of random networks: for checking, never for fitting what the zoo is judged on." };
        var passes = new Option<int>("--passes") { Description = "Time every network this many times, one pass over all at a time; each operator keeps its fastest pass.", DefaultValueFactory = _ => 3 };
        var memoryMb = new Option<double?>("--memory-mb") { Description = "Record this memory limit (MB) in the rows (set by whoever runs this process in a cgroup).", Hidden = true };
        var command = new Command("calibrate", "Time operators inside random calibration networks (for the predictor's in-model correction).") { output, networks, seed, threads, models, passes, memoryMb };
        command.SetAction(parse =>
        {
            if (parse.GetValue(networks) <= 0) throw new ArgumentException("--networks must be at least 1.");
            if (parse.GetValue(threads) <= 0) throw new ArgumentException("--threads must be at least 1.");
            if (parse.GetValue(passes) <= 0) throw new ArgumentException("--passes must be at least 1.");
            var graphs = parse.GetValue(models) is { } list
                ? PredictorCommand.ParseModels(list).Select(ModelZoo.Graph).ToArray()
                : Enumerable.Range(0, parse.GetValue(networks)).Select(i => CalibrationNetworks.Build(parse.GetValue(seed), i)).ToArray();
            var samples = CliConsole.WithProgress("calibrate", report => CalibrationNetworks.TimeInside(graphs, parse.GetValue(threads),
                new SyncProgress<(int Done, int Total, string Network)>(p => report(p.Done, p.Total, p.Network)), parse.GetValue(memoryMb), parse.GetValue(passes)));
            var path = parse.GetValue(output)!;
            SampleCsv.Write(path, samples);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"calibrate: {samples.Count} operators in {graphs.Length} networks, {samples.Sum(s => s.LatencyMs):F1} ms in all -> {path}"));
            return 0;
        });
        return command;
    }
}
