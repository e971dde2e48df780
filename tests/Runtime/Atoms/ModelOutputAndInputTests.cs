using AdaMec.Core.Atoms;
using AdaMec.Core.Graph;
using AdaMec.Runtime.Atoms;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Tests.Atoms;

public sealed class ModelOutputAndInputTests
{
    private static readonly TensorShape Shape = new(1, 3, 2, 2);
    private static readonly float[] FourLogits = [1f, 4f, 2f, 0f];
    private static readonly float[] TwoLogits = [0.5f, -1f];

    private static readonly AtomManifest Manifest = new()
    {
        Model = "toy", InputShape = Shape, OutputShape = new TensorShape(1, 4), WeightsSource = "zoo-seeded",
        Partition = new PartitionReport { LatencyModel = "flops", Operators = 1, ValidCutPoints = 0, LayerCutPoints = 0, KeptCutPoints = 0, CutPoints = [] },
        Atoms = [],
    };

    [Fact]
    public void Top_KnownLogits_HighestFirstWithTheirSoftmaxShare()
    {
        using var logits = tensor(FourLogits).reshape(1, 4);

        var top = OutputRanking.Top(TensorCodec.Encode(logits), new TensorShape(1, 4), k: 3);

        Assert.Equal([1L, 2L, 0L], top.Select(r => r.Index));
        Assert.Equal([1, 2, 3], top.Select(r => r.Rank));
        Assert.Equal(4f, top[0].Value);
        var sum = new[] { 1.0, 4, 2, 0 }.Sum(Math.Exp);
        Assert.Equal(Math.Exp(4) / sum, top[0].Softmax, 5);
    }

    [Fact]
    public void Top_FewerOutputsThanAsked_ReturnsThemAll()
    {
        using var logits = tensor(TwoLogits).reshape(1, 2);

        Assert.Equal(2, OutputRanking.Top(TensorCodec.Encode(logits), new TensorShape(1, 2), k: 5).Count);
    }

    [Fact]
    public void Read_NoFile_SameSeededInputEveryTime()
    {
        var first = ModelInput.Read(null, Manifest);

        Assert.Equal(Shape.Bytes, first.Length);
        Assert.Equal(first, ModelInput.Read(null, Manifest));
    }

    [Fact]
    public void Read_FileOfTheInputSize_ItsBytes_WrongSizeOrMissing_ClearError()
    {
        var path = Path.GetTempFileName();
        try
        {
            var bytes = Enumerable.Range(0, (int)Shape.Bytes).Select(i => (byte)i).ToArray();
            File.WriteAllBytes(path, bytes);
            Assert.Equal(bytes, ModelInput.Read(path, Manifest));

            File.WriteAllBytes(path, new byte[7]);
            var wrongSize = Assert.Throws<InvalidDataException>(() => ModelInput.Read(path, Manifest));
            Assert.Contains($"has 7 bytes; toy takes {Shape} float32 = {Shape.Bytes} bytes", wrongSize.Message, StringComparison.Ordinal);

            File.Delete(path);
            Assert.Throws<FileNotFoundException>(() => ModelInput.Read(path, Manifest));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
