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
/// Orleans transport, fitted by the estimator, must land within ±15% of what the link can carry.
/// A probe's bytes are serialized, sent and deserialized one after the other, so the machine's own
/// per-byte cost (its unshaped ceiling, measured in the same run) adds to the link's: the rate the
/// estimator should read is 1/(1/rate + 1/ceiling), which on a fast machine is the shaped rate
/// itself. A rate the machine cannot carry three times over unshaped is reported as not checked
/// (the probe would measure the CPU), never silently passed.
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
            // The machine's own ceiling first, the median of three like the shaped readings.
            var ceilings = await experiment.MeasureAsync(Unshaped, ProbesPerRate);
            var ceiling = Median(ceilings);
            output.WriteLine($"unshaped, this machine moves {Format(ceilings)}; median {ceiling:0.0} Mbps");
            foreach (var rate in Rates)
            {
                // The median of three probes: on a shared two-core machine one probe can meet a pause.
                var readings = await experiment.MeasureAsync(rate, ProbesPerRate);
                var median = Median(readings);
                var expected = 1 / (1 / rate + 1 / ceiling);
                output.WriteLine($"shaped {rate} Mbps: estimates {Format(readings)}; median {median:0.00} ({Percent(median, rate)} of the rate, {Percent(median, expected)} of {expected:0.00}, the rate after the machine's own cost)");
                Assert.All(readings, r => Assert.Equal("measured", r.Source));
                if (ceiling < CeilingFactor * rate)
                    output.WriteLine($"  NOT CHECKED at {rate} Mbps: the machine's own ceiling ({ceiling:0.0} Mbps) is under {CeilingFactor}x the rate, so a probe measures the CPU, not the link");
                else if (Math.Abs(median / expected - 1) > 0.15)
                    failures.Add($"{rate} Mbps read {median:0.00}, expected {expected:0.00} (unshaped {ceiling:0.0})");
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
        Assert.True(failures.Count == 0, "estimates beyond ±15% of what the shaped link carries on this machine: " + string.Join("; ", failures));
    }

    private static double Median(IReadOnlyList<ShapedLinkReading> readings) =>
        readings.Select(r => r.EstimatedMbps).Order().ElementAt(readings.Count / 2);

    private static string Format(IEnumerable<ShapedLinkReading> readings) =>
        string.Join(", ", readings.Select(r => r.EstimatedMbps.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)));

    private static string Percent(double value, double of) => $"{(value / of - 1) * 100:+0.0;-0.0}%";
}
