using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AdaMec.Bench.Context;

/// <summary>One probe of a shaped link: what tc enforced against what the link grain estimated.</summary>
/// <param name="ShapedMbps">The htb rate of the link.</param>
/// <param name="EstimatedMbps">The link grain's estimate after an active probe.</param>
/// <param name="LatencyMs">The estimated fixed cost per transfer.</param>
/// <param name="Samples">Samples the estimate rests on.</param>
/// <param name="Source">The estimate's source (measured after a probe).</param>
/// <param name="ProbeSeconds">Wall time of the probe command over the probes it ran, client start-up included.</param>
public sealed record ShapedLinkReading(double ShapedMbps, double EstimatedMbps, double LatencyMs, int Samples, string Source, double ProbeSeconds)
{
    /// <summary>Signed relative error of the estimate, percent.</summary>
    public double ErrorPercent => (EstimatedMbps / ShapedMbps - 1) * 100;
}

/// <summary>
/// Two real adamec-silo processes ("a" and "b") in a <see cref="ShapedNamespace"/>, and the real
/// `adamec cluster probe` / `cluster status` commands run in it: link a-&gt;b is probed over the
/// real Orleans transport on a really shaped link. Dispose stops the silos and deletes the namespace.
/// </summary>
public sealed class ShapedLinkExperiment : IDisposable
{
    private const int PortA = 11111;
    private const int PortB = 11112;
    private const string GatewayA = "30000";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly string _siloDll;
    private readonly string _cliDll;
    private readonly string _clusterId = "shaped-" + Guid.NewGuid().ToString("N")[..6];
    private readonly string _root = Path.Combine(Path.GetTempPath(), "adamec-shaped-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<(Process Process, StringBuilder Log)> _silos = [];
    private readonly ShapedNamespace _namespace;
    private int _probeRounds;

    private ShapedLinkExperiment(string siloDll, string cliDll, ShapedNamespace shaped)
    {
        _siloDll = siloDll;
        _cliDll = cliDll;
        _namespace = shaped;
    }

    /// <summary>Makes the shaped namespace (at <paramref name="mbps"/>) and starts both silos in it.</summary>
    /// <param name="siloDll">adamec-silo.dll.</param>
    /// <param name="cliDll">adamec.dll.</param>
    /// <param name="mbps">The rate to shape to at first.</param>
    /// <param name="cancellationToken">Stops waiting for the silos.</param>
    /// <param name="probeRounds">Links:ProbeRounds of both silos.</param>
    public static async Task<ShapedLinkExperiment> StartAsync(string siloDll, string cliDll, double mbps, int probeRounds, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(siloDll)) throw new FileNotFoundException($"no silo at {siloDll}", siloDll);
        if (!File.Exists(cliDll)) throw new FileNotFoundException($"no adamec at {cliDll}", cliDll);
        var shaped = ShapedNamespace.Create("adamec-shaped-" + Guid.NewGuid().ToString("N")[..6], PortA, PortB, mbps);
        var experiment = new ShapedLinkExperiment(siloDll, cliDll, shaped) { _probeRounds = probeRounds };
        try
        {
            var a = experiment.StartSilo("a", PortA, GatewayA, primary: null);
            var b = experiment.StartSilo("b", PortB, "30001", primary: "127.0.0.1:" + PortA.ToString(CultureInfo.InvariantCulture));
            await UntilStartedAsync(a, cancellationToken);
            await UntilStartedAsync(b, cancellationToken);
            return experiment;
        }
        catch
        {
            experiment.Dispose();
            throw;
        }
    }

    /// <summary>The namespace's name (for messages).</summary>
    public string Namespace => _namespace.Name;

    /// <summary>Shapes the link to <paramref name="mbps"/>, probes a-&gt;b <paramref name="probes"/> times (each replacing the previous one's samples) and reads each estimate.</summary>
    public async Task<IReadOnlyList<ShapedLinkReading>> MeasureAsync(double mbps, int probes, CancellationToken cancellationToken = default)
    {
        _namespace.SetRate(mbps);
        var started = Stopwatch.GetTimestamp();
        var output = await AdamecAsync(cancellationToken, "cluster", "probe", "--gateway", "127.0.0.1:" + GatewayA, "--cluster-id", _clusterId,
            "--from", "a", "--to", "b", "--repeat", probes.ToString(CultureInfo.InvariantCulture), "--json");
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        using var json = JsonDocument.Parse(output);
        return json.RootElement.GetProperty("links").EnumerateArray()
            .Select(link => new ShapedLinkReading(mbps, link.GetProperty("mbps").GetDouble(), link.GetProperty("latencyMs").GetDouble(),
                link.GetProperty("samples").GetInt32(), link.GetProperty("source").GetString() ?? "", seconds / probes))
            .ToArray();
    }

    /// <summary>`adamec cluster status --json` of the two silos.</summary>
    public Task<string> StatusJsonAsync(CancellationToken cancellationToken = default) =>
        AdamecAsync(cancellationToken, "cluster", "status", "--gateway", "127.0.0.1:" + GatewayA, "--cluster-id", _clusterId, "--json");

    /// <summary>What the silos logged so far (for failure messages).</summary>
    public string Logs()
    {
        var text = new StringBuilder();
        foreach (var (_, log) in _silos)
        {
            lock (log) text.Append(log);
        }
        return text.ToString();
    }

    public void Dispose()
    {
        foreach (var (process, _) in _silos)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            catch (InvalidOperationException) { /* already gone */ }
            process.Dispose();
        }
        _namespace.Dispose();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private (Process Process, StringBuilder Log) StartSilo(string device, int siloPort, string gatewayPort, string? primary)
    {
        var args = new List<string>
        {
            _siloDll, "--device", device, "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", gatewayPort,
            "--cluster-id", _clusterId, "--cache", Path.Combine(_root, "cache-" + device),
            "--Links:ProbeRounds", _probeRounds.ToString(CultureInfo.InvariantCulture), "--Links:ProbeBudget", "00:00:15",
        };
        if (primary is not null) args.AddRange(["--primary", primary]);
        var process = Process.Start(_namespace.StartInfo("dotnet", args)) ?? throw new InvalidOperationException("could not start adamec-silo");
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _silos.Add((process, log));
        return (process, log);
    }

    private static async Task UntilStartedAsync((Process Process, StringBuilder Log) silo, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(StartTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            string text;
            lock (silo.Log) text = silo.Log.ToString();
            if (text.Contains("Application started", StringComparison.Ordinal)) return;
            if (silo.Process.HasExited) throw new InvalidOperationException($"a silo exited ({silo.Process.ExitCode}) before it started:\n{text}");
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"a silo did not start within {StartTimeout.TotalMinutes} minutes:\n{text}");
            await Task.Delay(100, cancellationToken);
        }
    }

    private async Task<string> AdamecAsync(CancellationToken cancellationToken, params string[] args)
    {
        using var process = Process.Start(_namespace.StartInfo("dotnet", [_cliDll, .. args])) ?? throw new InvalidOperationException("could not start adamec");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"adamec {string.Join(' ', args)} did not finish in 2 minutes");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"adamec {string.Join(' ', args)} failed ({process.ExitCode}): {await error}\n{await output}");
        return await output;
    }
}
