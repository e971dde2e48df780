using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AdaMec.Core.Planning;

/// <summary>
/// Reads and writes the planning problem file (docs/planning-file.md). Reading walks the document by hand
/// rather than deserialising, so that every error names the JSON path of the offending value.
/// Unknown fields are ignored so newer writers can add information older planners do not use.
/// </summary>
public static class PlanningProblemJson
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    public static PlanningProblem ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Read(File.ReadAllText(path));
    }

    public static PlanningProblem Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new PlanningProblemException("$", $"not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new PlanningProblemException("$", "must be a JSON object");

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
        var initiator = false;
        if (element.TryGetProperty("initiator", out var flag) && flag.ValueKind != JsonValueKind.Null)
        {
            initiator = flag.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new PlanningProblemException($"{path}.initiator", "must be true or false"),
            };
        }

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

    private static string Path(string array, int index) => string.Create(CultureInfo.InvariantCulture, $"{array}[{index}]");

    private static void RequireObject(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new PlanningProblemException(path, "must be an object");
    }

    private static List<JsonElement> ReadArray(JsonElement parent, string name, string path)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            throw new PlanningProblemException(path, "missing");
        if (value.ValueKind != JsonValueKind.Array)
            throw new PlanningProblemException(path, "must be an array");
        return value.EnumerateArray().ToList();
    }

    private static string ReadString(JsonElement parent, string name, string path)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            throw new PlanningProblemException(path, "missing");
        if (value.ValueKind != JsonValueKind.String)
            throw new PlanningProblemException(path, "must be a string");
        return value.GetString()!;
    }

    private static double ReadNumber(JsonElement parent, string name, string path) =>
        OptionalNumber(parent, name, path) ?? throw new PlanningProblemException(path, "missing");

    private static double? OptionalNumber(JsonElement parent, string name, string path)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        return NumberValue(value, path);
    }

    private static double NumberValue(JsonElement value, string path)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                // Out-of-range literals such as 1e999 parse to infinity; the validator rejects them by name.
                return value.TryGetDouble(out var number) ? number : double.PositiveInfinity;
            case JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
                                           || IsNamedLiteral(value.GetString(), out parsed):
                // JSON has no NaN or Infinity; writers that emit them as strings get the validator's
                // "finite number" message rather than a type error.
                throw new PlanningProblemException(path, double.IsFinite(parsed) ? "must be a number, not a string" : "must be a finite number >= 0");
            default:
                throw new PlanningProblemException(path, "must be a number");
        }
    }

    private static bool IsNamedLiteral(string? text, out double value)
    {
        value = text switch
        {
            "NaN" => double.NaN,
            "Infinity" or "+Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            _ => 0,
        };
        return !double.IsFinite(value);
    }
}
