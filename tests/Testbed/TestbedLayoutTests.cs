using AdaMec.Core.Scenarios;

namespace AdaMec.Testbed.Tests;

public sealed class TestbedLayoutTests
{
    [Fact]
    public void Layout_Table4Day_NamesFitLinuxLimitsAndAddressesAreDistinct()
    {
        var trace = ScenarioTraceJson.ReadFile(Path.Combine(AppContext.BaseDirectory, "scenarios", "table4-day.json"));
        var layout = new TestbedLayout("ab12", trace);

        Assert.All(layout.Links, l => Assert.True(l.VethA.Length <= 15 && l.VethB.Length <= 15, l.VethA));
        Assert.Equal(layout.Devices.Count, layout.Devices.Select(d => d.Address).Distinct().Count());
        Assert.All(layout.Devices, d => Assert.Contains("ab12", d.Namespace, StringComparison.Ordinal));
        Assert.Equal(layout.Link("edge-c", "phone"), layout.Link("phone", "edge-c"));
        Assert.Throws<TestbedException>(() => layout.Device("edge-z"));
        Assert.Throws<ArgumentException>(() => new TestbedLayout("has space", trace));
    }

    [Theory]
    [InlineData("33800Kbit", 33.8)]
    [InlineData("5Mbit", 5)]
    [InlineData("100bit", 0.0001)]
    [InlineData("1Gbit", 1000)]
    public void ParseRate_TcNotation_Mbps(string rate, double mbps) => Assert.Equal(mbps, NetworkFabric.ParseRate(rate), 9);
}
