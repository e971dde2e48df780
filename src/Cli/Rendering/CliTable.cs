using System.Globalization;
using Spectre.Console;

namespace AdaMec.Cli.Rendering;

/// <summary>
/// A result table rendered by Spectre.Console: rounded borders on a terminal, a header rule and aligned
/// columns when redirected (<see cref="CliConsole"/>). Cells are formatted the invariant way (doubles
/// with up to three decimals); a column whose cells are all numbers (or percentages) is right-aligned. Cell text is
/// never read as Spectre markup (a trigger such as "context:[edge1]" prints as it is).
/// </summary>
internal sealed class CliTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    /// <summary>The headers, in order.</summary>
    public IReadOnlyList<string> Headers => headers;

    /// <summary>The formatted rows so far.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows => _rows;

    /// <summary>Adds a row: one cell per header (missing cells are empty).</summary>
    public void Add(params object?[] cells) => _rows.Add(cells.Select(Format).ToArray());

    /// <summary>How a cell prints.</summary>
    public static string Format(object? cell) => cell switch
    {
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        float f => f.ToString("0.###", CultureInfo.InvariantCulture),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => cell?.ToString() ?? "",
    };

    /// <summary>The Spectre table for <paramref name="console"/>.</summary>
    public Table Build(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var table = new Table { Border = CliConsole.IsLive(console) ? TableBorder.Rounded : TableBorder.Minimalist };
        for (var i = 0; i < headers.Length; i++)
        {
            var numeric = _rows.Any(r => Cell(r, i).Length > 0) && _rows.All(r => Cell(r, i).Length == 0 || IsNumber(Cell(r, i)));
            table.AddColumn(new TableColumn(new Text(headers[i])) { Alignment = numeric ? Justify.Right : Justify.Left });
        }
        foreach (var row in _rows) table.AddRow(headers.Select((_, i) => new Text(Cell(row, i))).ToArray());
        return table;
    }

    /// <summary>Renders the table to <paramref name="console"/>.</summary>
    public void Write(IAnsiConsole console) => console.Write(Build(console));

    private static string Cell(string[] row, int index) => index < row.Length ? row[index] : "";

    // Percentages ("93.5 %", "+4.1%") line up like the numbers they are.
    private static bool IsNumber(string cell) => double.TryParse(cell.TrimEnd('%').TrimEnd(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
