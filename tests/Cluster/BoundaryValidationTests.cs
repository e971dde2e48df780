using AdaMec.Grains;
using AdaMec.Interfaces;
using Microsoft.Extensions.Configuration;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// Validation where configuration and context reports enter: a setting of the wrong type or out of
/// range is an error naming the key (never an overflow), and each context report field out of range
/// is refused by name; the subscription book a context grain stores is bounded.
/// </summary>
public sealed class BoundaryValidationTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection([KeyValuePair.Create("Device:Id", (string?)"edge1")]) // a silo needs its device id; later sources override it
            .AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Theory]
    [InlineData("Emulation:LinkLatencyMs", "1e308", "LinkLatencyMs")] // int-bounded [Range] on a double: was an OverflowException
    [InlineData("Planner:Hysteresis", "1e308", "Hysteresis")]
    [InlineData("Device:MemoryBudgetMb", "1e308", "MemoryBudgetMb")]
    [InlineData("Limits:MaxRank", "eight", "Limits:MaxRank")]
    [InlineData("Limits:MaxTensorBytes", "99999999999999999999", "Limits:MaxTensorBytes")]
    [InlineData("Planner:SubscriptionLease", "forever", "Planner:SubscriptionLease")]
    [InlineData("Planner:Strategy", "fastest", "Planner:Strategy")]
    [InlineData("Links:Window", "-3", "Window")]
    [InlineData("Device:Id", "", "Id")]
    public void SiloConfiguration_BadSetting_ErrorNamesIt(string key, string value, string named)
    {
        var problem = SiloConfiguration.Validate(Settings((key, value)));

        Assert.NotNull(problem);
        Assert.Contains(named, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void SiloConfiguration_DefaultsWithADeviceId_Valid() => Assert.Null(SiloConfiguration.Validate(Settings()));

    public static TheoryData<string, double, double, LatencyReport> BadReports() => new()
    {
        { "mbps", double.NaN, 1, Good },
        { "mbps", 0, 1, Good },
        { "latencyMs", 10, double.PositiveInfinity, Good },
        { "latencyMs", 10, -1, Good },
        { "requests", 10, 1, Good with { Requests = 0 } },
        { "medianMs", 10, 1, Good with { MedianMs = double.NaN } },
        { "maxMs", 10, 1, Good with { MaxMs = 1 } },
        { "requirementMs", 10, 1, Good with { RequirementMs = -5 } },
        { "planVersion", 10, 1, Good with { PlanVersion = -1 } },
    };

    private static readonly LatencyReport Good = new(DateTimeOffset.UnixEpoch, 20, 30, 45, 120, 2);

    [Theory]
    [MemberData(nameof(BadReports))]
    public void ContextReports_FieldOutOfRange_ProblemNamesIt(string field, double mbps, double latencyMs, LatencyReport report)
    {
        var problem = ContextReportValidation.Declaration(mbps, latencyMs) ?? ContextReportValidation.Latency(report);

        Assert.NotNull(problem);
        Assert.StartsWith(field + ":", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ContextReports_Valid_Accepted()
    {
        Assert.Null(ContextReportValidation.Declaration(40, 2));
        Assert.Null(ContextReportValidation.Latency(Good));
        Assert.Null(ContextReportValidation.Subscription(new ContextSubscription("phone/m", TimeSpan.FromMinutes(2)), ContextLeases.MaxLease));
    }

    [Theory]
    [InlineData(0L, 1.0, "bytes:")]
    [InlineData(-5L, 1.0, "bytes:")]
    [InlineData(100L, double.NaN, "milliseconds:")]
    [InlineData(100L, -1.0, "milliseconds:")]
    [InlineData(100L, double.PositiveInfinity, "milliseconds:")]
    public void TransferSample_Unusable_ProblemNamesTheField(long bytes, double ms, string field)
    {
        Assert.StartsWith(field, ContextReportValidation.Transfer(new TransferSample(bytes, ms)), StringComparison.Ordinal);
        Assert.Null(ContextReportValidation.Transfer(new TransferSample(100, 0)));
    }

    [Theory]
    [InlineData(-1L, 0.0, "memoryBudgetBytes:")]
    [InlineData(0L, double.NaN, "computeBudgetFlops:")]
    [InlineData(null, -1.0, "computeBudgetFlops:")]
    public void Budgets_OutOfRange_ProblemNamesTheField(long? memory, double? flops, string field)
    {
        Assert.StartsWith(field, ContextReportValidation.Budgets(new DeviceBudgets(memory, flops)), StringComparison.Ordinal);
        Assert.Null(ContextReportValidation.Budgets(new DeviceBudgets(0, 0)));
        Assert.Null(ContextReportValidation.Budgets(new DeviceBudgets(null, null)));
    }

    [Fact]
    public void Subscription_DeploymentIdTooLong_RefusedNamingTheField()
    {
        var error = Assert.Throws<AdaMecException>(() => new ContextLeases().Renew(new ContextSubscription(new string('d', 257), TimeSpan.FromMinutes(1)), DateTimeOffset.UnixEpoch, "device edge1"));

        Assert.Equal(AdaMecErrorCode.InvalidContext, error.Code);
        Assert.Contains("subscription to device edge1: deployment: 257 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Subscriptions_BookFull_NewDeploymentRefusedKnownOnesRenew()
    {
        var leases = new ContextLeases();
        var now = DateTimeOffset.UnixEpoch;
        for (var i = 0; i < ContextLeases.MaxLeases; i++) leases.Renew(new ContextSubscription($"d{i}", TimeSpan.FromMinutes(1)), now, "link a->b");

        var error = Assert.Throws<AdaMecException>(() => leases.Renew(new ContextSubscription("one-more", TimeSpan.FromMinutes(1)), now, "link a->b"));
        var renewed = leases.Renew(new ContextSubscription("d7", TimeSpan.FromMinutes(2)), now, "link a->b");
        // Expired leases make room.
        var later = leases.Renew(new ContextSubscription("one-more", TimeSpan.FromMinutes(1)), now + TimeSpan.FromMinutes(1.5), "link a->b");

        Assert.Contains($"{ContextLeases.MaxLeases} live leases", error.Message, StringComparison.Ordinal);
        Assert.True(renewed);
        Assert.True(later);
        Assert.Equal(["d7", "one-more"], leases.Live(now + TimeSpan.FromMinutes(1.5)));
    }
}
