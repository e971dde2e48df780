using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AdaMec.Cli.Rendering;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec profile kernels`: checks, on this device, that the predictor's mirror of libtorch's conv
/// dispatch names the kernel really run (<see cref="ConvKernelCheck"/>, which runs this CLI again as a
/// child in the hidden --announce mode). Worth running after a libtorch upgrade or on another CPU.
/// </summary>
internal static class ProfileKernelsCommand
{
    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "Convs to draw from the sampling space.", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { Description = "Seed of the convs drawn.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print { convs, agree, kernels: [ { kernel, convs, mirrored } ], mismatches: [ { config, mirrored, ran } ] }." };
        var announce = new Option<bool>("--announce") { Description = "Child mode: run the convs, announcing each on stdout.", Hidden = true };
        var command = new Command("kernels", "Check which kernel libtorch runs each conv with (oneDNN's verbose log) against the predictor's mirror of its dispatch.")
        {
            count, seed, json, announce,
        };
        command.SetAction(parse =>
        {
            var n = parse.GetValue(count);
            if (n < 1) throw new ArgumentException("--count must be at least 1.");
            if (parse.GetValue(announce))
            {
                ConvKernelCheck.Announce(parse.GetValue(seed), n, Console.Out);
                return 0;
            }
            var report = ConvKernelCheck.Run(SelfProcess.Profiler(), parse.GetValue(seed), n);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, PredictorCommand.Json));
            else Print(report);
            return 0;
        });
        return command;
    }

    private static void Print(ConvKernelReport report)
    {
        Console.WriteLine($"profile kernels: {report.Convs} convs, the kernel read from oneDNN's verbose log against ConvImplementations");
        var table = new CliTable("observed kernel", "convs", "mirrored");
        foreach (var group in report.Kernels) table.Add(group.Kernel, group.Convs, group.Mirrored);
        table.Write(CliConsole.Out);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"agree: {report.Agree}/{report.Convs} ({(double)report.Agree / Math.Max(1, report.Convs):P1})"));
        foreach (var miss in report.Mismatches) Console.WriteLine($"  {miss.Config}: mirrored {miss.Mirrored}, ran {miss.Ran}");
    }
}
