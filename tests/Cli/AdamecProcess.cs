using System.Diagnostics;

namespace AdaMec.Cli.Tests;

/// <summary>Runs the real `adamec` executable (built next to the tests) and captures its output.</summary>
internal static class AdamecProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(8);

    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Run(params string[] args) => RunWith(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Run"/>, with these environment variables set for the process.</summary>
    public static Result RunWith(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "adamec.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        // A hang guard, not a speed check: in a fresh clone the first command that needs the default
        // predictor trains it (one to two minutes alone on two cores, longer under load).
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"adamec {string.Join(' ', args)} did not finish in {Timeout.TotalMinutes} minutes");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
