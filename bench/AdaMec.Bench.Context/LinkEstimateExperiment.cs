namespace AdaMec.Bench.Context;

/// <summary>
/// Section "links": the link estimator's error on a really shaped link (htb in a network namespace,
/// two real silo processes, `adamec cluster probe`), <see cref="ContextBenchSettings.Repeats"/>
/// probes per rate.
/// </summary>
internal sealed class LinkEstimateExperiment : IContextBenchExperiment
{
    public string Name => "links";

    public async Task<ContextBenchSection> RunAsync(ContextBenchSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        const string title = "link estimate error per shaped rate (real tc htb shaping, real silos, active probes)";
        string[] columns = ["shapedMbps", "probes", "meanMbps", "medianMbps", "minMbps", "maxMbps", "meanErrorPercent", "worstErrorPercent", "within15", "latencyMs", "samples", "probeSeconds"];
        if (ShapedNamespace.WhyNot() is { } why) return new ContextBenchSection(Name, title, columns, []) { Skipped = why };
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        using var experiment = await ShapedLinkExperiment.StartAsync(settings.SiloDll, settings.CliDll, settings.RatesMbps[0], settings.ProbeRounds, cancellationToken);
        log.WriteLine($"links: silos a and b up in namespace {experiment.Namespace}");
        foreach (var rate in settings.RatesMbps)
        {
            var readings = await experiment.MeasureAsync(rate, settings.Repeats, cancellationToken);
            foreach (var reading in readings)
                log.WriteLine($"links: shaped {rate} Mbps, estimated {reading.EstimatedMbps:0.00} Mbps ({reading.ErrorPercent:+0.0;-0.0}%), latency {reading.LatencyMs:0.00} ms");
            rows.Add(new Dictionary<string, object?>
            {
                ["shapedMbps"] = rate,
                ["probes"] = readings.Count,
                ["meanMbps"] = Math.Round(readings.Average(r => r.EstimatedMbps), 2),
                ["medianMbps"] = Math.Round(readings.Select(r => r.EstimatedMbps).Order().ElementAt(readings.Count / 2), 2),
                ["minMbps"] = Math.Round(readings.Min(r => r.EstimatedMbps), 2),
                ["maxMbps"] = Math.Round(readings.Max(r => r.EstimatedMbps), 2),
                ["meanErrorPercent"] = Math.Round(readings.Average(r => r.ErrorPercent), 1),
                ["worstErrorPercent"] = Math.Round(readings.Select(r => r.ErrorPercent).MaxBy(Math.Abs), 1),
                ["within15"] = $"{readings.Count(r => Math.Abs(r.ErrorPercent) <= 15)}/{readings.Count}",
                ["latencyMs"] = Math.Round(readings.Average(r => r.LatencyMs), 2),
                ["samples"] = readings[^1].Samples,
                ["probeSeconds"] = Math.Round(readings.Average(r => r.ProbeSeconds), 1),
            });
        }
        return new ContextBenchSection(Name, title, columns, rows)
        {
            Notes =
            [
                "Not emulation: htb really limits the bytes between the two silo ports (both directions, one class each) in a network namespace whose loopback segments at 1500 bytes.",
                $"Each probe: {settings.ProbeRounds} rounds (Links:ProbeRounds) of a 32 KiB and a large payload (sized to ~150 ms at the estimate so far), fitted by Theil-Sen; it replaces the previous probe's samples.",
                "The estimate is payload goodput: htb also counts TCP/IP headers and Orleans framing, so it reads a few percent under the shaped rate.",
                "probeSeconds: per probe, with the adamec client process's start-up shared among the probes of a rate.",
            ],
        };
    }
}
