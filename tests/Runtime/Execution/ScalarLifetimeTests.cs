using AdaMec.Core.Graph;
using AdaMec.Runtime.Execution;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Tests.Execution;

/// <summary>
/// The operators that need a TorchSharp Scalar must not hand libtorch one a collection can free
/// mid-call (<see cref="RootedScalars"/>). A second thread allocates the whole time, as a silo's
/// threads do, so collections start while the loop is inside libtorch. With TorchSharp's implicit
/// Scalars (<c>sum + x</c>, <c>nn.LeakyReLU</c>) these loops failed within seconds ("Expected false
/// to be true" from c10's Scalar accessors).
/// </summary>
public sealed class ScalarLifetimeTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(6);

    /// <summary>Operations per check: the check's own calls (min, max) are not the ones under test.</summary>
    private const int Round = 100;

    [Fact]
    public void Add_WhileAnotherThreadAllocates_EverySumIsRight()
    {
        var add = Graph().Nodes.Single(n => n.Kind == OperatorKind.Add);
        using var a = full(16, 16, 1f);
        using var b = full(16, 16, 2f);

        var sums = UnderAllocationPressure(() => OperatorModules.Combine(add, [a, b]), sum => IsEverywhere(sum, 3f));

        Assert.True(sums > 100_000, $"only {sums} sums in {Duration}");
    }

    [Fact]
    public void LeakyReLU_WhileAnotherThreadAllocates_EveryOutputIsRight()
    {
        using var leaky = OperatorModules.Create(Graph().Nodes.Single(n => n.Kind == OperatorKind.LeakyReLU))!;
        using var input = full(16, 16, -2f);

        var outputs = UnderAllocationPressure(() => leaky.call(input), output => IsEverywhere(output, -0.2f));

        Assert.True(outputs > 100_000, $"only {outputs} outputs in {Duration}");
    }

    private static OperatorGraph Graph()
    {
        var b = new GraphBuilder("scalars", new TensorShape(1, 4, 4, 4));
        var leaky = b.LeakyReLU(GraphBuilder.Input, "leaky", 0.1);
        b.Sum("add", leaky, GraphBuilder.Input);
        return b.Build();
    }

    private static bool IsEverywhere(Tensor t, float value) =>
        Math.Abs(t.min().item<float>() - value) < 1e-6 && Math.Abs(t.max().item<float>() - value) < 1e-6;

    /// <summary>
    /// Runs <paramref name="operation"/> for <see cref="Duration"/> beside an allocating thread and
    /// checks every <see cref="Round"/>th result. Returns how many operations ran.
    /// </summary>
    private static long UnderAllocationPressure(Func<Tensor> operation, Func<Tensor, bool> isRight)
    {
        using var stop = new CancellationTokenSource();
        var churn = new Thread(() =>
        {
            var keep = new object[64];
            for (var i = 0; !stop.IsCancellationRequested; i = (i + 1) & 63) keep[i] = new byte[256];
        }) { IsBackground = true };
        churn.Start();
        long operations = 0;
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < Duration)
            {
                for (var i = 1; i < Round; i++) operation().Dispose();
                using var scope = NewDisposeScope();
                Assert.True(isRight(operation()), $"wrong result at operation {operations + Round}");
                operations += Round;
            }
        }
        finally
        {
            stop.Cancel();
            churn.Join();
        }
        return operations;
    }
}
