namespace AdaMec.Cli.Commands;

/// <summary>A plain fixed-width table for terminal output (numbers right-aligned).</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params object[] cells) =>
        _rows.Add(cells.Select(c => c switch
        {
            double d => d.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
            float f => f.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
            IFormattable x => x.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => c?.ToString() ?? "",
        }).ToArray());

    public void Write(TextWriter output)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        output.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in _rows)
        {
            output.WriteLine(string.Join("  ", row.Select((c, i) => IsNumber(c) ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static bool IsNumber(string cell) => double.TryParse(cell, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);
}
