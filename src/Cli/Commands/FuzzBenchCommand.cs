using System.CommandLine;
using System.Globalization;
using AdaMec.Bench.Fuzz;

namespace AdaMec.Cli.Commands;

/// <summary>`adamec bench fuzz`: mutated inputs against every parser and grain entry point (bench/AdaMec.Bench.Fuzz).</summary>
internal static class FuzzBenchCommand
{
    public static Command Create()
    {
        var inputs = new Option<int>("--inputs") { Description = "mutated inputs per target", DefaultValueFactory = _ => 10_000 };
        var seed = new Option<string>("--seed") { Description = "FsCheck seed (the same seed gives the same inputs)", DefaultValueFactory = _ => "20261204" };
        var targets = new Option<string[]>("--targets") { Description = $"targets to run (default: all): {string.Join(", ", FuzzTargets.Names)}", AllowMultipleArgumentsPerToken = true };
        var hang = new Option<double>("--hang-seconds") { Description = "one input running longer than this is a hang", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "print the report as JSON" };
        var output = new Option<FileInfo?>("--out") { Description = "also write the report to this file" };
        var command = new Command("fuzz", "FsCheck-driven mutation of valid inputs against each parser (manifest, atom spec, weights file, sample CSV, planning file, scenario trace, credential, configuration) and the atom, device and link grains' request validation; exit 1 on any crash, hang or unbounded allocation")
        {
            inputs, seed, targets, hang, json, output,
        };
        command.SetAction(parse =>
        {
            if (!ulong.TryParse(parse.GetValue(seed), NumberStyles.None, CultureInfo.InvariantCulture, out var seedValue))
                throw new ArgumentException($"--seed: '{parse.GetValue(seed)}' is not a whole number from 0 to {ulong.MaxValue}");
            var hangSeconds = parse.GetValue(hang);
            if (!double.IsFinite(hangSeconds) || hangSeconds <= 0 || hangSeconds > 3600) throw new ArgumentException($"--hang-seconds must be > 0 and at most 3600, got {hangSeconds}");
            var settings = new FuzzSettings
            {
                Inputs = parse.GetValue(inputs), Seed = seedValue, Targets = parse.GetValue(targets) ?? [], HangLimit = TimeSpan.FromSeconds(hangSeconds),
            };
            var report = FuzzRunner.Run(settings, Console.Error);
            var text = parse.GetValue(json) ? FuzzRunner.ToJson(report) : FuzzRunner.ToTable(report);
            Console.Out.WriteLine(text);
            if (parse.GetValue(output) is { } file) File.WriteAllText(file.FullName, text);
            return report.Clean ? 0 : CliErrors.Failure;
        });
        return command;
    }
}
