using System.Text.Json;
using System.Text.Json.Serialization;

namespace AdaMec.Cli.Commands;

/// <summary>
/// --json of partition, verify and run: one camelCase JSON object on stdout and nothing else there
/// (notes such as the predictor's training go to stderr), so a script can parse stdout whole.
/// </summary>
internal static class CliJson
{
    // NaN and infinities (a relative difference over a zero magnitude) print as "NaN" / "Infinity" rather than failing the command.
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The --json option of a command, its description naming the fields.</summary>
    public static System.CommandLine.Option<bool> Option(string fields) => new("--json") { Description = $"Print one JSON object: {fields}." };

    /// <summary>Writes <paramref name="value"/> as one line of JSON to stdout.</summary>
    public static void Write(object value) => Console.WriteLine(JsonSerializer.Serialize(value, Options));
}
