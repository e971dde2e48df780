using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AdaMec.Grains;

namespace AdaMec.Cli.Tests;

/// <summary>
/// Real adamec-silo processes with resident atoms, stopped the way an operator or Docker stops them: first
/// one board while another stays in the cluster, then the last board of the cluster.
/// </summary>
public sealed class SiloShutdownTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(3);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "adamec-shutdown-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task Sigterm_SiloWithResidentAtomsThenTheLastSilo_StopWithoutErrorLogs()
    {
        var atoms = Path.Combine(_root, "alexnet");
        var partition = AdamecProcess.Run("partition", "--model", "alexnet", "--out", atoms, "--latency", "flops");
        Assert.True(partition.ExitCode == 0, partition.Error);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(atoms, "manifest.json")));
        var count = manifest.RootElement.GetProperty("atoms").GetArrayLength();
        var gateway = LoopbackPorts.Free().ToString(CultureInfo.InvariantCulture);
        var clusterId = "shutdown-" + Guid.NewGuid().ToString("N")[..8];

        // Two boards: the one stopped first holds atoms; the other stays, so what a stopping silo hands on (the
        // planner's state, storage) has somewhere to go, as on a real cluster. Then the other is the last one.
        var stayPort = LoopbackPorts.Free();
        var stayLog = new StringBuilder();
        var stopLog = new StringBuilder();
        Process? stay = null, stop = null;
        try
        {
            stay = StartSilo("stay-edge", stayPort, gateway, clusterId, primary: null, stayLog);
            await UntilAsync(() => Text(stayLog).Contains("Application started", StringComparison.Ordinal), "the staying silo to start", stayLog);
            stop = StartSilo("stop-edge", LoopbackPorts.Free(), LoopbackPorts.Free().ToString(CultureInfo.InvariantCulture), clusterId, "127.0.0.1:" + stayPort.ToString(CultureInfo.InvariantCulture), stopLog);
            await UntilAsync(() => Text(stopLog).Contains("Application started", StringComparison.Ordinal), "the silo to start", stopLog);
            RunClient("phone-a", "stop-edge");
            Assert.Contains("resident on stop-edge", Text(stopLog), StringComparison.Ordinal);

            await TerminateAsync(stop);

            // The last board of the cluster, with its own resident atoms and a planner (the one before went with
            // the stopped silo or moved here) when SIGTERM arrives.
            RunClient("phone-b", "stay-edge");
            Assert.Contains("resident on stay-edge", Text(stayLog), StringComparison.Ordinal);
            await TerminateAsync(stay);
        }
        finally
        {
            foreach (var silo in new[] { stop, stay })
            {
                if (silo is { HasExited: false }) silo.Kill(entireProcessTree: true);
            }
        }

        foreach (var (silo, log, name) in new[] { (stop!, stopLog, "stop-edge"), (stay!, stayLog, "stay-edge (the last silo)") })
        {
            var exitCode = silo.ExitCode;
            silo.Dispose();
            var output = Text(log);
            var stopping = output.IndexOf("Application is shutting down", StringComparison.Ordinal);
            Assert.True(stopping >= 0, $"{name} never said it was shutting down:\n{output}");
            var errors = output[stopping..].Split('\n').Where(l => l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal)).ToArray();
            Assert.True(errors.Length == 0, $"{name}: error-level logs while stopping:\n" + string.Join("\n", errors));
            Assert.Equal(0, exitCode);
        }

        // Atoms 0..4 on the board (small, a few MB: resident atoms are what used to log errors on the way down),
        // the large fully connected ones on the phone, so the test does not spend its time moving 230 MB.
        void RunClient(string phone, string board)
        {
            var pin = Enumerable.Range(0, count).Select(i => i < Math.Min(5, count - 1) ? board : phone);
            var client = AdamecProcess.Run("client", "--gateway", "127.0.0.1:" + gateway, "--cluster-id", clusterId, "--atoms", atoms,
                "--device", phone, "--requests", "2", "--pin", string.Join(",", pin));
            Assert.True(client.ExitCode == 0, client.Error + client.Out);
        }
    }

    private static async Task TerminateAsync(Process silo)
    {
        using (var kill = Process.Start("kill", ["-TERM", silo.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var stopped = new CancellationTokenSource(Wait);
        await silo.WaitForExitAsync(stopped.Token);
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
