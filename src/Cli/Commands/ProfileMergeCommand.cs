using System.CommandLine;
using System.Globalization;
using AdaMec.Inference.Profiling;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec profile merge`: adds a later profiling run (taken with `profile --anchors`) to an
/// earlier profile at the earlier run's device speed.
/// </summary>
internal static class ProfileMergeCommand
{
    public static Command Create()
    {
        var earlier = new Option<string>("--base") { Description = "The earlier profile (kept as it is, collapsed to the fastest pass).", Required = true };
        var later = new Option<string>("--add") { Description = "The later run, profiled with --anchors <base>.", Required = true };
        var output = new Option<string>("--out") { Description = "CSV to write (replaced; may be --base itself).", Required = true };
        var command = new Command("merge",
            "Add a later profiling run to an earlier profile, its latencies divided by the device's speed then against now, measured on the configurations both timed (anchors).")
        {
            earlier, later, output,
        };
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            var merge = ProfileAnchors.Merge(SampleCsv.Read(parse.GetValue(earlier)!), SampleCsv.Read(parse.GetValue(later)!));
            var path = parse.GetValue(output)!;
            SampleCsv.Write(path, merge.Samples);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"merge: {merge.Anchors} anchors, later run at x{merge.Factor:F3} the base's latency (anchors within ±10% after it: {merge.Within10:P1}); " +
                $"{merge.Added} configurations added -> {merge.Samples.Count} in {path}"));
            if (merge.Within10 < 0.8)
            {
                Console.Error.WriteLine("merge: warning: anchors agree within ±10% for fewer than 80% — the device was not at one speed during the later run; " +
                    "consider profiling it again.");
            }
            return 0;
        }));
        return command;
    }
}
