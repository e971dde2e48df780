using AdaMec.Core.Context;
using Microsoft.Extensions.Time.Testing;

namespace AdaMec.Core.Tests.Context;

public sealed class LinkProberTests
{
    [Fact]
    public async Task Run_OnAnExactLink_SizesTheLargePayloadFromTheFitSoFar()
    {
        var time = new FakeTimeProvider();
        var rounds = new List<IReadOnlyList<int>>();
        LinkProbeRound link = (sizes, _) =>
        {
            rounds.Add(sizes);
            var ms = sizes.Select(b => 2 + b * 8.0 / (100 * 1000)).ToArray(); // 100 Mbps, 2 ms
            time.Advance(TimeSpan.FromMilliseconds(ms.Sum()));
            return Task.FromResult<IReadOnlyList<double>>(ms);
        };
        var options = new LinkProbeOptions { Rounds = 3 };
        var samples = await LinkProber.RunAsync(link, [], options, time);

        Assert.Equal(6, samples.Count);
        Assert.Equal([32_768, 262_144], rounds[0]);
        Assert.Equal([32_768, 1_875_000], rounds[1]); // 150 ms at the 100 Mbps the first round found
        var fit = LinkEstimator.Fit(samples)!;
        Assert.Equal(100, fit.Mbps, 6);
        Assert.Equal(2, fit.LatencyMs, 6);
    }

    [Fact]
    public async Task Run_OverItsBudget_StartsNoFurtherRound()
    {
        var time = new FakeTimeProvider();
        var count = 0;
        LinkProbeRound slow = (sizes, _) =>
        {
            count++;
            time.Advance(TimeSpan.FromSeconds(3));
            return Task.FromResult<IReadOnlyList<double>>(sizes.Select(b => b / 10.0).ToArray());
        };
        var samples = await LinkProber.RunAsync(slow, [], new LinkProbeOptions { Rounds = 10, Budget = TimeSpan.FromSeconds(5) }, time);
        Assert.Equal(2, count);
        Assert.Equal(4, samples.Count);
    }

    [Fact]
    public async Task Run_RoundAnsweringTheWrongCount_Throws()
    {
        LinkProbeRound broken = (_, _) => Task.FromResult<IReadOnlyList<double>>([1.0]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => LinkProber.RunAsync(broken, [], new LinkProbeOptions(), TimeProvider.System));
    }
}
