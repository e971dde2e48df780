namespace AdaMec.Cli.Tests;

/// <summary>One mapping from error to exit code for every command: 2 and one stderr line for bad input, 1 for a failure.</summary>
public sealed class ExitCodeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("adamec-exit-").FullName;

    [Fact]
    public void Plan_MissingProblemFile_Exits2WithOneLineNamingTheFile()
    {
        var missing = Path.Combine(_directory, "missing.json");

        var result = AdamecProcess.Run("plan", "--problem", missing);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(Lines(result.Error));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("missing.json", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_ProblemWithoutDevices_Exits2NamingTheField()
    {
        var file = Path.Combine(_directory, "empty.json");
        File.WriteAllText(file, """{ "inputBytes": 10, "latencyRequirementMs": 5, "devices": [], "links": [], "atoms": [] }""");

        var result = AdamecProcess.Run("plan", "--problem", file);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(Lines(result.Error));
        Assert.Contains("devices", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AnyCommand_UnknownOption_Exits2()
    {
        var result = AdamecProcess.Run("verify", "--atoms", _directory, "--no-such-option");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--no-such-option", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterStatus_NoGateway_Exits2NamingTheOptions()
    {
        var result = AdamecProcess.Run("cluster", "status");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--gateway", Assert.Single(Lines(result.Error)), StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterStatus_NoSiloListening_Exits1WithOneLine()
    {
        var result = AdamecProcess.Run("cluster", "status", "--gateway", "127.0.0.1:" + ClosedPort());

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", Assert.Single(Lines(result.Error)), StringComparison.Ordinal);
    }

    [Fact]
    public void AnyCommand_TorchLogLevelVariableHoldsNoLevel_WarnsOnceAndStillRuns()
    {
        var atoms = Path.Combine(_directory, "atoms");

        var result = AdamecProcess.RunWith(new Dictionary<string, string> { ["TORCH_CPP_LOG_LEVEL"] = "verbose" },
            "partition", "--model", "alexnet", "--out", atoms, "--latency", "flops", "--no-onnx");

        Assert.Equal(0, result.ExitCode);
        var line = Assert.Single(Lines(result.Error), l => l.Contains("TORCH_CPP_LOG_LEVEL", StringComparison.Ordinal));
        Assert.StartsWith("warning: TORCH_CPP_LOG_LEVEL=verbose is not INFO, WARNING, ERROR, FATAL or 0-3", line, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(atoms, "manifest.json")));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A loopback port nobody listens on (the OS gave it out and it was closed again).</summary>
    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
