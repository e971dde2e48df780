using System.Diagnostics;
using System.Text;
using AdaMec.Bench.Context;

namespace AdaMec.Cli.Tests;

/// <summary>A real adamec-silo process, optionally moved into cgroups right after it starts.</summary>
internal sealed class SiloProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly StringBuilder _log = new();

    private SiloProcess(Process process) => Process = process;

    public Process Process { get; }

    public static SiloProcess Start(IEnumerable<string> args, params CgroupV1[] cgroups)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(System.IO.Path.Combine(AppContext.BaseDirectory, "adamec-silo.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var silo = new SiloProcess(Process.Start(start)!);
        // Before it loads anything: what it allocates from here on is charged to these cgroups.
        foreach (var cgroup in cgroups) cgroup.Add(silo.Process.Id);
        silo.Process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (silo._log) silo._log.AppendLine(e.Data); };
        silo.Process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (silo._log) silo._log.AppendLine(e.Data); };
        silo.Process.BeginOutputReadLine();
        silo.Process.BeginErrorReadLine();
        return silo;
    }

    public string Log()
    {
        lock (_log) return _log.ToString();
    }

    public async Task UntilStartedAsync()
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(StartTimeout.TotalSeconds * Stopwatch.Frequency);
        while (!Log().Contains("Application started", StringComparison.Ordinal))
        {
            if (Process.HasExited) throw new InvalidOperationException($"the silo exited ({Process.ExitCode}) before it started:\n{Log()}");
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"the silo did not start within {StartTimeout.TotalMinutes} minutes:\n{Log()}");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { /* already gone */ }
        Process.Dispose();
    }
}
