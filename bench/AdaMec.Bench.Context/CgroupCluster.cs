using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AdaMec.Client;
using AdaMec.Interfaces;

namespace AdaMec.Bench.Context;

/// <summary>
/// Real adamec-silo processes, each in a cpu and a memory cgroup v1 of its own (made for the run,
/// removed after), a ResNet-18 partitioned by the real `adamec partition`, and a client in this
/// process: the initiator "phone", emulated 50x slower than the edges so the planner offloads.
/// Dispose stops the silos and deletes the cgroups and the temporary folder.
/// </summary>
internal sealed class CgroupCluster : IAsyncDisposable
{
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "adamec-ctxbench-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<Silo> _silos = [];
    private AdaMecClient? _client;

    private CgroupCluster()
    {
    }

    /// <summary>One silo, its cgroups and what it logged.</summary>
    public sealed record Silo(string Device, Process Process, StringBuilder Log, CgroupV1 Cpu, CgroupV1 Memory);

    public AdaMecClient Client => _client ?? throw new InvalidOperationException("not connected");

    public string ModelDirectory => Path.Combine(_root, "resnet18");

    public IReadOnlyList<double> PredictedMs { get; private set; } = [];

    public int InputBytes { get; private set; }

    public IReadOnlyList<Silo> Silos => _silos;

    public Silo this[string device] => _silos.Single(s => s.Device == device);

    /// <summary>Partitions the model and starts one silo per device (each at <paramref name="cores"/> CPU cores), then connects.</summary>
    public static async Task<CgroupCluster> StartAsync(ContextBenchSettings settings, IReadOnlyList<string> devices, double cores, TextWriter log, CancellationToken cancellationToken)
    {
        var cluster = new CgroupCluster();
        try
        {
            Directory.CreateDirectory(cluster._root);
            log.WriteLine("context bench: partitioning resnet18 (adamec partition)");
            Tool.Check("dotnet", settings.CliDll, "partition", "--model", "resnet18", "--out", cluster.ModelDirectory);
            using (var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(cluster.ModelDirectory, "manifest.json"), cancellationToken)))
            {
                var atoms = manifest.RootElement.GetProperty("atoms");
                cluster.PredictedMs = atoms.EnumerateArray().Select(a => a.GetProperty("predictedMs").GetDouble()).ToArray();
                cluster.InputBytes = atoms[0].GetProperty("inputBytes").GetInt32();
            }
            var id = "ctxbench-" + Guid.NewGuid().ToString("N")[..6];
            var primary = FreePort();
            var gateway = FreePort();
            for (var i = 0; i < devices.Count; i++)
            {
                var args = new List<string>
                {
                    settings.SiloDll, "--device", devices[i], "--silo-port", (i == 0 ? primary : FreePort()).ToString(CultureInfo.InvariantCulture),
                    "--gateway-port", (i == 0 ? gateway : FreePort()).ToString(CultureInfo.InvariantCulture), "--cluster-id", id,
                    "--cache", Path.Combine(cluster._root, "cache-" + devices[i]),
                };
                if (i > 0) args.AddRange(["--primary", "127.0.0.1:" + primary.ToString(CultureInfo.InvariantCulture)]);
                cluster.StartSilo(devices[i], args, cores);
                // The primary first: the others join it.
                if (i == 0) await UntilStartedAsync(cluster._silos[0], cancellationToken);
            }
            foreach (var silo in cluster._silos.Skip(1)) await UntilStartedAsync(silo, cancellationToken);
            var options = new AdaMecClientOptions { DeviceId = "phone", ClusterId = id, SpeedFactor = 50, Emulation = true };
            options.Gateways.Add("127.0.0.1:" + gateway.ToString(CultureInfo.InvariantCulture));
            cluster._client = await AdaMecClient.ConnectAsync(options, cancellationToken: cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>What every silo logged so far (for failure messages).</summary>
    public string Logs() => string.Join("\n", _silos.Select(s =>
    {
        lock (s.Log) return $"--- {s.Device}\n{s.Log}";
    }));

    /// <summary>Polls <paramref name="read"/> until it answers, failing when a silo exits or <see cref="Settle"/> passes.</summary>
    public async Task<T> UntilAsync<T>(Func<Task<T?>> read, string what, CancellationToken cancellationToken) where T : class
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Settle.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (await read() is { } value) return value;
            if (_silos.FirstOrDefault(s => s.Process.HasExited) is { } gone) throw new InvalidOperationException($"silo {gone.Device} exited ({gone.Process.ExitCode}) while waiting for {what}");
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"waited {Settle.TotalSeconds} s for {what}");
            await Task.Delay(50, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
        foreach (var silo in _silos)
        {
            try
            {
                if (!silo.Process.HasExited) silo.Process.Kill(entireProcessTree: true);
                silo.Process.WaitForExit(10_000);
            }
            catch (InvalidOperationException) { /* already gone */ }
            silo.Process.Dispose();
            silo.Cpu.Dispose();
            silo.Memory.Dispose();
        }
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private void StartSilo(string device, List<string> args, double cores)
    {
        var cpu = CgroupV1.Create("cpu", "adamec-ctxbench-cpu");
        var memory = CgroupV1.Create("memory", "adamec-ctxbench-mem");
        // Charges made before the move (the runtime starting) go with the process.
        try { memory.Write("memory.move_charge_at_immigrate", "1"); } catch (IOException) { }
        cpu.SetQuota(cores);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start adamec-silo");
        var log = new StringBuilder();
        _silos.Add(new Silo(device, process, log, cpu, memory));
        // Before it loads anything: what it allocates from here on is charged to these cgroups.
        cpu.Add(process.Id);
        memory.Add(process.Id);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private static async Task UntilStartedAsync(Silo silo, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(StartTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            string text;
            lock (silo.Log) text = silo.Log.ToString();
            if (text.Contains("Application started", StringComparison.Ordinal)) return;
            if (silo.Process.HasExited) throw new InvalidOperationException($"silo {silo.Device} exited ({silo.Process.ExitCode}) before it started:\n{text}");
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"silo {silo.Device} did not start within {StartTimeout.TotalMinutes} minutes:\n{text}");
            await Task.Delay(100, cancellationToken);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Requests one after another until stopped, as an app sends them; latencies kept per plan version.</summary>
internal sealed class RequestLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(int Version, double LatencyMs, bool FellBack)> _results = [];
    private Task _loop = Task.CompletedTask;

    public List<Exception> Failures { get; } = [];

    public int Answered
    {
        get
        {
            lock (_results) return _results.Count;
        }
    }

    public static RequestLoop Start(Deployment deployment, int inputBytes)
    {
        var loop = new RequestLoop();
        var input = new byte[inputBytes];
        loop._loop = Task.Run(async () =>
        {
            while (!loop._stop.IsCancellationRequested)
            {
                try
                {
                    var result = await deployment.InferAsync(input).WaitAsync(TimeSpan.FromSeconds(60));
                    lock (loop._results) loop._results.Add((result.PlanVersion, result.LatencyMs, result.FellBack));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    lock (loop.Failures) loop.Failures.Add(e);
                }
            }
        });
        return loop;
    }

    /// <summary>Latencies of the requests answered after the first <paramref name="skip"/>.</summary>
    public double[] LatenciesSince(int skip)
    {
        lock (_results) return _results.Skip(skip).Select(r => r.LatencyMs).ToArray();
    }

    public int FellBack
    {
        get
        {
            lock (_results) return _results.Count(r => r.FellBack);
        }
    }

    public async Task UntilAsync(int answered, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(CgroupCluster.Settle.TotalSeconds * Stopwatch.Frequency);
        while (Answered < answered)
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"{Answered} of {answered} requests answered in {CgroupCluster.Settle.TotalSeconds} s");
            await Task.Delay(20, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
