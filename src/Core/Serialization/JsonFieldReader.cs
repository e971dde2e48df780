using System.Globalization;
using System.Text.Json;

namespace AdaMec.Core.Serialization;

/// <summary>
/// Reads fields of a parsed JSON document by hand, so that every error names the JSON path of the offending
/// value (<c>events[3].mbps</c>) and the reader's own exception type carries it. Missing and <c>null</c> are
/// the same; JSON has no NaN or Infinity, so such values written as strings get a "finite number" message
/// rather than a type error, and out-of-range literals such as 1e999 read as infinity for the caller's range check.
/// </summary>
/// <param name="error">Makes the reader's exception from a JSON path and a problem.</param>
/// <param name="nonFiniteProblem">The problem reported for NaN or Infinity written as a string: the format's own range rule.</param>
public sealed class JsonFieldReader(Func<string, string, Exception> error, string nonFiniteProblem = "must be a finite number")
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>An error about the value at <paramref name="path"/>, of the caller's exception type.</summary>
    public Exception Error(string path, string problem) => error(path, problem);

    /// <summary>Parses <paramref name="json"/>; the root must be an object.</summary>
    public JsonDocument ParseObject(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw error("$", $"not valid JSON ({e.Message})");
        }

        if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
        document.Dispose();
        throw error("$", "must be a JSON object");
    }

    /// <summary><c>array[index]</c>.</summary>
    public static string Item(string array, int index) => string.Create(CultureInfo.InvariantCulture, $"{array}[{index}]");

    public void RequireObject(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object) throw error(path, "must be an object");
    }

    public List<JsonElement> Array(JsonElement parent, string name, string path)
    {
        if (!Present(parent, name, out var value)) throw error(path, "missing");
        if (value.ValueKind != JsonValueKind.Array) throw error(path, "must be an array");
        return value.EnumerateArray().ToList();
    }

    public string Text(JsonElement parent, string name, string path) =>
        OptionalText(parent, name, path) ?? throw error(path, "missing");

    public string? OptionalText(JsonElement parent, string name, string path)
    {
        if (!Present(parent, name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.String) throw error(path, "must be a string");
        return value.GetString()!;
    }

    public bool? OptionalBool(JsonElement parent, string name, string path)
    {
        if (!Present(parent, name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw error(path, "must be true or false"),
        };
    }

    public double Number(JsonElement parent, string name, string path) =>
        OptionalNumber(parent, name, path) ?? throw error(path, "missing");

    public double? OptionalNumber(JsonElement parent, string name, string path) =>
        Present(parent, name, out var value) ? NumberValue(value, path) : null;

    public double NumberValue(JsonElement value, string path)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                return value.TryGetDouble(out var number) ? number : double.PositiveInfinity;
            case JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
                                           || IsNamedLiteral(value.GetString(), out parsed):
                throw error(path, double.IsFinite(parsed) ? "must be a number, not a string" : nonFiniteProblem);
            default:
                throw error(path, "must be a number");
        }
    }

    private static bool Present(JsonElement parent, string name, out JsonElement value) =>
        parent.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

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
