using System.CommandLine;
using System.Globalization;
using AdaMec.Cli.Rendering;
using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec profile kernels`: checks, on this device, that <see cref="ConvImplementations"/> (a
/// predictor feature) names the kernel libtorch really runs each conv with, reading oneDNN's
/// verbose log in a child process. Worth running after a libtorch upgrade or on another CPU.
/// </summary>
internal static class ProfileKernelsCommand
{
    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "Convs to draw from the sampling space.", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { Description = "Seed of the convs drawn.", DefaultValueFactory = _ => 1 };
        var announce = new Option<bool>("--announce") { Description = "Child mode: run the convs, announcing each on stdout.", Hidden = true };
        var command = new Command("kernels", "Check which kernel libtorch runs each conv with (oneDNN's verbose log) against the predictor's mirror of its dispatch.")
        {
            count, seed, announce,
        };
        command.SetAction(parse =>
        {
            var n = parse.GetValue(count);
            if (n < 1) throw new ArgumentException("--count must be at least 1.");
            if (parse.GetValue(announce))
            {
                ConvKernelProbe.Run(new SamplingSpace(parse.GetValue(seed)).Draw([OperatorKind.Conv2d], n), Console.Out);
                return 0;
            }
            var lines = Probe(parse.GetValue(seed), n);
            if (!ConvKernelProbe.HasVerboseLog(lines))
                throw new InvalidOperationException($"profile kernels: oneDNN printed no verbose log ({ConvKernelProbe.VerboseVariable}=1 had no effect): this libtorch cannot be checked.");
            Report(ConvKernelProbe.Parse(lines));
            return 0;
        });
        return command;
    }

    /// <summary>The probe child's stdout lines; throws (exit 1 through CliErrors) when it failed.</summary>
    private static string[] Probe(int seed, int count)
    {
        using var child = SelfProcess.Profiler().Start(["profile", "kernels", "--announce", "--count", count.ToString(CultureInfo.InvariantCulture),
            "--seed", seed.ToString(CultureInfo.InvariantCulture)], new Dictionary<string, string> { [ConvKernelProbe.VerboseVariable] = "1" });
        var error = child.StandardError.ReadToEndAsync();
        var output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode == 0) return output.Split('\n');
        throw new InvalidOperationException($"profile kernels: the probe process failed (exit {child.ExitCode}): {error.Result.Trim()}");
    }

    private static void Report(IReadOnlyList<ObservedConvKernel> observed)
    {
        Console.WriteLine($"profile kernels: {observed.Count} convs, the kernel read from oneDNN's verbose log against ConvImplementations");
        var table = new CliTable("observed kernel", "convs", "mirrored");
        foreach (var group in observed.GroupBy(o => o.Observed?.ToString() ?? $"other ({o.Kernel})").OrderByDescending(g => g.Count()))
        {
            table.Add(group.Key, group.Count(), group.Count(o => o.Observed == o.Mirrored));
        }
        table.Write(CliConsole.Out);
        var agree = observed.Count(o => o.Observed == o.Mirrored);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"agree: {agree}/{observed.Count} ({(double)agree / Math.Max(1, observed.Count):P1})"));
        foreach (var miss in observed.Where(o => o.Observed != o.Mirrored).Take(10))
        {
            Console.WriteLine($"  {miss.Config.Key}: mirrored {miss.Mirrored}, ran {miss.Kernel ?? "PyTorch's own kernel"}");
        }
    }
}
