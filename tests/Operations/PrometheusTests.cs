using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AdaMec.Grains;

namespace AdaMec.Operations.Tests;

/// <summary>A real Prometheus server (Debian's `prometheus`) scraping a silo's /metrics; skipped where it is not installed.</summary>
[Collection(OperationsClusterDefinition.Name)]
public sealed class PrometheusTests(OperationsCluster fixture) : IDisposable
{
    private const string Binary = "/usr/bin/prometheus";
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _dir = Directory.CreateTempSubdirectory("adamec-prometheus-").FullName;

    [SkippableFact]
    public async Task Prometheus_ScrapingASilo_QueriesNonZeroAtomForwards()
    {
        Skip.IfNot(File.Exists(Binary), $"{Binary} is not installed (apt-get install prometheus): the real-server scrape is not checked here");
        for (var i = 0; i < 3; i++) await fixture.Deployment.InferAsync(fixture.Input);
        var target = fixture.Http["edge2"];
        var config = Path.Combine(_dir, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: adamec
                static_configs:
                  - targets: ['{target.Authority}']
            """);
        var port = LoopbackPorts.Free();
        var start = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(_dir, "data")}", $"--web.listen-address=127.0.0.1:{port}" })
            start.ArgumentList.Add(arg);
        using var prometheus = Process.Start(start)!;
        prometheus.ErrorDataReceived += (_, _) => { };
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();
        try
        {
            var query = new Uri($"http://127.0.0.1:{port}/api/v1/query?query=" + Uri.EscapeDataString("sum by (adamec_device) (adamec_atom_forward_duration_milliseconds_count)"));
            var deadline = Stopwatch.GetTimestamp() + 30 * Stopwatch.Frequency;
            Dictionary<string, double> byDevice = [];
            while (Stopwatch.GetTimestamp() < deadline && !OperationsCluster.Devices.All(d => byDevice.GetValueOrDefault(d) > 0))
            {
                await Task.Delay(500);
                Assert.False(prometheus.HasExited, "prometheus exited");
                try
                {
                    using var answer = JsonDocument.Parse(await _http.GetStringAsync(query));
                    byDevice = answer.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().ToDictionary(
                        r => r.GetProperty("metric").TryGetProperty("adamec_device", out var d) ? d.GetString()! : "",
                        r => double.Parse(r.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture));
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }
            }
            Assert.All(OperationsCluster.Devices, d => Assert.True(byDevice.GetValueOrDefault(d) > 0, $"{d}: {string.Join(", ", byDevice)}"));
        }
        finally
        {
            prometheus.Kill();
            await prometheus.WaitForExitAsync();
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
