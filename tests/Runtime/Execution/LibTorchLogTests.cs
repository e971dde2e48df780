using AdaMec.Runtime.Execution;
using TorchSharp;

namespace AdaMec.Runtime.Tests.Execution;

public sealed class LibTorchLogTests
{
    [Theory]
    [InlineData(null, 2)]
    [InlineData("", 2)]
    [InlineData("info", 0)]
    [InlineData("WARNING", 1)]
    [InlineData(" Error ", 2)]
    [InlineData("3", 3)]
    public void TryParse_NameOrNumberOrUnset_TheC10Severity(string? text, int expected)
    {
        Assert.True(LibTorchLog.TryParse(text, out var level));
        Assert.Equal(expected, level);
    }

    [Theory]
    [InlineData("4")]
    [InlineData("-1")]
    [InlineData("verbose")]
    public void TryParse_NotALevel_Refused(string text) => Assert.False(LibTorchLog.TryParse(text, out _));

    [Fact]
    public void Apply_LibtorchLoaded_C10LogsAtTheVariablesLevel()
    {
        torch.InitializeDeviceType(DeviceType.CPU); // the process has libtorch, as a silo or the CLI does

        var applied = LibTorchLog.Apply();

        Assert.True(LibTorchLog.TryParse(Environment.GetEnvironmentVariable(LibTorchLog.Variable), out var expected));
        Assert.True(applied.Applied, applied.Reason);
        Assert.Equal(expected, LibTorchLog.Current());
        Assert.Equal(applied, LibTorchLog.Apply());
    }
}
