using System.Text.Json;
using AdaMec.Bench.Context;
using Xunit.Abstractions;

namespace AdaMec.Cli.Tests;

/// <summary>Skips, saying why, only where links cannot be shaped (not root, no tc or ip netns).</summary>
public sealed class ShapedLinkFactAttribute : FactAttribute
{
    public ShapedLinkFactAttribute()
    {
        if (ShapedNamespace.WhyNot() is { } why) Skip = why;
    }
}

/// <summary>
/// Two real adamec-silo processes on a link really shaped by tc (htb in a network namespace of its
/// own, which the experiment deletes whatever happens): the link grain's active probe over the real
/// Orleans transport, fitted by the estimator, must land within ±15% of the shaped rate. A rate the
/// loaded machine cannot carry three times over unshaped is reported as not checked (the probe would
/// measure the CPU), never silently passed.
/// </summary>
public sealed class ShapedLinkTests(ITestOutputHelper output)
{
    private const int ProbesPerRate = 3;
    private static readonly double[] Rates = [100, 20, 5];
    private const double Unshaped = 10_000;
    private const double CeilingFactor = 3;

    [ShapedLinkFact]
    public async Task Estimate_ReallyShapedLink_WithinFifteenPercentAt5And20And100Mbps()
    {
        var silo = Path.Combine(AppContext.BaseDirectory, "adamec-silo.dll");
        var cli = Path.Combine(AppContext.BaseDirectory, "adamec.dll");
        using var experiment = await ShapedLinkExperiment.StartAsync(silo, cli, Rates[0], probeRounds: 4);
        var failures = new List<string>();
        try
        {
            foreach (var rate in Rates)
            {
                // The median of three probes: on a shared two-core machine one probe can meet a pause.
                var readings = await experiment.MeasureAsync(rate, ProbesPerRate);
                var median = readings.Select(r => r.EstimatedMbps).Order().ElementAt(readings.Count / 2);
                output.WriteLine($"shaped {rate} Mbps: estimates {string.Join(", ", readings.Select(r => r.EstimatedMbps.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)))}; median {median:0.00} ({(median / rate - 1) * 100:+0.0;-0.0}%)");
                Assert.All(readings, r => Assert.Equal("measured", r.Source));
                if (Math.Abs(median / rate - 1) <= 0.15) continue;
                // The machine itself (CPU shared with everything else) may not move much more than the
                // rate: then the probe measures the machine, not the link. Only then is a miss excused.
                var ceiling = (await experiment.MeasureAsync(Unshaped, 1))[0].EstimatedMbps;
                output.WriteLine($"  unshaped, this machine moves {ceiling:0.0} Mbps now");
                if (ceiling >= CeilingFactor * rate) failures.Add($"{rate} Mbps read {median:0.00} (unshaped {ceiling:0.0})");
                else output.WriteLine($"  NOT CHECKED at {rate} Mbps: the machine's own ceiling ({ceiling:0.0} Mbps) is under {CeilingFactor}x the rate, so a probe measures the CPU, not the link");
            }

            using var status = JsonDocument.Parse(await experiment.StatusJsonAsync());
            var link = status.RootElement.GetProperty("links").EnumerateArray()
                .Single(l => l.GetProperty("from").GetString() == "a" && l.GetProperty("to").GetString() == "b");
            Assert.Equal("measured", link.GetProperty("source").GetString());
            Assert.True(link.GetProperty("samples").GetInt32() >= 2);
            Assert.True(link.GetProperty("mbps").GetDouble() > 0);
            Assert.True(link.GetProperty("latencyMs").GetDouble() >= 0);
            Assert.True(link.GetProperty("ageS").GetDouble() >= 0);
        }
        catch
        {
            output.WriteLine(experiment.Logs());
            throw;
        }
        Assert.True(failures.Count == 0, "estimates beyond ±15% of the shaped rate: " + string.Join("; ", failures));
    }
}
