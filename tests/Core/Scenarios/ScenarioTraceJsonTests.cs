using System.Text.Json.Nodes;
using AdaMec.Core.Planning;
using AdaMec.Core.Scenarios;

namespace AdaMec.Core.Tests.Scenarios;

public sealed class ScenarioTraceJsonTests
{
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "scenarios");

    private static string Text(string name) => File.ReadAllText(Path.Combine(Shipped, name + ".json"));

    [Fact]
    public void ShippedTraces_OnePerKindOfEvent_EachReadsAndHoldsOnlyItsKind()
    {
        var singles = Directory.GetFiles(Shipped, "*.json").Where(f => Path.GetFileName(f) != "table4-day.json").ToList();
        var kinds = new List<string>();
        foreach (var file in singles)
        {
            var trace = ScenarioTraceJson.ReadFile(file);
            var kindsHere = trace.Events.Select(e => e.Kind).Distinct().ToList();
            Assert.True(kindsHere.Count == 1, $"{Path.GetFileName(file)} holds {string.Join(", ", kindsHere)}");
            kinds.Add(kindsHere[0]);
        }

        Assert.Equal(TraceEventKinds.All.Order(), kinds.Order());
    }

    [Fact]
    public void Table4Day_EachContextHeldFor20s_MatchesThePapersTable()
    {
        var trace = ScenarioTraceJson.Read(Text("table4-day"));
        var devices = new Dictionary<string, string> { [PaperContexts.DeviceA] = "phone", [PaperContexts.DeviceB] = "edge-b", [PaperContexts.DeviceC] = "edge-c" };
        Assert.Equal(120, trace.DurationS);
        for (var i = 0; i < PaperContexts.Table4.Count; i++)
        {
            var paper = PaperContexts.Table4[i];
            var context = ScenarioContext.At(trace, 20 * i);
            Assert.Equal(paper.LatencyRequirementMs / 10, context.RequirementMs);
            Assert.Equal(paper.Devices.Select(d => devices[d]).Order(), context.Present.Order());
            Assert.All(context.Links, l => Assert.Equal(paper.BandwidthMbps, l.Mbps));
            Assert.Equal(paper.MemoryBudgetBytes / 1e6, context.Device("edge-b").MemoryBudgetMb);
            Assert.Equal(paper.ComputeBudgetFlops / 1e6, context.Device("edge-b").ComputeBudgetMflops);
        }
    }

    [Fact]
    public void Context_FreezeCrashAndDelay_AppliedOnlyFromTheirTime()
    {
        var trace = ScenarioTraceJson.Read(Trace(events:
        [
            Event(2, "link", ("between", new JsonArray("phone", "edge-b")), ("delayMs", 7)),
            Event(3, "freeze", ("device", "edge-b"), ("forS", 4)),
            Event(8, "crash", ("device", "edge-b")),
        ]));

        Assert.Equal((40.0, 0.0), (ScenarioContext.At(trace, 1.9).Link("phone", "edge-b").Mbps, ScenarioContext.At(trace, 1.9).Link("edge-b", "phone").DelayMs));
        Assert.Equal((40.0, 7.0), (ScenarioContext.At(trace, 2).Link("phone", "edge-b").Mbps, ScenarioContext.At(trace, 2).Link("phone", "edge-b").DelayMs));
        Assert.Contains("edge-b", ScenarioContext.At(trace, 5).Frozen);
        Assert.DoesNotContain("edge-b", ScenarioContext.At(trace, 7).Frozen);
        Assert.Contains("edge-b", ScenarioContext.At(trace, 7.9).Present);
        Assert.DoesNotContain("edge-b", ScenarioContext.At(trace, 8).Present);
    }

    public static TheoryData<string, string, string> Invalid => new()
    {
        { "not JSON", "{", "$: not valid JSON" },
        { "no duration", Trace(duration: null), "durationS: missing" },
        { "endless replay", Trace(duration: 1e6), "durationS: must be a number of seconds > 0 and <= 3600" },
        { "negative rate", Trace(events: [Event(1, "link", ("between", new JsonArray("phone", "edge-b")), ("mbps", -1))]), "events[0].mbps: must be a finite number > 0, got -1" },
        { "NaN as a string", Trace(events: [Event(1, "requirement", ("ms", "NaN"))]), "events[0].ms: must be a finite number" },
        { "unknown kind", Trace(events: [Event(1, "earthquake")]), "events[0].kind: unknown kind 'earthquake'" },
        { "out of order", Trace(events: [Event(5, "requirement", ("ms", 100)), Event(4, "requirement", ("ms", 200))]), "events[1].t: 4 s comes before the previous event's 5 s" },
        { "after the end", Trace(events: [Event(30, "requirement", ("ms", 100))]), "events[0].t: must be seconds >= 0 and before durationS (20)" },
        { "unknown device", Trace(events: [Event(1, "cpuQuota", ("device", "edge-z"), ("cpus", 1))]), "events[0].device: unknown device 'edge-z'" },
        { "no such link", Trace(events: [Event(1, "link", ("between", new JsonArray("phone", "edge-c")), ("mbps", 5))]), "events[0].between: no link joins phone and edge-c" },
        { "link event changing nothing", Trace(events: [Event(1, "link", ("between", new JsonArray("phone", "edge-b")))]), "events[0]: a link event changes" },
        { "initiator crashes", Trace(events: [Event(1, "crash", ("device", "phone"))]), "events[0].device: phone is the initiator" },
        { "absent device leaves", Trace(events: [Event(1, "leave", ("device", "edge-c"))]), "events[0].device: edge-c is not there at 1 s" },
        { "present device joins", Trace(events: [Event(1, "join", ("device", "edge-b"))]), "events[0].device: edge-b is already there at 1 s" },
        { "frozen device changes", Trace(events: [Event(1, "freeze", ("device", "edge-b"), ("forS", 5)), Event(2, "memoryLimit", ("device", "edge-b"), ("mb", 100))]), "events[1].device: edge-b is frozen until 6 s" },
        { "frozen at the end", Trace(events: [Event(15, "freeze", ("device", "edge-b"), ("forS", 10))]), "events[0].forS: the device would still be frozen" },
        { "negative budget", Trace(events: [Event(1, "memoryBudget", ("device", "edge-b"), ("mb", -3))]), "events[0].mb: must be a finite number >= 0, got -3" },
        { "two initiators", Trace(devices: [Device("phone", initiator: true), Device("edge-b", initiator: true)]), "devices: exactly one device must have \"initiator\": true, found 2" },
        { "device twice", Trace(devices: [Device("phone", initiator: true), Device("phone")]), "devices[1].id: 'phone' is listed twice" },
        { "bad id", Trace(devices: [Device("phone", initiator: true), Device("edge b")]), "devices[1].id: 'edge b' is not a device id" },
        { "zero cpus", Trace(devices: [Device("phone", initiator: true, cpus: 0)]), "devices[0].cpus: must be a finite number > 0, got 0" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Read_InvalidTrace_ErrorNamesTheFieldAndTheEventIndex(string problem, string json, string expected)
    {
        var error = Assert.Throws<ScenarioTraceException>(() => ScenarioTraceJson.Read(json));
        Assert.True(error.Message.StartsWith(expected, StringComparison.Ordinal), $"{problem}: got '{error.Message}'");
        Assert.Equal(expected.Split(':')[0], error.Field);
    }

    [Fact]
    public void ReadFile_Missing_ErrorNamesThePath()
    {
        var error = Assert.Throws<ScenarioTraceException>(() => ScenarioTraceJson.ReadFile("/nonexistent/day.json"));
        Assert.Contains("/nonexistent/day.json", error.Message, StringComparison.Ordinal);
    }

    private static JsonObject Device(string id, bool initiator = false, bool present = true, double cpus = 1)
    {
        var device = new JsonObject { ["id"] = id, ["cpus"] = cpus, ["memoryLimitMb"] = 1024 };
        if (initiator) device["initiator"] = true;
        if (!present) device["present"] = false;
        return device;
    }

    private static JsonObject Event(double t, string kind, params (string Name, JsonNode? Value)[] fields)
    {
        var e = new JsonObject { ["t"] = t, ["kind"] = kind };
        foreach (var (name, value) in fields) e[name] = value;
        return e;
    }

    /// <summary>A valid trace (phone, edge-b, an absent edge-c; one phone–edge-b link) with the given parts replaced.</summary>
    private static string Trace(double? duration = 20, JsonObject[]? devices = null, JsonObject[]? events = null)
    {
        var trace = new JsonObject
        {
            ["name"] = "test",
            ["requirementMs"] = 500,
            ["devices"] = new JsonArray((devices ?? [Device("phone", initiator: true), Device("edge-b"), Device("edge-c", present: false)]).Cast<JsonNode>().ToArray()),
            ["links"] = new JsonArray(new JsonObject { ["between"] = new JsonArray("phone", "edge-b"), ["mbps"] = 40 }),
            ["events"] = new JsonArray((events ?? []).Cast<JsonNode>().ToArray()),
        };
        if (duration is { } d) trace["durationS"] = d;
        return trace.ToJsonString();
    }
}
