using System.Text;
using System.Text.Json;
using AdaMec.Core.Serialization;

namespace AdaMec.Core.Planning;

/// <summary>
/// Reads and writes the planning problem file (docs/planning-file.md). Reading walks the document by hand
/// rather than deserialising, so that every error names the JSON path of the offending value.
/// Unknown fields are ignored so newer writers can add information older planners do not use.
/// </summary>
public static class PlanningProblemJson
{
    // Every planning number is a time, a size, a rate or a budget: none is negative.
    private static readonly JsonFieldReader Fields = new((field, problem) => new PlanningProblemException(field, problem), "must be a finite number >= 0");

    /// <summary>Largest planning file read, bytes: a 250-atom, 16-device problem is well under 1 MB.</summary>
    public const long MaxFileBytes = 64L << 20;

    public static PlanningProblem ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes) throw new PlanningProblemException("$", $"{path} is {length:N0} bytes, over the {MaxFileBytes:N0}-byte limit for a planning file");
        return Read(File.ReadAllText(path));
    }

    public static PlanningProblem Read(string json)
    {
        using (var document = Fields.ParseObject(json))
        {
            var root = document.RootElement;
            var inputBytes = ReadNumber(root, "inputBytes", "inputBytes");
            var requirement = ReadNumber(root, "latencyRequirementMs", "latencyRequirementMs");
            var devices = ReadArray(root, "devices", "devices").Select(ReadDevice).ToList();
            var links = ReadArray(root, "links", "links").Select(ReadLink).ToList();
            var atoms = ReadArray(root, "atoms", "atoms").Select(ReadAtom).ToList();
            Dictionary<string, string>? current = null;
            if (root.TryGetProperty("current", out var currentElement) && currentElement.ValueKind != JsonValueKind.Null)
            {
                if (currentElement.ValueKind != JsonValueKind.Object)
                    throw new PlanningProblemException("current", "must be an object mapping atom ids to device ids");
                current = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var entry in currentElement.EnumerateObject())
                {
                    if (entry.Value.ValueKind != JsonValueKind.String)
                        throw new PlanningProblemException($"current.{entry.Name}", "must be a device id string");
                    if (!current.TryAdd(entry.Name, entry.Value.GetString()!))
                        throw new PlanningProblemException($"current.{entry.Name}", "listed twice");
                }
            }

            return PlanningProblem.Create(inputBytes, requirement, devices, links, atoms, current);
        }
    }

    /// <summary>Writes a problem in the file format <see cref="Read"/> accepts (round-trips).</summary>
    public static string Write(PlanningProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("inputBytes", problem.InputBytes);
            writer.WriteNumber("latencyRequirementMs", problem.LatencyRequirementMs);
            writer.WriteStartArray("devices");
            foreach (var device in problem.Devices)
            {
                writer.WriteStartObject();
                writer.WriteString("id", device.Id);
                if (device.IsInitiator) writer.WriteBoolean("initiator", true);
                if (device.MemoryBudgetBytes is { } memory) writer.WriteNumber("memoryBudgetBytes", memory);
                if (device.ComputeBudgetFlops is { } compute) writer.WriteNumber("computeBudgetFlops", compute);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("links");
            foreach (var link in problem.Links)
            {
                writer.WriteStartObject();
                writer.WriteString("from", link.From);
                writer.WriteString("to", link.To);
                writer.WriteNumber("mbps", link.Mbps);
                writer.WriteNumber("latencyMs", link.LatencyMs);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("atoms");
            foreach (var atom in problem.Atoms)
            {
                writer.WriteStartObject();
                writer.WriteString("id", atom.Id);
                writer.WriteNumber("flops", atom.Flops);
                writer.WriteNumber("weightBytes", atom.WeightBytes);
                writer.WriteNumber("memoryBytes", atom.MemoryBytes);
                writer.WriteNumber("outputBytes", atom.OutputBytes);
                writer.WriteStartObject("latencyMs");
                foreach (var device in problem.Devices)
                {
                    writer.WriteNumber(device.Id, atom.LatencyMs[device.Id]);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartObject("current");
            for (var i = 0; i < problem.Atoms.Count; i++)
            {
                writer.WriteString(problem.Atoms[i].Id, problem.Devices[problem.Current[i]].Id);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static PlanningDevice ReadDevice(JsonElement element, int index)
    {
        var path = Path("devices", index);
        RequireObject(element, path);
        var initiator = Fields.OptionalBool(element, "initiator", $"{path}.initiator") ?? false;

        return new PlanningDevice(
            ReadString(element, "id", $"{path}.id"),
            initiator,
            OptionalNumber(element, "memoryBudgetBytes", $"{path}.memoryBudgetBytes"),
            OptionalNumber(element, "computeBudgetFlops", $"{path}.computeBudgetFlops"));
    }

    private static PlanningLink ReadLink(JsonElement element, int index)
    {
        var path = Path("links", index);
        RequireObject(element, path);
        return new PlanningLink(
            ReadString(element, "from", $"{path}.from"),
            ReadString(element, "to", $"{path}.to"),
            ReadNumber(element, "mbps", $"{path}.mbps"),
            ReadNumber(element, "latencyMs", $"{path}.latencyMs"));
    }

    private static PlanningAtom ReadAtom(JsonElement element, int index)
    {
        var path = Path("atoms", index);
        RequireObject(element, path);
        if (!element.TryGetProperty("latencyMs", out var latencies) || latencies.ValueKind == JsonValueKind.Null)
            throw new PlanningProblemException($"{path}.latencyMs", "missing");
        if (latencies.ValueKind != JsonValueKind.Object)
            throw new PlanningProblemException($"{path}.latencyMs", "must be an object mapping device ids to milliseconds");
        var latencyMs = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var entry in latencies.EnumerateObject())
        {
            var field = $"{path}.latencyMs.{entry.Name}";
            if (!latencyMs.TryAdd(entry.Name, NumberValue(entry.Value, field)))
                throw new PlanningProblemException(field, "listed twice");
        }

        return new PlanningAtom(
            ReadString(element, "id", $"{path}.id"),
            ReadNumber(element, "flops", $"{path}.flops"),
            ReadNumber(element, "weightBytes", $"{path}.weightBytes"),
            ReadNumber(element, "memoryBytes", $"{path}.memoryBytes"),
            ReadNumber(element, "outputBytes", $"{path}.outputBytes"),
            latencyMs);
    }

    private static string Path(string array, int index) => JsonFieldReader.Item(array, index);

    private static void RequireObject(JsonElement element, string path) => Fields.RequireObject(element, path);

    private static List<JsonElement> ReadArray(JsonElement parent, string name, string path) => Fields.Array(parent, name, path);

    private static string ReadString(JsonElement parent, string name, string path) => Fields.Text(parent, name, path);

    private static double ReadNumber(JsonElement parent, string name, string path) => Fields.Number(parent, name, path);

    private static double? OptionalNumber(JsonElement parent, string name, string path) => Fields.OptionalNumber(parent, name, path);

    private static double NumberValue(JsonElement value, string path) => Fields.NumberValue(value, path);
}
