using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using AdaMec.Client;
using AdaMec.Core.Atoms;
using AdaMec.Core.Partitioning;
using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Execution;

namespace AdaMec.Bench.Backends;

/// <summary>What `adamec bench backends` measures.</summary>
public sealed record BackendBenchSettings
{
    /// <summary>Zoo models to partition (into a temporary folder, FLOPs latency source); ignored when <see cref="AtomsDirectories"/> is set.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>Already partitioned folders to measure instead of partitioning.</summary>
    public IReadOnlyList<string> AtomsDirectories { get; init; } = [];

    /// <summary>Intra-op thread counts, each measured on both backends.</summary>
    public IReadOnlyList<int> Threads { get; init; } = [1, 2];

    /// <summary>Timed chain runs per (model, threads, backend); the median is reported.</summary>
    public int Runs { get; init; } = 10;

    /// <summary>Untimed chain runs before timing (session and allocator warm-up).</summary>
    public int Warmup { get; init; } = 2;

    /// <summary>adamec-silo.dll for the peak-RSS part; null skips it.</summary>
    public string? SiloDll { get; init; }

    /// <summary>Models (by name) whose silo RSS is measured; empty: all measured models.</summary>
    public IReadOnlyList<string> RssModels { get; init; } = [];

    /// <summary>Requests sent through the pinned silo before reading its peak RSS.</summary>
    public int RssRequests { get; init; } = 3;
}

/// <summary>One (model, threads) row: median whole-chain time on each backend.</summary>
public sealed record ChainTiming(string Model, int Atoms, int Threads, double TorchMs, double OnnxMs)
{
    public double OnnxOverTorch => OnnxMs / TorchMs;
}

/// <summary>A real silo process holding all atoms of a model on one backend.</summary>
/// <param name="Model">Zoo model.</param>
/// <param name="Backend">The silo's --backend.</param>
/// <param name="Atoms">Atoms pinned to the silo (all of the model's).</param>
/// <param name="WeightBytes">The atoms' weights, bytes.</param>
/// <param name="PeakRssBytes">VmHWM of the silo process after the requests.</param>
/// <param name="RssBytes">VmRSS of the silo process after the requests.</param>
/// <param name="Requests">Requests that succeeded through the silo.</param>
/// <param name="MedianMs">Their median end-to-end latency.</param>
public sealed record SiloMemory(string Model, string Backend, int Atoms, long WeightBytes, long PeakRssBytes, long RssBytes, int Requests, double MedianMs);

public sealed record BackendBenchReport(string Date, string Machine, IReadOnlyList<ChainTiming> Timings, IReadOnlyList<SiloMemory> Silos, IReadOnlyList<string> Notes);

/// <summary>
/// ONNX Runtime vs TorchSharp on the same atom files: the whole chain of atoms, run in this process
/// on each backend at each thread count (warm-up, then the median of the timed runs); and the peak
/// resident memory of a real adamec-silo process that holds every atom of a model, once per backend.
/// </summary>
public static class BackendBench
{
    public static async Task<BackendBenchReport> RunAsync(BackendBenchSettings settings, TextWriter progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var root = Path.Combine(Path.GetTempPath(), "adamec-bench-backends-" + Guid.NewGuid().ToString("N")[..8]);
        var notes = new List<string>();
        try
        {
            var folders = new List<string>(settings.AtomsDirectories);
            foreach (var model in settings.AtomsDirectories.Count > 0 ? [] : settings.Models)
            {
                progress.WriteLine($"partitioning {model} (FLOPs latency source) ...");
                var folder = Path.Combine(root, model);
                ModelPartitioning.Partition(model, folder, new FlopsLatencyModel());
                folders.Add(folder);
            }

            var timings = new List<ChainTiming>();
            foreach (var folder in folders)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var manifest = AtomManifest.Load(folder);
                foreach (var threads in settings.Threads)
                {
                    var torchMs = TimeChain(ExecutionBackends.Torch, threads, folder, manifest, settings);
                    var onnxMs = TimeChain(ExecutionBackends.Onnx, threads, folder, manifest, settings);
                    var row = new ChainTiming(manifest.Model, manifest.Atoms.Count, threads, torchMs, onnxMs);
                    progress.WriteLine($"{row.Model} threads={threads}: torch {torchMs:0.0} ms, onnx {onnxMs:0.0} ms");
                    timings.Add(row);
                }
            }

            var silos = new List<SiloMemory>();
            if (settings.SiloDll is { } siloDll)
            {
                if (!OperatingSystem.IsLinux()) notes.Add("peak RSS skipped: it reads /proc/<pid>/status (Linux only)");
                else
                {
                    foreach (var folder in folders)
                    {
                        var manifest = AtomManifest.Load(folder);
                        if (settings.RssModels.Count > 0 && !settings.RssModels.Contains(manifest.Model, StringComparer.OrdinalIgnoreCase)) continue;
                        foreach (var backend in new[] { ExecutionBackends.Torch, ExecutionBackends.Onnx })
                        {
                            var memory = await MeasureSiloAsync(siloDll, backend, folder, manifest, settings.RssRequests, Path.Combine(root, "silo-" + manifest.Model + "-" + backend), cancellationToken);
                            progress.WriteLine($"{memory.Model} silo on {backend}: peak RSS {memory.PeakRssBytes / 1048576.0:0} MiB");
                            silos.Add(memory);
                        }
                    }
                }
            }
            else notes.Add("peak RSS not measured (no silo to start: --no-rss)");

            notes.Add("chain: every atom of the folder in one process, input seeded random floats; torch runs the .amw weights, onnx the folder's .onnx models");
            if (silos.Count > 0) notes.Add("silo: one real adamec-silo process, all atoms pinned to it from an in-process client on onnx; VmHWM after the requests, so it includes pulling the atoms");
            return new BackendBenchReport(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture), Machine(), timings, silos, notes);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Median whole-chain milliseconds of <paramref name="folder"/> on one backend at one thread count.</summary>
    public static double TimeChain(string backendName, int threads, string folder, AtomManifest manifest, BackendBenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(settings);
        var backend = ExecutionBackends.Create(backendName, threads);
        var atoms = AtomFiles.LoadAll(backend, folder, manifest);
        try
        {
            var input = SeededInput(manifest.Atoms[0].InputBytes);
            for (var i = 0; i < settings.Warmup; i++) AtomFiles.Run(atoms, input);
            var times = new double[settings.Runs];
            for (var i = 0; i < times.Length; i++)
            {
                var start = Stopwatch.GetTimestamp();
                AtomFiles.Run(atoms, input);
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            Array.Sort(times);
            return times.Length % 2 == 1 ? times[times.Length / 2] : (times[times.Length / 2 - 1] + times[times.Length / 2]) / 2;
        }
        finally
        {
            foreach (var atom in atoms) atom.Dispose();
        }
    }

    private static byte[] SeededInput(long bytes)
    {
        var random = new Random(7);
        var values = new float[bytes / sizeof(float)];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }

    private static async Task<SiloMemory> MeasureSiloAsync(string siloDll, string backend, string folder, AtomManifest manifest, int requests, string root, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root);
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        var clusterId = "bench-backends-" + Guid.NewGuid().ToString("N")[..8];
        const string device = "bench-edge";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            siloDll, "--device", device, "--backend", backend, "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture),
            "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture), "--cluster-id", clusterId, "--cache", Path.Combine(root, "cache"),
        }) start.ArgumentList.Add(arg);
        var log = new StringBuilder();
        using var silo = Process.Start(start) ?? throw new InvalidOperationException("could not start adamec-silo");
        silo.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        silo.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        silo.BeginOutputReadLine();
        silo.BeginErrorReadLine();
        try
        {
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 180;
            while (true)
            {
                string text;
                lock (log) text = log.ToString();
                if (text.Contains("Application started", StringComparison.Ordinal)) break;
                if (silo.HasExited) throw new InvalidOperationException($"adamec-silo --backend {backend} exited ({silo.ExitCode}) before it started:\n{text}");
                if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"adamec-silo --backend {backend} did not start within 3 minutes:\n{text}");
                await Task.Delay(200, cancellationToken);
            }

            var options = new AdaMecClientOptions { DeviceId = "bench-phone", ClusterId = clusterId, Backend = ExecutionBackends.Onnx };
            options.Gateways.Add("127.0.0.1:" + gatewayPort.ToString(CultureInfo.InvariantCulture));
            RequestRunSummary summary;
            await using (var client = await AdaMecClient.ConnectAsync(options, cancellationToken: cancellationToken))
            {
                var run = new RequestRun(folder, 100_000, requests) { Pin = manifest.Atoms.Select(_ => device).ToArray() };
                summary = await RequestRunner.RunAsync(client, run, _ => { }, cancellationToken);
            }
            if (summary.Ok == 0) throw new InvalidOperationException($"no request succeeded through the silo on {backend}");
            if (summary.FinalAssignment.Any(d => d != device)) throw new InvalidOperationException($"the atoms did not all run on the silo: [{string.Join(",", summary.FinalAssignment)}]");
            var (peak, current) = ReadRss(silo.Id);
            return new SiloMemory(manifest.Model, backend, manifest.Atoms.Count, manifest.TotalWeightBytes, peak, current, summary.Ok, summary.MedianMs);
        }
        finally
        {
            if (!silo.HasExited) silo.Kill(entireProcessTree: true);
            await silo.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>VmHWM and VmRSS of a process, bytes.</summary>
    public static (long Peak, long Current) ReadRss(int pid)
    {
        long peak = 0, current = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line);
            else if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) current = Kilobytes(line);
        }
        return (peak, current);

        static long Kilobytes(string line) =>
            long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Machine() =>
        $"{RuntimeInformation.OSDescription.Trim()}, {RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} logical cores, .NET {Environment.Version}";

    public static string ToTable(BackendBenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# bench backends, {report.Date}, {report.Machine}");
        text.AppendLine("| model | atoms | threads | torch ms | onnx ms | onnx/torch |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var t in report.Timings)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {t.Model} | {t.Atoms} | {t.Threads} | {t.TorchMs:0.0} | {t.OnnxMs:0.0} | {t.OnnxOverTorch:0.00} |");
        if (report.Silos.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| model | weights MiB | silo backend | peak RSS MiB | RSS after MiB | requests | median ms |");
            text.AppendLine("| --- | ---: | --- | ---: | ---: | ---: | ---: |");
            foreach (var s in report.Silos)
                text.AppendLine(CultureInfo.InvariantCulture, $"| {s.Model} | {s.WeightBytes / 1048576.0:0.0} | {s.Backend} | {s.PeakRssBytes / 1048576.0:0} | {s.RssBytes / 1048576.0:0} | {s.Requests} | {s.MedianMs:0.0} |");
        }
        foreach (var note in report.Notes) text.AppendLine("- " + note);
        return text.ToString().TrimEnd();
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string ToJson(BackendBenchReport report) => JsonSerializer.Serialize(report, Json);
}
