using System.Text.Json;
using AdaMec.Core.Scenarios;
using AdaMec.Demo.Scenarios;
using AdaMec.Interfaces;

namespace AdaMec.Cli.Tests;

/// <summary>timeline.json has the field names issue 18 names; timeline.png is a real, non-trivial PNG.</summary>
public sealed class TimelineTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "adamec-timeline-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void ToJson_SmallTimeline_HasTheIssuesFieldNames()
    {
        using var json = JsonDocument.Parse(Small().ToJson());
        var root = json.RootElement;

        Assert.Equal(["testbed", "events", "requests", "plans"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("in-process", root.GetProperty("testbed").GetProperty("mode").GetString());
        var e = root.GetProperty("events")[0];
        Assert.Equal(["t", "kind"], e.EnumerateObject().Select(p => p.Name).Take(2));
        Assert.Equal("link", e.GetProperty("kind").GetString());
        Assert.Equal(5, e.GetProperty("mbps").GetDouble());
        var request = root.GetProperty("requests")[0];
        foreach (var name in new[] { "t", "ok", "latencyMs", "assignment" }) Assert.True(request.TryGetProperty(name, out _), $"requests[0].{name} missing");
        var plan = root.GetProperty("plans")[1];
        foreach (var name in new[] { "t", "trigger", "assignment", "decisionTimeMs", "bytesMoved", "timeToBenefitMs" }) Assert.True(plan.TryGetProperty(name, out _), $"plans[1].{name} missing");
        Assert.Equal(JsonValueKind.Null, root.GetProperty("plans")[0].GetProperty("timeToBenefitMs").ValueKind);
        Assert.Equal(840, plan.GetProperty("timeToBenefitMs").GetDouble());
        Assert.Equal(2.5, plan.GetProperty("t").GetDouble(), 6);
    }

    [Fact]
    public void FromJson_WhatToJsonWrote_ReadsTheSameTimeline()
    {
        var timeline = Small();

        var back = Timeline.FromJson(timeline.ToJson());

        Assert.Equal(timeline.ToJson(), back.ToJson());
        Assert.Equal(800, back.RequirementAt(0.5));
        Assert.Equal(600, back.RequirementAt(3));
    }

    [Fact]
    public void Save_SmallTimeline_WritesAPngWithSeveralColours()
    {
        var path = Path.Combine(_folder, "timeline.png");

        TimelinePlot.Save(Small(), path);

        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 10_000, $"only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        using var bitmap = SkiaSharp.SKBitmap.Decode(path);
        Assert.Equal(TimelinePlot.Width, bitmap.Width);
        Assert.Equal(TimelinePlot.Height, bitmap.Height);
        var colours = new HashSet<uint>();
        for (var y = 0; y < bitmap.Height; y += 7)
        {
            for (var x = 0; x < bitmap.Width; x += 7) colours.Add((uint)bitmap.GetPixel(x, y));
        }
        Assert.True(colours.Count > 8, $"{colours.Count} colours: a blank or nearly blank picture");
    }

    /// <summary>A hand-made timeline: a link drops at 2 s, the planner moves atoms off edge-b, the requirement tightens at 3 s.</summary>
    private static Timeline Small()
    {
        var start = DateTimeOffset.Parse("2026-12-04T18:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var testbed = new TimelineTestbed("in-process", "link", "alexnet", "dp", "phone", ["phone", "edge-b", "edge-c"], 800, 4, 0.1, 250, ["EMULATION: test"], start);
        var events = new List<TimelineEvent>
        {
            TimelineEvent.From(new LinkChanged(20, "phone", "edge-b", 5, null), 2.0, null),
            TimelineEvent.From(new RequirementChanged(30, 600), 3.0, null),
        };
        var requests = Enumerable.Range(1, 16).Select(i =>
        {
            var t = i * 0.25;
            string[] assignment = t < 2.5 ? ["phone", "edge-b", "edge-b", "edge-b"] : ["phone", "edge-c", "edge-c", "phone"];
            return i == 9 ? new TimelineRequest(t, false, 0, [], 0, "timeout") : new TimelineRequest(t, true, 300 + 40 * Math.Sin(i) + (t is > 2 and < 2.6 ? 400 : 0), assignment, t < 2.5 ? 2 : 3, null);
        }).ToList();
        PlanRecord Record(int sequence, double t, string trigger, string[] plan, double? benefit) =>
            new(sequence, start.AddSeconds(t), trigger, [], plan, "dp", true, 300, 12.5, 1000, 2_000_000, 2, true) { TimeToBenefitMs = benefit };
        var plans = new[]
        {
            TimelinePlan.From(Record(1, -1, "deploy", ["phone", "edge-b", "edge-b", "edge-b"], null), start),
            TimelinePlan.From(Record(2, 2.5, "link phone->edge-b", ["phone", "edge-c", "edge-c", "phone"], 840), start),
        };
        return new Timeline(testbed, events, requests, plans);
    }
}
