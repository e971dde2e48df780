using AdaMec.Cli.Commands;
using AdaMec.Cli.Rendering;

namespace AdaMec.Cli.Tests;

/// <summary>Spectre.Console output when stdout is redirected: plain lines a log or a test can read.</summary>
public sealed class RenderingTests
{
    [Fact]
    public void Table_Redirected_PlainLinesAtNaturalWidthNumbersRightAligned()
    {
        var output = new StringWriter();
        var table = new CliTable("atom", "latency ms", "where each atom ran");
        var wide = string.Join(" ", Enumerable.Repeat("edge1", 40)); // 239 characters: wider than any default window
        table.Add("alexnet.a0", 1.23456, wide);
        table.Add("alexnet.a10", 12.5, "context:[edge1] [red]");

        table.Write(CliConsole.Create(output, redirected: true));

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToArray();
        Assert.DoesNotContain('\u001b', output.ToString()); // no escape codes
        Assert.Equal(4, lines.Length); // header, rule, one line per row: nothing wrapped
        Assert.StartsWith("atom", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^alexnet\.a0 +1\.235 " + wide + "$", lines[2]);
        Assert.Matches(@"^alexnet\.a10 +12\.5 context:\[edge1\] \[red\]$", lines[3]); // cells are text, never markup
        Assert.Equal(lines[2].IndexOf("1.235", StringComparison.Ordinal) + "1.235".Length, lines[3].IndexOf("12.5", StringComparison.Ordinal) + "12.5".Length);
    }

    [Fact]
    public void CliErrors_CommandFailed_ExitsOneWithItsMessage()
    {
        var error = new StringWriter();

        var code = CliErrors.Report(new CommandFailedException("verify: 1 of 9 boundaries differ"), error);

        Assert.Equal(CliErrors.Failure, code);
        Assert.Equal("error: verify: 1 of 9 boundaries differ", error.ToString().Trim());
    }
}
