using System.Text.Json;
using System.Text.Json.Serialization;
using AdaMec.Core.Graph;

namespace AdaMec.Core.Serialization;

/// <summary>JSON settings shared by every file AdaMec writes: camelCase, shapes as arrays, operator kinds by name.</summary>
public static class AdaMecJson
{
    public static JsonSerializerOptions Options { get; } = Create(indented: true);

    public static JsonSerializerOptions Compact { get; } = Create(indented: false);

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            AllowTrailingCommas = true,
            ReadCommentHandling = JsonCommentHandling.Skip,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        options.Converters.Add(new TensorShapeConverter());
        options.Converters.Add(new OperatorKindConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private sealed class TensorShapeConverter : JsonConverter<TensorShape>
    {
        public override TensorShape Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var dims = JsonSerializer.Deserialize<int[]>(ref reader) ?? throw new JsonException("A shape must be an array of positive integers.");
            try
            {
                return new TensorShape(dims);
            }
            catch (ArgumentException e)
            {
                throw new JsonException(e.Message, e);
            }
        }

        public override void Write(Utf8JsonWriter writer, TensorShape value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            foreach (var d in value.Dims) writer.WriteNumberValue(d);
            writer.WriteEndArray();
        }
    }

    private sealed class OperatorKindConverter : JsonConverter<OperatorKind>
    {
        public override OperatorKind Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var name = reader.GetString() ?? throw new JsonException("An operator kind must be a string.");
            return OperatorKindNames.TryParse(name, out var kind)
                ? kind
                : throw new JsonException($"Unknown operator kind '{name}'. Known: {string.Join(", ", OperatorKindNames.All)}.");
        }

        public override void Write(Utf8JsonWriter writer, OperatorKind value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToName());
    }
}
