using AdaMec.Core.Graph;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Atoms;

/// <summary>One of a model's highest outputs.</summary>
/// <param name="Rank">1 for the highest.</param>
/// <param name="Index">The output's index in the flattened output (the class, for a classifier).</param>
/// <param name="Value">The raw output (logit).</param>
/// <param name="Softmax">Its share of the softmax over the whole output.</param>
public sealed record RankedOutput(int Rank, long Index, float Value, float Softmax);

/// <summary>Ranks a model's output tensor, as a classifier's answer is read.</summary>
public static class OutputRanking
{
    /// <summary>The <paramref name="k"/> highest values of <paramref name="output"/> (fewer if it has fewer), highest first.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> below 1.</exception>
    public static IReadOnlyList<RankedOutput> Top(byte[] output, TensorShape shape, int k = 5)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        using var scope = NewDisposeScope();
        var logits = TensorCodec.Decode(output, shape).flatten();
        var probabilities = logits.softmax(0);
        var (values, indices) = logits.topk((int)Math.Min(k, logits.shape[0]));
        var top = new List<RankedOutput>();
        for (var i = 0; i < values.shape[0]; i++)
        {
            var index = indices[i].item<long>();
            top.Add(new RankedOutput(i + 1, index, values[i].item<float>(), probabilities[index].item<float>()));
        }
        return top;
    }
}
