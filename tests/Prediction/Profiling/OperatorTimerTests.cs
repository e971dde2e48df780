using AdaMec.Prediction.Profiling;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Prediction.Tests.Profiling;

public sealed class OperatorTimerTests
{
    [Fact]
    public void TimeRoundRobin_TwoNetworks_OneTimingPerNetworkOverEveryRound()
    {
        using var small = ModelZoo.Create(CalibrationNetworks.Build(4, 0));
        using var other = ModelZoo.Create(CalibrationNetworks.Build(4, 1));

        var timings = OperatorTimer.TimeRoundRobin([small, other], warmup: 1, rounds: 5);

        Assert.Equal(2, timings.Count);
        Assert.All(timings, t =>
        {
            Assert.Equal(5, t.Repeats);
            Assert.True(double.IsFinite(t.MedianMs) && t.MedianMs > 0, $"median {t.MedianMs}");
            Assert.True(t.IqrMs >= 0, $"IQR {t.IqrMs}");
        });
    }

    [Fact]
    public void TimeRoundRobin_NoRounds_Throws()
    {
        using var module = ModelZoo.Create(CalibrationNetworks.Build(4, 0));

        Assert.Throws<ArgumentOutOfRangeException>(() => OperatorTimer.TimeRoundRobin([module], rounds: 0));
    }
}
