using AdaMec.Core.Graph;
using AdaMec.Runtime.Atoms;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Tests.Atoms;

public sealed class WeightsFileTests
{
    [Fact]
    public void WriteRead_RoundTrip_PreservesNamesShapesValues()
    {
        var path = Path.GetTempFileName();
        try
        {
            WeightsFile.Entry[] entries = [new("conv.weight", [2, 1, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]), new("conv.bias", [2], [-1, 0.5f])];
            var (sha, bytes) = WeightsFile.Write(path, entries);

            var read = WeightsFile.Read(File.ReadAllBytes(path));

            Assert.Equal(64, sha.Length);
            Assert.Equal(new FileInfo(path).Length, bytes);
            Assert.Equal(entries.Select(e => e.Name), read.Select(e => e.Name));
            Assert.Equal(entries[0].Values, read[0].ToFloats());
            Assert.Equal(entries[1].Values, read[1].ToFloats());
            Assert.Equal(entries[0].Shape, read[0].Shape);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(40)]
    public void Read_TruncatedAnywhere_ThrowsInvalidData(int keep)
    {
        var path = Path.GetTempFileName();
        try
        {
            WeightsFile.Write(path, [new WeightsFile.Entry("w", [4, 4], new float[16])]);
            var bytes = File.ReadAllBytes(path)[..keep];

            Assert.Throws<InvalidDataException>(() => WeightsFile.Read(bytes));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Decode_WrongByteCount_NamesShape()
    {
        var error = Assert.Throws<ArgumentException>(() => TensorCodec.Decode(new byte[12], new TensorShape(1, 4)));

        Assert.Contains("[1x4]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RandomPayload_SameSeed_SameStandardNormalBytes()
    {
        var shape = new TensorShape(1, 3, 32, 32);

        var a = TensorCodec.RandomPayload(shape, seed: 42);
        var b = TensorCodec.RandomPayload(shape, seed: 42);
        var other = TensorCodec.RandomPayload(shape, seed: 43);

        Assert.Equal(shape.Bytes, a.Length);
        Assert.Equal(a, b);
        Assert.NotEqual(a, other);
        using var values = TensorCodec.Decode(a, shape);
        Assert.InRange(values.mean().item<float>(), -0.1f, 0.1f);
        Assert.InRange(values.std().item<float>(), 0.9f, 1.1f);
    }

    [Fact]
    public void EncodeDecode_RoundTrip_Exact()
    {
        using var x = randn(2, 3, 4);

        using var y = TensorCodec.Decode(TensorCodec.Encode(x), new TensorShape(2, 3, 4));

        Assert.True(x.allclose(y, rtol: 0, atol: 0));
    }

    [Fact]
    public void Read_DimensionsWhoseProductOverflows_ThrowsInvalidDataNamingTheTensor()
    {
        // 2^30 x 2^30 x 16 elements is 2^64: wrapped to 0, it once passed the length check as an empty tensor.
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write("AMW1"u8);
            writer.Write(1);
            writer.Write(1);
            writer.Write((byte)'w');
            writer.Write(3);
            writer.Write(1L << 30);
            writer.Write(1L << 30);
            writer.Write(16L);
        }

        var error = Assert.Throws<InvalidDataException>(() => WeightsFile.Read(stream.ToArray()));

        Assert.Contains("'w' dimensions", error.Message, StringComparison.Ordinal);
    }
}
