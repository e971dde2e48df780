namespace AdaMec.Cli.Tests;

/// <summary>`adamec bench backends` refuses bad input before partitioning or timing anything.</summary>
public sealed class BackendsBenchTests
{
    [Theory]
    [InlineData("--threads", "0,2")]
    [InlineData("--threads", "two")]
    [InlineData("--models", "lenet")]
    [InlineData("--runs", "0")]
    public void BenchBackends_BadOption_Exits2NamingTheOption(string option, string value)
    {
        var result = AdamecProcess.Run("bench", "backends", option, value, "--no-rss");

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(option, line, StringComparison.Ordinal);
    }
}
