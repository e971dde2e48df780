using ScottPlot;

namespace AdaMec.Demo.Scenarios;

/// <summary>
/// timeline.png, drawn like the paper's Fig. 12: above, the response latency of every request over time with
/// the latency requirement as a step line and a marker at each event; below, how many atoms each device ran
/// for each request. Failed requests are red crosses on the time axis. Headless (ScottPlot on SkiaSharp).
/// </summary>
public static class TimelinePlot
{
    /// <summary>Width of the image, pixels.</summary>
    public const int Width = 1400;

    /// <summary>Height of the image, pixels.</summary>
    public const int Height = 900;

    /// <summary>Draws <paramref name="timeline"/> to the PNG file <paramref name="path"/>.</summary>
    public static void Save(Timeline timeline, string path)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        var latency = multiplot.GetPlot(0);
        var atoms = multiplot.GetPlot(1);
        var end = Math.Max(timeline.Testbed.DurationS, timeline.Requests.Select(r => r.T).DefaultIfEmpty(0).Max());

        DrawLatency(latency, timeline, end);
        DrawAtoms(atoms, timeline);
        foreach (var plot in new[] { latency, atoms })
        {
            DrawEvents(plot, timeline, labelled: plot == latency);
            plot.Axes.SetLimitsX(0, end);
            plot.ShowLegend(Alignment.UpperRight);
            // The same margins on both, so their time axes line up (the paper's figure reads down a column).
            plot.Layout.Fixed(new PixelPadding(80, 30, 50, 40));
        }
        latency.Title($"{timeline.Testbed.Trace} on {timeline.Testbed.Model}, {timeline.Testbed.Strategy} ({timeline.Testbed.Mode}{(timeline.Testbed.Mode == "in-process" ? ": EMULATION" : "")})");
        latency.YLabel("response latency (ms)");
        atoms.YLabel("atoms per device");
        atoms.XLabel("time (s)");
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        multiplot.SavePng(path, Width, Height);
    }

    private static void DrawLatency(Plot plot, Timeline timeline, double end)
    {
        var ok = timeline.Requests.Where(r => r.Ok).ToList();
        if (ok.Count > 0)
        {
            var served = plot.Add.Scatter(ok.Select(r => r.T).ToArray(), ok.Select(r => r.LatencyMs).ToArray());
            served.LineWidth = 0;
            served.MarkerSize = 4;
            served.LegendText = "request latency";
        }
        var failed = timeline.Requests.Where(r => !r.Ok).ToList();
        if (failed.Count > 0)
        {
            var lost = plot.Add.Scatter(failed.Select(r => r.T).ToArray(), failed.Select(_ => 0.0).ToArray());
            lost.LineWidth = 0;
            lost.MarkerShape = MarkerShape.Eks;
            lost.MarkerSize = 8;
            lost.Color = Colors.Red;
            lost.LegendText = "failed request";
        }

        // The requirement as a step line: the start's value, then each requirement event's.
        var steps = new List<(double T, double Ms)> { (0, timeline.Testbed.RequirementMs) };
        steps.AddRange(timeline.Events.Where(e => e.Ms is not null).Select(e => (e.T, e.Ms!.Value)));
        steps.Add((end, steps[^1].Ms));
        var requirement = plot.Add.Scatter(steps.Select(s => s.T).ToArray(), steps.Select(s => s.Ms).ToArray());
        requirement.ConnectStyle = ConnectStyle.StepHorizontal;
        requirement.MarkerSize = 0;
        requirement.LineWidth = 2;
        requirement.LinePattern = LinePattern.Dashed;
        requirement.Color = Colors.DarkOrange;
        requirement.LegendText = "latency requirement";
        plot.Axes.SetLimitsY(0, Math.Max(steps.Max(s => s.Ms), ok.Select(r => r.LatencyMs).DefaultIfEmpty(0).Max()) * 1.15);
    }

    private static void DrawAtoms(Plot plot, Timeline timeline)
    {
        var served = timeline.Requests.Where(r => r.Ok && r.Assignment.Count > 0).ToList();
        var devices = timeline.Testbed.Devices.Where(d => served.Any(r => r.Assignment.Contains(d))).ToList();
        foreach (var device in devices)
        {
            var line = plot.Add.Scatter(served.Select(r => r.T).ToArray(), served.Select(r => (double)r.Assignment.Count(a => a == device)).ToArray());
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LegendText = device;
        }
        var most = served.Select(r => r.Assignment.Count).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimitsY(-0.5, most + 0.5);
    }

    /// <summary>
    /// A vertical line per moment something happened (events less than a second apart share one); on the
    /// latency plot a short label per event, one per line, at the top left of the line, so neighbours 20 s
    /// apart do not run into each other.
    /// </summary>
    private static void DrawEvents(Plot plot, Timeline timeline, bool labelled)
    {
        var moments = new List<List<TimelineEvent>>();
        foreach (var e in timeline.Events.OrderBy(e => e.T))
        {
            if (moments.Count > 0 && e.T - moments[^1][0].T < 1) moments[^1].Add(e);
            else moments.Add([e]);
        }
        var top = plot.Axes.GetLimits().Top;
        foreach (var moment in moments)
        {
            var x = moment[0].T;
            var line = plot.Add.VerticalLine(x);
            line.Color = Colors.Gray.WithAlpha(0.6);
            line.LinePattern = LinePattern.Dotted;
            line.LineWidth = 1;
            if (!labelled) continue;
            var text = plot.Add.Text(string.Join("\n", moment.Select(Short).Distinct()), x, top);
            text.LabelFontSize = 10;
            text.LabelAlignment = Alignment.UpperLeft;
        }
    }

    private static string Short(TimelineEvent e) => e.Kind switch
    {
        "link" => e.Mbps is { } mbps ? $"{mbps:0.#} Mbps" : $"{e.DelayMs:0.#} ms delay",
        "requirement" => $"req. {e.Ms:0} ms",
        "memoryBudget" => $"{e.Device} mem {e.Mb:0} MB",
        "memoryLimit" => $"{e.Device} limit {e.Mb:0} MB",
        "computeBudget" => $"{e.Device} {e.Mflops:0} MFLOPs",
        "cpuQuota" => $"{e.Device} {e.Cpus:0.##} CPU",
        "join" => $"+{e.Device}",
        "leave" => $"-{e.Device}",
        _ => e.Detail,
    };
}
