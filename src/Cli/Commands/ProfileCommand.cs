using System.CommandLine;
using System.Globalization;
using AdaMec.Cli.Rendering;
using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec profile`: samples the operator configuration space (paper Table 1), times every
/// configuration (warm-up, median of repeats) and appends it to a CSV; re-running the same command
/// resumes where it stopped.
/// </summary>
internal static class ProfileCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "CSV to append samples to (created if missing; configurations already in it are skipped).", Required = true };
        var ops = new Option<string>("--ops") { Description = "Comma-separated operator kinds (conv,fc,bn,relu,relu6,leakyrelu,maxpool,avgpool,adaptiveavgpool,lrn,zeropad,flatten,dropout,add,concat) or 'all'.", DefaultValueFactory = _ => "all" };
        var count = new Option<int>("--count") { Description = "Configurations to draw; conv gets half, the other kinds share the rest.", DefaultValueFactory = _ => 2000 };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (profile at the count the device will run with).", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Sampling seed: the same seed and count draw the same configurations (that is what makes resuming work).", DefaultValueFactory = _ => 1 };
        var zoo = new Option<bool>("--include-zoo") { Description = "Also time every distinct operator configuration of the six zoo models." };
        var memoryMb = new Option<double?>("--memory-mb") { Description = "Record this memory limit (MB) in the rows; set by `profile memory` for its child processes.", Hidden = true };
        var currentKey = new Option<string?>("--current-key-file") { Description = "Write the configuration being timed here (crash diagnosis by a parent process).", Hidden = true };
        var quiet = new Option<bool>("--quiet") { Description = "No progress output." };
        var mode = new Option<string>("--mode") { Description = "Cache state: hot (back-to-back repeats, default: the repeatable measurement the predictor learns; `profile calibrate` covers the rest), cold (weights evicted, input warm) or in-model (mean of the two).", DefaultValueFactory = _ => "hot" };
        var configsFrom = new Option<string?>("--configs-from") { Description = "Time the configurations listed in this CSV (same columns; latency ignored) instead of drawing them.", Hidden = true };
        var anchors = new Option<string?>("--anchors") { Description = "An earlier profile to merge this run into later (`profile merge`): some of its configurations are timed again among the new ones, to measure the device's speed now against then." };
        var anchorCount = new Option<int>("--anchor-count") { Description = "How many configurations of the --anchors profile to time again.", DefaultValueFactory = _ => 500 };
        var anchorSpread = new Option<double>("--anchor-spread") { Description = "Only re-time --anchors configurations whose label is at least this noisy: repeats' IQR or range between passes as a share of the latency (e.g. 0.15; merge them with `profile merge --average`).", DefaultValueFactory = _ => 0 };
        var passes = new Option<int>("--passes") { Description = "Time every configuration this many times, one pass over all at a time; training keeps the fastest pass (contention only adds time).", DefaultValueFactory = _ => 1 };

        var command = new Command("profile", "Time operators over the configuration space (paper Table 1) and append them to a sample CSV.")
        {
            output, ops, count, threads, seed, zoo, passes, mode, memoryMb, currentKey, quiet, configsFrom, anchors, anchorCount, anchorSpread,
        };
        command.Subcommands.Add(ProfileMemoryCommand.Create());
        command.Subcommands.Add(ProfileAdaptiveCommand.Create());
        command.Subcommands.Add(ProfileCollapseCommand.Create());
        command.Subcommands.Add(ProfileMergeCommand.Create());
        command.Subcommands.Add(ProfileCalibrateCommand.Create());
        command.Subcommands.Add(ProfileKernelsCommand.Create());
        command.SetAction(parse =>
        {
            var kinds = Profiler.ParseKinds(parse.GetValue(ops));
            var configs = parse.GetValue(configsFrom) is { } from
                ? ReadConfigs(from)
                : new SamplingSpace(parse.GetValue(seed)).Draw(kinds, parse.GetValue(count)).ToList();
            if (parse.GetValue(zoo)) configs.AddRange(SamplingSpace.ZooConfigs().Where(c => kinds.Contains(c.Kind)));
            if (parse.GetValue(anchors) is null && parse.GetValue(anchorSpread) != 0)
            {
                throw new ArgumentException("--anchor-spread picks which --anchors configurations to time again; give the earlier profile with --anchors.");
            }
            if (parse.GetValue(anchors) is { } earlier)
            {
                var picked = ProfileAnchors.Pick(SampleCsv.Read(earlier), kinds, parse.GetValue(anchorCount), parse.GetValue(seed),
                    configs.Select(c => c.Key).ToHashSet(StringComparer.Ordinal), SpreadThreshold(parse.GetValue(anchorSpread)));
                configs = ProfileAnchors.Interleave(configs, picked, parse.GetValue(seed)).ToList();
            }
            var path = parse.GetValue(output)!;
            var timing = parse.GetValue(mode) switch
            {
                "hot" => TimingMode.Hot,
                "cold" => TimingMode.Cold,
                "in-model" => TimingMode.InModel,
                var other => throw new FormatException($"Unknown timing mode '{other}': use in-model, hot or cold."),
            };
            var profiler = new Profiler(path, parse.GetValue(threads), memoryMb: parse.GetValue(memoryMb)) { CurrentKeyPath = parse.GetValue(currentKey), Mode = timing };
            var existing = SampleCsv.ExistingKeys(path, parse.GetValue(memoryMb));
            var already = configs.Count(c => existing.Contains(c.Key));
            if (!parse.GetValue(quiet)) Console.Error.WriteLine($"profile: {configs.Count} configurations, {already} already in {path}, {parse.GetValue(threads)} thread(s)");
            var taken = parse.GetValue(quiet)
                ? profiler.Run(configs, null, parse.GetValue(passes))
                : CliConsole.WithProgress("profile", report => profiler.Run(configs, new SyncProgress<ProfileProgress>(p =>
                    report(p.Done, p.Total, string.Create(CultureInfo.InvariantCulture, $"{p.Last.Config.Kind.ToName()} {p.Last.LatencyMs:F3} ms"))), parse.GetValue(passes)));
            Console.WriteLine($"profile: {taken.Count} new samples appended to {path}");
            return 0;
        });
        return command;
    }

    private static double SpreadThreshold(double share) =>
        share is >= 0 and < 10 ? share : throw new FormatException($"--anchor-spread: {share} is not a share of the latency (0 to 10, e.g. 0.15).");

    private static List<OperatorConfig> ReadConfigs(string path)
    {
        using var reader = new StreamReader(path);
        return SampleCsv.ReadRows(reader, path).Select(s => s.Config).ToList();
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
