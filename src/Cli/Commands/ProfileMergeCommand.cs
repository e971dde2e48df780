using System.CommandLine;
using System.Globalization;
using AdaMec.Prediction.Profiling;

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
        var average = new Option<bool>("--average") { Description = "Anchors get the geometric mean of their earlier label and the later one at the earlier speed (for runs that re-time noisy labels: profile --anchor-spread) instead of keeping the earlier label." };
        var command = new Command("merge",
            "Add a later profiling run to an earlier profile, its latencies divided by the device's speed then against now, measured on the configurations both timed (anchors).")
        {
            earlier, later, output, average,
        };
        command.SetAction(parse =>
        {
            var merge = ProfileAnchors.Merge(SampleCsv.Read(parse.GetValue(earlier)!), SampleCsv.Read(parse.GetValue(later)!), parse.GetValue(average));
            var path = parse.GetValue(output)!;
            SampleCsv.Write(path, merge.Samples);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"merge: {merge.Anchors} anchors, later run at x{merge.Factor:F3} the base's latency (anchors within ±10% after it: {merge.Within10:P1}); " +
                $"{(merge.AnchorsAveraged ? $"{merge.Anchors} anchors averaged with their earlier labels; " : "")}" +
                $"{merge.Added} configurations added -> {merge.Samples.Count} in {path}"));
            if (merge.Within10 < 0.8)
            {
                // Anchors picked for their spread (profile --anchor-spread) disagree with their earlier labels by construction;
                // their agreement then measures how noisy those labels were, not whether the device kept one speed.
                Console.Error.WriteLine(merge.AnchorsAveraged
                    ? "merge: note: anchors re-timed for their spread (--anchor-spread) agree with their earlier labels less than random ones do, " +
                      "so an averaging merge gives no speed warning."
                    : "merge: warning: anchors agree within ±10% for fewer than 80% — the device was not at one speed during the later run; " +
                      "consider profiling it again.");
            }
            return 0;
        });
        return command;
    }
}
