using System.Globalization;
using System.Text.Json;

namespace AdaMec.Cli.Tests;

/// <summary>`adamec predictor check`: bad input exits 2 naming the option or field; --json has the shape.</summary>
public sealed class PredictorCheckCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("adamec-check-").FullName;

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>An external CSV of convs whose latency grows with the input side (ms).</summary>
    private string Convs(string name, int count, Func<int, string>? latency = null)
    {
        File.WriteAllText(PathOf(name), "type,hw,cin,cout,kernel,stride,latency\n" +
            string.Join('\n', Enumerable.Range(1, count).Select(i =>
                $"conv,{8 * i},16,32,3,1,{latency?.Invoke(i) ?? (0.01 * i * i).ToString(CultureInfo.InvariantCulture)}")) + "\n");
        return PathOf(name);
    }

    [Fact]
    public void Check_TrainedPredictorJson_HasResultsPerOpAndTheSpeedRatio()
    {
        var train = AdamecProcess.Run("predictor", "train", "--samples", Convs("train.csv", 30), "--learner", "fasttree", "--out", PathOf("p.zip"));
        Assert.True(train.ExitCode == 0, train.Error);

        var result = AdamecProcess.Run("predictor", "check", "--samples", Convs("later.csv", 12, i => (0.011 * (i + 0.5) * (i + 0.5)).ToString(CultureInfo.InvariantCulture)),
            "--predictor", PathOf("p.zip"), "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var root = JsonDocument.Parse(result.Out).RootElement;
        var conv = Assert.Single(root.GetProperty("results").EnumerateArray());
        Assert.Equal("conv", conv.GetProperty("op").GetString());
        Assert.Equal(12, conv.GetProperty("count").GetInt32());
        foreach (var share in new[] { "within5", "within10" }) Assert.InRange(conv.GetProperty(share).GetDouble(), 0, 1);
        Assert.True(conv.GetProperty("maeMs").GetDouble() >= 0);
        Assert.True(root.GetProperty("speedRatio").GetDouble() > 0);
    }

    [Theory]
    [InlineData("missing", "--samples: no file at")]
    [InlineData("empty", "empty file")]
    [InlineData("columns", "'kernel'")]
    [InlineData("nan-latency", "'latency' must be a positive number")]
    [InlineData("text-latency", "column 'latency'")]
    [InlineData("nan-shape", "column 'hw'")]
    [InlineData("header-only", "has a header but no samples")]
    public void Check_BadSamples_ExitsTwoNamingTheOptionOrField(string kind, string expected)
    {
        var path = PathOf(kind + ".csv");
        switch (kind)
        {
            case "empty": File.WriteAllText(path, ""); break;
            case "columns": File.WriteAllText(path, "op,hw,cin,cout,stride,latency\nconv,8,16,32,1,0.1\n"); break;
            case "nan-latency": Convs(kind + ".csv", 3, i => i == 2 ? "NaN" : "0.1"); break;
            case "text-latency": Convs(kind + ".csv", 3, i => i == 2 ? "fast" : "0.1"); break;
            case "nan-shape": File.WriteAllText(path, "op,hw,cin,cout,kernel,stride,latency\nconv,NaN,16,32,3,1,0.1\n"); break;
            case "header-only": File.WriteAllText(path, "op,hw,cin,cout,kernel,stride,latency\n"); break;
        }

        var result = AdamecProcess.Run("predictor", "check", "--samples", path, "--predictor", PathOf("never-read.zip"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--samples", result.Error, StringComparison.Ordinal);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_MissingPredictor_ExitsTwoNamingIt()
    {
        var result = AdamecProcess.Run("predictor", "check", "--samples", Convs("s.csv", 3), "--predictor", PathOf("none.zip"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--predictor", result.Error, StringComparison.Ordinal);
        Assert.Contains("none.zip", result.Error, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
