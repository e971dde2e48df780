namespace AdaMec.Cli.Commands;

/// <summary>
/// A one-line progress bar on a terminal; one line every few percent when output is redirected
/// (logs, CI), so a long run shows it is alive without flooding the file.
/// </summary>
internal sealed class ConsoleProgress(TextWriter writer, string label)
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private int _lastPercent = -1;

    public void Report(int done, int total, string detail)
    {
        var percent = total == 0 ? 100 : done * 100 / total;
        if (_interactive)
        {
            var filled = percent / 5;
            writer.Write($"\r{label} [{new string('#', filled)}{new string('.', 20 - filled)}] {done}/{total} {detail}".PadRight(110)[..110]);
            if (done == total) writer.WriteLine();
        }
        else if (percent / 5 != _lastPercent / 5 || done == total)
        {
            writer.WriteLine($"{label} {done}/{total} ({percent}%) {detail}");
        }
        _lastPercent = percent;
    }
}
