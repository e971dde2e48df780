using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Tests.Profiling;

public sealed class SampleCsvTests
{
    [Fact]
    public void Read_ExternalCsvWithTypeAndSeconds_ParsesConvertsAndIgnoresUnknownColumns()
    {
        const string csv = "type,hw,cin,cout,kernel,stride,latency,device\nconv,56,64,128,3,2,0.0123,raspberry-pi-4\nfc,1,4096,1000,0,1,0.004,raspberry-pi-4\n";

        var samples = SampleCsv.Read(new StringReader(csv), "pi.csv", LatencyUnit.Seconds);

        Assert.Equal(2, samples.Count);
        var conv = samples[0];
        Assert.Equal(OperatorKind.Conv2d, conv.Config.Kind);
        Assert.Equal((56, 64, 128, 3, 2), (conv.Config.Hw, conv.Config.Cin, conv.Config.Cout, conv.Config.Kernel, conv.Config.Stride));
        Assert.Equal(1, conv.Config.Padding); // "same" padding when the file does not say
        Assert.Equal(12.3, conv.LatencyMs, 9);
        Assert.Equal(new TensorShape(1, 128, 28, 28), conv.Node.OutputShape);
        Assert.Equal(OperatorKind.Linear, samples[1].Config.Kind);
        Assert.Equal(2L * 4096 * 1000, samples[1].Node.Flops);
    }

    [Fact]
    public void Read_MissingRequiredColumns_ErrorNamesEachOne()
    {
        const string csv = "op,hw,cin,latency\nconv,56,64,1.0\n";

        var error = Assert.Throws<MissingColumnsException>(() => SampleCsv.Read(new StringReader(csv), "bad.csv"));

        Assert.Equal(["cout", "kernel", "stride"], error.Missing);
        Assert.Contains("bad.csv", error.Message, StringComparison.Ordinal);
        Assert.Contains("'kernel'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("conv,NaN,64,128,3,1,1.0", "'hw'")]
    [InlineData("conv,56,-4,128,3,1,1.0", "'cin'")]
    [InlineData("conv,56,64,x,3,1,1.0", "'cout'")]
    [InlineData("conv,56.5,64,128,3,1,1.0", "'hw'")]
    [InlineData("conv,56,64,128,3,1,fast", "'latency'")]
    public void Read_FieldNotANumberOfItsKind_ErrorNamesColumnAndLine(string row, string column)
    {
        var error = Assert.Throws<FormatException>(() => SampleCsv.Read(new StringReader("op,hw,cin,cout,kernel,stride,latency\n" + row + "\n"), "bad.csv"));

        Assert.Contains("bad.csv:2", error.Message, StringComparison.Ordinal);
        Assert.Contains(column, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FormatThenRead_OwnColumns_RoundTripsConfigurationAndLatency()
    {
        var sample = new OperatorSample(new OperatorConfig(OperatorKind.MaxPool2d, 55, 64, 64, 3, 2, 1, CeilMode: true), 0.4375, 0.01, 21, 1, 512);

        var text = SampleCsv.Header + "\n" + SampleCsv.Format(sample) + "\n";
        var back = Assert.Single(SampleCsv.Read(new StringReader(text), "own.csv"));

        Assert.Equal(sample.Config, back.Config);
        Assert.Equal(sample.LatencyMs, back.LatencyMs, 6);
        Assert.Equal(512, back.MemoryMb);
        Assert.Equal(21, back.Repeats);
    }

    [Fact]
    public void Read_UnmeasuredRow_SkippedByReadKeptByReadRows()
    {
        var config = new OperatorConfig(OperatorKind.ReLU, 14, 32, 32);
        var text = SampleCsv.Header + "\n" + SampleCsv.Format(new OperatorSample(config, double.NaN, MemoryMb: 100)) + "\n";

        Assert.Empty(SampleCsv.Read(new StringReader(text), "oom.csv"));
        Assert.True(double.IsNaN(Assert.Single(SampleCsv.ReadRows(new StringReader(text), "oom.csv")).LatencyMs));
    }

    [Fact]
    public void Collapse_TwoPasses_KeepsFastest()
    {
        var config = new OperatorConfig(OperatorKind.Add, 28, 64, 64, Inputs: 2);

        var collapsed = SampleCsv.Collapse([new OperatorSample(config, 0.30), new OperatorSample(config, 0.20), new OperatorSample(config, 0.5, MemoryMb: 200)]);

        Assert.Equal(2, collapsed.Count);
        Assert.Equal(0.20, collapsed.Single(s => s.MemoryMb is null).LatencyMs);
    }
}
