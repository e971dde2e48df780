using System.CommandLine;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Cli.Commands;

/// <summary>`adamec profile collapse`: one row per configuration and memory limit, the fastest pass (what training uses).</summary>
internal static class ProfileCollapseCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--samples") { Description = "Sample CSV with several passes per configuration.", Required = true };
        var output = new Option<string>("--out") { Description = "CSV to write (replaced).", Required = true };
        var command = new Command("collapse", "Keep the fastest pass of every configuration (contention only adds time); unmeasured rows are kept as such.") { input, output };
        command.SetAction(parse =>
        {
            List<OperatorSample> rows;
            using (var reader = new StreamReader(parse.GetValue(input)!)) rows = SampleCsv.ReadRows(reader, parse.GetValue(input)!).ToList();
            var measured = SampleCsv.Collapse(rows.Where(r => double.IsFinite(r.LatencyMs)));
            var done = measured.Select(s => (s.Config.Key, s.MemoryMb)).ToHashSet();
            var unmeasured = rows.Where(r => !double.IsFinite(r.LatencyMs) && !done.Contains((r.Config.Key, r.MemoryMb))).DistinctBy(r => (r.Config.Key, r.MemoryMb));
            var path = parse.GetValue(output)!;
            SampleCsv.Write(path, measured.Concat(unmeasured));
            Console.WriteLine($"collapse: {rows.Count} rows -> {measured.Count} measured configurations -> {path}");
            return 0;
        });
        return command;
    }
}
