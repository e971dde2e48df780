using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdaMec.Core.Serialization;

namespace AdaMec.Core.Scenarios;

/// <summary>
/// Reads the scenario trace file (docs/traces.md). Every value is checked where it is read, then the
/// timeline is checked as a whole (time order, devices present when an event needs them); each error is a
/// <see cref="ScenarioTraceException"/> naming the field, and for an event its index (<c>events[3].device</c>).
/// Unknown fields are ignored so newer writers can add information.
/// </summary>
public static partial class ScenarioTraceJson
{
    /// <summary>Longest replay a trace may ask for: every replay stops by itself.</summary>
    public const double MaxDurationS = 3600;

    /// <summary>Most events one trace may hold.</summary>
    public const int MaxEvents = 10_000;

    private static readonly JsonFieldReader Fields = new((field, problem) => new ScenarioTraceException(field, problem));

    public static ScenarioTrace ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new ScenarioTraceException("$", $"trace file '{path}' does not exist");
        return Read(File.ReadAllText(path));
    }

    public static ScenarioTrace Read(string json)
    {
        using var document = Fields.ParseObject(json);
        var root = document.RootElement;
        var name = Fields.OptionalText(root, "name", "name") ?? "scenario";
        var description = Fields.OptionalText(root, "description", "description") ?? "";
        var duration = Fields.Number(root, "durationS", "durationS");
        if (!(duration > 0 && duration <= MaxDurationS)) throw Fields.Error("durationS", $"must be a number of seconds > 0 and <= {MaxDurationS}, got {Show(duration)}");
        var requirement = Positive(root, "requirementMs", "requirementMs");

        var devices = Fields.Array(root, "devices", "devices").Select(ReadDevice).ToList();
        CheckDevices(devices);
        var links = Fields.Array(root, "links", "links").Select((e, i) => ReadLink(e, i, devices)).ToList();

        var eventElements = Fields.Array(root, "events", "events");
        if (eventElements.Count > MaxEvents) throw Fields.Error("events", $"{eventElements.Count} events, over the limit of {MaxEvents}");
        var events = eventElements.Select((e, i) => ReadEvent(e, i, duration, devices, links)).ToList();
        var trace = new ScenarioTrace(name, description, duration, requirement, devices, links, events);
        new TimelineCheck(trace).Run();
        return trace;
    }

    private static TraceDevice ReadDevice(JsonElement element, int index)
    {
        var path = JsonFieldReader.Item("devices", index);
        Fields.RequireObject(element, path);
        var id = Fields.Text(element, "id", $"{path}.id");
        if (!DeviceId().IsMatch(id)) throw Fields.Error($"{path}.id", $"'{Short(id)}' is not a device id (1 to 32 letters, digits, '-', '_' or '.')");
        var cpus = Positive(element, "cpus", $"{path}.cpus");
        if (cpus > 1024) throw Fields.Error($"{path}.cpus", $"must be at most 1024 cores, got {Show(cpus)}");
        return new TraceDevice(
            id,
            Fields.OptionalBool(element, "initiator", $"{path}.initiator") ?? false,
            cpus,
            Positive(element, "memoryLimitMb", $"{path}.memoryLimitMb"),
            OptionalNonNegative(element, "memoryBudgetMb", $"{path}.memoryBudgetMb"),
            OptionalNonNegative(element, "computeBudgetMflops", $"{path}.computeBudgetMflops"),
            Fields.OptionalBool(element, "present", $"{path}.present") ?? true);
    }

    private static void CheckDevices(List<TraceDevice> devices)
    {
        if (devices.Count == 0) throw Fields.Error("devices", "empty: a scenario needs at least the initiator");
        for (var i = 0; i < devices.Count; i++)
        {
            if (devices.FindIndex(d => d.Id == devices[i].Id) != i)
                throw Fields.Error($"devices[{i}].id", $"'{devices[i].Id}' is listed twice");
        }

        var initiators = devices.Where(d => d.Initiator).ToList();
        if (initiators.Count != 1)
            throw Fields.Error("devices", $"exactly one device must have \"initiator\": true, found {initiators.Count}");
        if (!initiators[0].Present)
            throw Fields.Error($"devices[{devices.IndexOf(initiators[0])}].present", "the initiator is there from the start");
    }

    private static TraceLink ReadLink(JsonElement element, int index, List<TraceDevice> devices)
    {
        var path = JsonFieldReader.Item("links", index);
        Fields.RequireObject(element, path);
        var (a, b) = Ends(element, $"{path}.between", devices);
        var link = new TraceLink(a, b, Positive(element, "mbps", $"{path}.mbps"), OptionalNonNegative(element, "delayMs", $"{path}.delayMs") ?? 0);
        return link;
    }

    private static TraceEvent ReadEvent(JsonElement element, int index, double duration, List<TraceDevice> devices, List<TraceLink> links)
    {
        var path = JsonFieldReader.Item("events", index);
        Fields.RequireObject(element, path);
        var t = Fields.Number(element, "t", $"{path}.t");
        if (!(t >= 0 && t < duration)) throw Fields.Error($"{path}.t", $"must be seconds >= 0 and before durationS ({Show(duration)}), got {Show(t)}");
        var kind = Fields.Text(element, "kind", $"{path}.kind");
        string Device() => KnownDevice(element, $"{path}.device", devices);
        switch (kind)
        {
            case TraceEventKinds.Link:
                var (a, b) = Ends(element, $"{path}.between", devices);
                if (!links.Any(l => l.Joins(a, b))) throw Fields.Error($"{path}.between", $"no link joins {a} and {b} in \"links\"");
                var mbps = OptionalPositive(element, "mbps", $"{path}.mbps");
                var delay = OptionalNonNegative(element, "delayMs", $"{path}.delayMs");
                if (mbps is null && delay is null) throw Fields.Error(path, "a link event changes \"mbps\", \"delayMs\" or both");
                return new LinkChanged(t, a, b, mbps, delay);
            case TraceEventKinds.Requirement:
                return new RequirementChanged(t, Positive(element, "ms", $"{path}.ms"));
            case TraceEventKinds.MemoryLimit:
                return new MemoryLimitChanged(t, Device(), Positive(element, "mb", $"{path}.mb"));
            case TraceEventKinds.MemoryBudget:
                return new MemoryBudgetChanged(t, Device(), NonNegative(element, "mb", $"{path}.mb"));
            case TraceEventKinds.ComputeBudget:
                return new ComputeBudgetChanged(t, Device(), NonNegative(element, "mflops", $"{path}.mflops"));
            case TraceEventKinds.CpuQuota:
                var cpus = Positive(element, "cpus", $"{path}.cpus");
                if (cpus > 1024) throw Fields.Error($"{path}.cpus", $"must be at most 1024 cores, got {Show(cpus)}");
                return new CpuQuotaChanged(t, Device(), cpus);
            case TraceEventKinds.Join:
                return new DeviceJoined(t, Device());
            case TraceEventKinds.Leave:
                return new DeviceLeft(t, Device());
            case TraceEventKinds.Crash:
                return new DeviceCrashed(t, Device());
            case TraceEventKinds.Freeze:
                var forS = Positive(element, "forS", $"{path}.forS");
                if (t + forS > duration) throw Fields.Error($"{path}.forS", $"the device would still be frozen when the replay ends at {Show(duration)} s");
                return new DeviceFroze(t, Device(), forS);
            default:
                throw Fields.Error($"{path}.kind", $"unknown kind '{Short(kind)}'; known: {string.Join(", ", TraceEventKinds.All)}");
        }
    }

    private static (string A, string B) Ends(JsonElement element, string path, List<TraceDevice> devices)
    {
        var ends = Fields.Array(element, "between", path);
        if (ends.Count != 2) throw Fields.Error(path, "must list the two devices a link joins");
        var a = ends[0].ValueKind == JsonValueKind.String ? ends[0].GetString()! : throw Fields.Error($"{path}[0]", "must be a device id");
        var b = ends[1].ValueKind == JsonValueKind.String ? ends[1].GetString()! : throw Fields.Error($"{path}[1]", "must be a device id");
        if (!devices.Any(d => d.Id == a)) throw Fields.Error($"{path}[0]", $"unknown device '{Short(a)}'");
        if (!devices.Any(d => d.Id == b)) throw Fields.Error($"{path}[1]", $"unknown device '{Short(b)}'");
        if (a == b) throw Fields.Error(path, $"a link joins two different devices, got {a} twice");
        return (a, b);
    }

    private static string KnownDevice(JsonElement element, string path, List<TraceDevice> devices)
    {
        var id = Fields.Text(element, "device", path);
        return devices.Any(d => d.Id == id) ? id : throw Fields.Error(path, $"unknown device '{Short(id)}'; devices: {string.Join(", ", devices.Select(d => d.Id))}");
    }

    private static double Positive(JsonElement element, string name, string path) =>
        OptionalPositive(element, name, path) ?? throw Fields.Error(path, "missing");

    private static double? OptionalPositive(JsonElement element, string name, string path) =>
        Fields.OptionalNumber(element, name, path) switch
        {
            null => null,
            var v when double.IsFinite(v.Value) && v > 0 => v,
            var v => throw Fields.Error(path, $"must be a finite number > 0, got {Show(v.Value)}"),
        };

    private static double NonNegative(JsonElement element, string name, string path) =>
        OptionalNonNegative(element, name, path) ?? throw Fields.Error(path, "missing");

    private static double? OptionalNonNegative(JsonElement element, string name, string path) =>
        Fields.OptionalNumber(element, name, path) switch
        {
            null => null,
            var v when double.IsFinite(v.Value) && v >= 0 => v,
            var v => throw Fields.Error(path, $"must be a finite number >= 0, got {Show(v.Value)}"),
        };

    private static string Show(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string Short(string value) => value.Length > 64 ? value[..64] + "…" : value;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]
    private static partial Regex DeviceId();

    /// <summary>Walks the timeline: events in time order, each device there (and not frozen) when an event needs it.</summary>
    private sealed class TimelineCheck(ScenarioTrace trace)
    {
        private readonly HashSet<string> _present = trace.Devices.Where(d => d.Present).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        private readonly Dictionary<string, double> _frozenUntil = new(StringComparer.Ordinal);

        public void Run()
        {
            for (var i = 0; i < trace.Events.Count; i++)
            {
                var e = trace.Events[i];
                if (i > 0 && e.T < trace.Events[i - 1].T)
                    throw Fields.Error($"events[{i}].t", $"{Show(e.T)} s comes before the previous event's {Show(trace.Events[i - 1].T)} s: events are in time order");
                Apply(e, $"events[{i}]");
            }
        }

        private void Apply(TraceEvent e, string path)
        {
            switch (e)
            {
                case LinkChanged:
                case RequirementChanged:
                    return;
                case DeviceJoined joined:
                    if (!_present.Add(joined.Device)) throw Fields.Error($"{path}.device", $"{joined.Device} is already there at {Show(e.T)} s");
                    return;
                case MemoryLimitChanged { Device: var d }: Running(d, e.T, path); return;
                case MemoryBudgetChanged { Device: var d }: Running(d, e.T, path); return;
                case ComputeBudgetChanged { Device: var d }: Running(d, e.T, path); return;
                case CpuQuotaChanged { Device: var d }: Running(d, e.T, path); return;
                case DeviceLeft { Device: var d }: NotInitiator(d, path); Running(d, e.T, path); _present.Remove(d); return;
                case DeviceCrashed { Device: var d }: NotInitiator(d, path); Running(d, e.T, path); _present.Remove(d); return;
                case DeviceFroze froze:
                    NotInitiator(froze.Device, path);
                    Running(froze.Device, e.T, path);
                    _frozenUntil[froze.Device] = e.T + froze.ForS;
                    return;
                default:
                    throw new InvalidOperationException($"no timeline rule for {e.Kind}");
            }
        }

        private void Running(string device, double t, string path)
        {
            if (!_present.Contains(device)) throw Fields.Error($"{path}.device", $"{device} is not there at {Show(t)} s (it has not joined, or it left or crashed)");
            if (_frozenUntil.TryGetValue(device, out var until) && t < until)
                throw Fields.Error($"{path}.device", $"{device} is frozen until {Show(until)} s");
        }

        private void NotInitiator(string device, string path)
        {
            if (device == trace.Initiator.Id) throw Fields.Error($"{path}.device", $"{device} is the initiator: it sends the requests and stays for the whole replay");
        }
    }
}
