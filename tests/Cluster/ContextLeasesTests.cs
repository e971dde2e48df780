using AdaMec.Grains;
using AdaMec.Interfaces;

namespace AdaMec.Cluster.Tests;

public sealed class ContextLeasesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Leases_RenewedBeforeExpiry_StayLive_UnrenewedOnesAreDropped()
    {
        var leases = new ContextLeases();
        Assert.True(leases.Renew(new ContextSubscription("a", TimeSpan.FromMinutes(1)), T0, "device e"));
        Assert.True(leases.Renew(new ContextSubscription("b", TimeSpan.FromMinutes(1)), T0, "device e"));
        Assert.Equal(["a", "b"], leases.Live(T0.AddSeconds(59)));

        Assert.True(leases.Renew(new ContextSubscription("a", TimeSpan.FromMinutes(1)), T0.AddSeconds(50), "device e"));
        Assert.Equal(["a"], leases.Live(T0.AddSeconds(61)));
        Assert.True(leases.Prune(T0.AddSeconds(61)));
        Assert.Equal(["a"], leases.Expiry.Keys);
        Assert.False(leases.Prune(T0.AddSeconds(61)));
        Assert.Empty(leases.Live(T0.AddSeconds(110)));
    }

    [Fact]
    public void Leases_SameExpiryAgain_ReportsNoChange()
    {
        var leases = new ContextLeases();
        var subscription = new ContextSubscription("a", TimeSpan.FromMinutes(1));
        Assert.True(leases.Renew(subscription, T0, "link x->y"));
        Assert.False(leases.Renew(subscription, T0, "link x->y"));
    }

    [Theory]
    [InlineData("", 60)]
    [InlineData("a", 0)]
    [InlineData("a", -1)]
    [InlineData("a", 400 * 86400)]
    public void Leases_BadSubscription_IsRefusedNamingTheGrain(string deployment, double seconds)
    {
        var leases = new ContextLeases();
        var error = Assert.Throws<AdaMecException>(() => leases.Renew(new ContextSubscription(deployment, TimeSpan.FromSeconds(seconds)), T0, "device edge1"));
        Assert.Equal(AdaMecErrorCode.InvalidContext, error.Code);
        Assert.Contains("device edge1", error.Message, StringComparison.Ordinal);
        Assert.Empty(leases.Expiry);
    }
}
