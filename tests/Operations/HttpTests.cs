using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AdaMec.Operations.Tests;

/// <summary>HTTP on a silo: the operator page's JSON from any silo, Prometheus metrics, health, the Orleans dashboard.</summary>
[Collection(OperationsClusterDefinition.Name)]
public sealed partial class HttpTests(OperationsCluster fixture) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Metrics_AfterRequests_NonZeroAdaMecSeriesOnEverySilo()
    {
        for (var i = 0; i < 3; i++) await fixture.Deployment.InferAsync(fixture.Input);
        foreach (var device in OperationsCluster.Devices)
        {
            var text = await _http.GetStringAsync(new Uri(fixture.Http[device], "metrics"));
            // Silos of this test share one process, so each one's exposition carries every silo's series: pick this device's.
            var forwards = Series(text, "adamec_atom_forward_duration_milliseconds_count", device);
            Assert.True(forwards > 0, $"{device}: no atom forwards in\n{text[..Math.Min(text.Length, 2000)]}");
            Assert.True(Series(text, "adamec_device_memory_available_bytes", device) > 0, device);
            Assert.Contains("orleans_", text, StringComparison.Ordinal); // Orleans' own meter
        }
        var edge1 = await _http.GetStringAsync(new Uri(fixture.Http["edge1"], "metrics"));
        Assert.True(Series(edge1, "adamec_tensor_sent_bytes_total", "edge1", "adamec_from") > 0);
    }

    [Fact]
    public async Task Status_AnySilo_DevicesLivePlanAndMeasuredLatency()
    {
        for (var i = 0; i < 3; i++) await fixture.Deployment.InferAsync(fixture.Input);
        await Task.Delay(1100); // the client reports latency at most once a second, on a request
        await fixture.Deployment.InferAsync(fixture.Input);
        foreach (var device in OperationsCluster.Devices)
        {
            using var status = JsonDocument.Parse(await _http.GetStringAsync(new Uri(fixture.Http[device], "api/status")));
            var root = status.RootElement;
            Assert.Equal(device, root.GetProperty("device").GetString());
            Assert.Equal(OperationsCluster.Devices, root.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
            Assert.All(root.GetProperty("devices").EnumerateArray(), d => Assert.True(d.GetProperty("availableMemoryBytes").GetInt64() > 0));
            var deployment = root.GetProperty("deployments").EnumerateArray().Single(d => d.GetProperty("id").GetString() == fixture.Deployment.Id);
            Assert.Equal(fixture.Pin, deployment.GetProperty("live").EnumerateArray().Select(a => a.GetString()));
            Assert.Equal("phone", deployment.GetProperty("initiator").GetString());
            Assert.NotEmpty(deployment.GetProperty("history").EnumerateArray());
            var latency = deployment.GetProperty("latency").EnumerateArray().ToArray();
            Assert.NotEmpty(latency);
            Assert.True(latency[^1].GetProperty("medianMs").GetDouble() > 0);
            Assert.Contains(root.GetProperty("links").EnumerateArray(), l => l.GetProperty("from").GetString() == "phone" && l.GetProperty("to").GetString() == "edge1");
        }
    }

    [Fact]
    public async Task Healthz_ActiveSilo_OkWithDevice()
    {
        using var response = await _http.GetAsync(new Uri(fixture.Http["edge2"], "healthz"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("active", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("edge2", body.RootElement.GetProperty("device").GetString());
    }

    [Fact]
    public async Task Dashboard_AndOperatorPage_ServedAsHtml()
    {
        var dashboard = await _http.GetStringAsync(new Uri(fixture.Http["edge3"], "dashboard/"));
        Assert.Contains("<html", dashboard, StringComparison.OrdinalIgnoreCase);
        var page = await _http.GetStringAsync(fixture.Http["edge3"]);
        Assert.Contains("AdaMec operator", page, StringComparison.Ordinal);
    }

    /// <summary>The sum of a metric's samples whose <paramref name="label"/> is <paramref name="device"/>.</summary>
    internal static double Series(string exposition, string metric, string device, string label = "adamec_device") =>
        SampleLine().Matches(exposition)
            .Where(m => m.Groups["name"].Value == metric && m.Groups["labels"].Value.Contains($"{label}=\"{device}\"", StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\} (?<value>[-+0-9.eE]+|NaN)", RegexOptions.Multiline)]
    private static partial Regex SampleLine();

    public void Dispose() => _http.Dispose();
}
