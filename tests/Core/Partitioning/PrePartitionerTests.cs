using AdaMec.Core.Graph;
using AdaMec.Core.Partitioning;

namespace AdaMec.Core.Tests.Partitioning;

public sealed class PrePartitionerTests
{
    [Fact]
    public void Compute_SavingBelowTransfer_IsNegative()
    {
        Assert.True(LatencyBenefit.Compute(localMs: 100, executionMs: 90, transferMs: 20, requirementMs: 200) < 0);
        Assert.True(LatencyBenefit.Compute(localMs: 100, executionMs: 50, transferMs: 20, requirementMs: 200) > 0);
    }

    [Fact]
    public void Compute_NoSaving_IsNegativeInfinity() =>
        Assert.Equal(double.NegativeInfinity, LatencyBenefit.Compute(100, 120, 1, 1000));

    [Fact]
    public void Compute_MissedRequirement_SubtractsLambda2()
    {
        var met = LatencyBenefit.Compute(100, 50, 10, requirementMs: 100, lambda2: 0.5);
        var missed = LatencyBenefit.Compute(100, 50, 10, requirementMs: 55, lambda2: 0.5);

        Assert.Equal(0.5, met - missed, 9);
    }

    [Fact]
    public void TransferMs_FortyMbps_MatchesCostModel() =>
        Assert.Equal(2 + 602112 * 8 / 40_000.0, LatencyBenefit.TransferMs(602112, 40, 2), 9);

    [Fact]
    public void Partition_ConvReluPool_KeepsCutAfterPoolNotBeforeIt()
    {
        var b = new GraphBuilder("toy", new TensorShape(1, 3, 64, 64));
        var x = b.ReLU(b.Conv(GraphBuilder.Input, "conv1", 16, 3, padding: 1), "relu1");
        x = b.MaxPool(x, "pool1", 2, 2);
        x = b.ReLU(b.Conv(x, "conv2", 32, 3, padding: 1), "relu2");
        x = b.MaxPool(x, "pool2", 2, 2);
        b.Linear(b.Flatten(x, "flatten"), "fc", 10);
        var graph = b.Build();

        var result = new PrePartitioner(new FlopsLatencyModel(gflopsPerSecond: 1)).Partition(graph);

        // After conv1 and after relu1 are dominated by the cut after pool1 (same or fewer bytes,
        // only operators without multiply-accumulates between).
        Assert.DoesNotContain(1, result.CutPoints);
        Assert.DoesNotContain(2, result.CutPoints);
        Assert.Contains(3, result.CutPoints);
        Assert.All(result.Report.CutPoints.Where(d => !d.Kept), d => Assert.False(string.IsNullOrEmpty(d.Reason)));
    }

    [Fact]
    public void Ranges_CoverEveryOperatorOnceInOrder()
    {
        var b = new GraphBuilder("toy", new TensorShape(1, 3, 32, 32));
        var x = b.MaxPool(b.ReLU(b.Conv(GraphBuilder.Input, "c1", 8, 3), "r1"), "p1", 2, 2);
        b.Linear(b.Flatten(b.Conv(x, "c2", 8, 3), "f"), "fc", 4);
        var result = new PrePartitioner(new FlopsLatencyModel(gflopsPerSecond: 0.1)).Partition(b.Build());

        var covered = result.Ranges.SelectMany(r => Enumerable.Range(r.Start, r.End - r.Start));

        Assert.Equal(Enumerable.Range(0, 6), covered);
    }

    [Fact]
    public void Partition_LatencyModelReturnsNaN_ThrowsNamingOperator()
    {
        var b = new GraphBuilder("toy", new TensorShape(1, 3, 8, 8));
        b.ReLU(b.Conv(GraphBuilder.Input, "c1", 4, 3), "r1");

        var error = Assert.Throws<InvalidOperationException>(() => new PrePartitioner(new NaNModel()).Partition(b.Build()));

        Assert.Contains("c1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NegativeBandwidth_Throws() =>
        Assert.Throws<ArgumentException>(() => new PartitionOptions { BandwidthsMbps = [-1] }.Validate());

    private sealed class NaNModel : IOperatorLatencyModel
    {
        public string Name => "nan";

        public double PredictMs(OperatorNode node) => double.NaN;
    }
}
