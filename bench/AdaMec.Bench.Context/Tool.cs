using System.Diagnostics;

namespace AdaMec.Bench.Context;

/// <summary>Runs a system tool (ip, tc) to completion.</summary>
internal static class Tool
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs and throws with the tool's own words when it fails.</summary>
    public static string Check(string file, params string[] args)
    {
        var result = Run(file, args);
        if (result.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({result.ExitCode}): {result.Error.Trim()}");
        return result.Out;
    }

    public static bool OnPath(string file) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"])
            .Any(d => File.Exists(Path.Combine(d, file)));
}
