using System.Diagnostics;

namespace AdaMec.Testbed;

/// <summary>Runs the host tools the testbed drives (<c>ip</c>, <c>tc</c>) and fails with their own words.</summary>
internal static class HostCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/>; throws with the command line and its stderr when it fails.</summary>
    public static string Run(string file, params string[] arguments) => RunWithEnvironment(file, arguments);

    /// <summary>Runs <paramref name="file"/> with extra environment variables (secrets stay off the command line).</summary>
    public static string RunWithEnvironment(string file, string[] arguments, params (string Name, string Value)[] environment) =>
        TryRun(file, arguments, out var output, out var error, environment) ? output
            : throw new TestbedException($"'{file} {string.Join(' ', arguments)}' failed: {error}");

    /// <summary>Runs the command; false (with its stderr) when it exits non-zero.</summary>
    public static bool TryRun(string file, string[] arguments, out string output, out string error, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new TestbedException($"could not start '{file}'");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TestbedException($"'{file} {string.Join(' ', arguments)}' did not finish within {Timeout.TotalSeconds:0} s");
        }

        output = stdout.Result;
        error = stderr.Result.Trim();
        if (error.Length == 0) error = $"exit code {process.ExitCode}";
        return process.ExitCode == 0;
    }

    /// <summary>Runs <paramref name="file"/> inside network namespace <paramref name="netns"/>.</summary>
    public static string InNamespace(string netns, string file, params string[] arguments) =>
        Run("ip", ["netns", "exec", netns, file, .. arguments]);
}
