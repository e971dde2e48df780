using System.Diagnostics;
using System.Globalization;

namespace AdaMec.Prediction.Profiling;

/// <summary>How to start the profiler as a child process: the program and the arguments before `profile ...`.</summary>
/// <param name="Program">The executable (the adamec apphost, or dotnet).</param>
/// <param name="Prefix">Arguments that come first (adamec.dll when <paramref name="Program"/> is dotnet).</param>
public sealed record ProfilerCommand(string Program, IReadOnlyList<string> Prefix)
{
    /// <summary>Starts the command with <paramref name="arguments"/>, output redirected, optionally with extra environment variables.</summary>
    public Process Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in Prefix.Concat(arguments)) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Program}.");
    }
}

/// <summary>
/// Times operators in child processes held to real cgroup memory limits (paper §4.2.1: latency rises
/// sharply once available memory drops below a threshold), the data f_mem learns from. A child the
/// kernel kills for memory leaves the configuration it was timing recorded as unmeasured, and the
/// next child carries on after it (the CSV is resumable: finished configurations are skipped).
/// </summary>
public sealed class MemoryLimitedProfiler(ProfilerCommand profiler, TextWriter log)
{
    /// <summary>Children that may die for one budget before it is given up.</summary>
    public const int MaxCrashes = 200;

    /// <summary>
    /// Times every configuration in <paramref name="configsCsv"/> into <paramref name="samplesCsv"/>
    /// under <paramref name="limit"/> (null: the unlimited baseline), recording <paramref name="memoryMb"/> in the rows.
    /// </summary>
    public void Run(string samplesCsv, string configsCsv, int threads, double? memoryMb, CgroupMemoryLimit? limit)
    {
        var label = memoryMb is null ? "unlimited" : string.Create(CultureInfo.InvariantCulture, $"{memoryMb} MB");
        var keyFile = Path.GetTempFileName();
        try
        {
            for (var crashes = 0; crashes < MaxCrashes;)
            {
                File.Delete(keyFile);
                var arguments = new List<string> { "profile", "--configs-from", configsCsv, "--out", samplesCsv, "--threads", threads.ToString(CultureInfo.InvariantCulture),
                    "--current-key-file", keyFile, "--quiet", "--mode", "hot" };
                if (memoryMb is not null) arguments.AddRange(["--memory-mb", memoryMb.Value.ToString(CultureInfo.InvariantCulture)]);
                using var child = limit is null ? profiler.Start(arguments) : limit.StartInGroup(profiler.Program, profiler.Prefix.Concat(arguments));
                var error = child.StandardError.ReadToEndAsync();
                child.StandardOutput.ReadToEnd();
                error.GetAwaiter().GetResult();
                child.WaitForExit();
                if (child.ExitCode == 0)
                {
                    log.WriteLine($"  {label}: done");
                    return;
                }
                crashes++;
                if (!File.Exists(keyFile))
                {
                    log.WriteLine($"  {label}: the child died (exit {child.ExitCode}) before timing anything: the limit is below the runtime's own footprint.");
                    return;
                }
                var key = File.ReadAllText(keyFile);
                log.WriteLine($"  {label}: child killed (exit {child.ExitCode}) while timing {key}; recorded as unmeasured, continuing");
                SampleCsv.Append(samplesCsv, [new OperatorSample(OperatorConfig.FromKey(key), double.NaN, Threads: threads, MemoryMb: memoryMb)]);
            }
        }
        finally
        {
            File.Delete(keyFile);
        }
    }
}
