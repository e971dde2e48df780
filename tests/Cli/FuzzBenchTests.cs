using System.Text.Json;

namespace AdaMec.Cli.Tests;

/// <summary>`adamec bench fuzz`: bad options exit 2 naming the option; a short run prints its report and exits 0.</summary>
public sealed class FuzzBenchTests
{
    [Theory]
    [InlineData("--inputs", "0")]
    [InlineData("--seed", "abc")]
    [InlineData("--targets", "everything")]
    [InlineData("--hang-seconds", "0")]
    public void BenchFuzz_BadOption_Exits2NamingTheOption(string option, string value)
    {
        var result = AdamecProcess.Run("bench", "fuzz", option, value);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(option, line, StringComparison.Ordinal);
    }

    [Fact]
    public void BenchFuzz_ShortRunAsJson_ReportsEachTargetClean()
    {
        var result = AdamecProcess.Run("bench", "fuzz", "--inputs", "100", "--targets", "weights-file", "forward-request", "--json");

        Assert.Equal(0, result.ExitCode);
        using var report = JsonDocument.Parse(result.Out);
        var results = report.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["weights-file", "forward-request"], results.Select(r => r.GetProperty("target").GetString()));
        Assert.All(results, r =>
        {
            Assert.Equal(100, r.GetProperty("inputs").GetInt32());
            Assert.Equal(0, r.GetProperty("crashes").GetInt32());
            Assert.Equal(100, r.GetProperty("clearErrors").GetInt32() + r.GetProperty("accepted").GetInt32());
        });
    }
}
