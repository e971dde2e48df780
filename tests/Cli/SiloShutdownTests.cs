using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AdaMec.Grains;

namespace AdaMec.Cli.Tests;

/// <summary>A real adamec-silo process with resident atoms, stopped the way an operator or Docker stops it, while another board stays in the cluster.</summary>
public sealed class SiloShutdownTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(3);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "adamec-shutdown-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task Sigterm_SiloWithResidentAtoms_StopsWithoutErrorLogs()
    {
        var atoms = Path.Combine(_root, "alexnet");
        var partition = AdamecProcess.Run("partition", "--model", "alexnet", "--out", atoms, "--latency", "flops");
        Assert.True(partition.ExitCode == 0, partition.Error);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(atoms, "manifest.json")));
        var count = manifest.RootElement.GetProperty("atoms").GetArrayLength();
        var gateway = LoopbackPorts.Free().ToString(CultureInfo.InvariantCulture);
        var clusterId = "shutdown-" + Guid.NewGuid().ToString("N")[..8];

        // Two boards: the one stopped holds every atom; the other stays, so what Orleans moves off a
        // stopping silo (the planner, storage) has somewhere to go, as on a real cluster.
        var stayPort = LoopbackPorts.Free();
        var stayLog = new StringBuilder();
        using var stay = StartSilo("stay-edge", stayPort, gateway, clusterId, primary: null, stayLog);
        var log = new StringBuilder();
        Process? silo = null;
        try
        {
            await UntilAsync(() => Text(stayLog).Contains("Application started", StringComparison.Ordinal), "the staying silo to start", stayLog);
            silo = StartSilo("stop-edge", LoopbackPorts.Free(), LoopbackPorts.Free().ToString(CultureInfo.InvariantCulture), clusterId, "127.0.0.1:" + stayPort.ToString(CultureInfo.InvariantCulture), log);
            await UntilAsync(() => Text(log).Contains("Application started", StringComparison.Ordinal), "the silo to start", log);
            var client = AdamecProcess.Run("client", "--gateway", "127.0.0.1:" + gateway, "--cluster-id", clusterId, "--atoms", atoms,
                "--requests", "3", "--pin", string.Join(",", Enumerable.Repeat("stop-edge", count)));
            Assert.True(client.ExitCode == 0, client.Error + client.Out);
            Assert.Contains("resident on stop-edge", Text(log), StringComparison.Ordinal);

            using (var kill = Process.Start("kill", ["-TERM", silo.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            using var stopped = new CancellationTokenSource(Wait);
            await silo.WaitForExitAsync(stopped.Token);
        }
        finally
        {
            if (silo is { HasExited: false }) silo.Kill(entireProcessTree: true);
            if (!stay.HasExited) stay.Kill(entireProcessTree: true);
        }

        var exitCode = silo!.ExitCode;
        silo.Dispose();
        var output = Text(log);
        var errors = output.Split('\n').Where(l => l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal)).ToArray();
        Assert.True(errors.Length == 0, "error-level logs while stopping:\n" + string.Join("\n", errors));
        Assert.Equal(0, exitCode);
        Assert.Contains("Application is shutting down", output, StringComparison.Ordinal);
    }

    private Process StartSilo(string device, int siloPort, string gatewayPort, string clusterId, string? primary, StringBuilder log)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "adamec-silo.dll"), "--device", device,
            "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", gatewayPort,
            "--cluster-id", clusterId, "--cache", Path.Combine(_root, "cache-" + device),
        }) start.ArgumentList.Add(arg);
        if (primary is not null)
        {
            start.ArgumentList.Add("--primary");
            start.ArgumentList.Add(primary);
        }
        var silo = Process.Start(start)!;
        silo.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        silo.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        silo.BeginOutputReadLine();
        silo.BeginErrorReadLine();
        return silo;
    }

    private static string Text(StringBuilder log)
    {
        lock (log) return log.ToString();
    }

    private static async Task UntilAsync(Func<bool> condition, string what, StringBuilder log)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Wait.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"waited {Wait.TotalMinutes} min for {what}; output:\n{Text(log)}");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
