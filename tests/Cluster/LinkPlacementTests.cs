using AdaMec.Interfaces;

namespace AdaMec.Cluster.Tests;

/// <summary>Has its own three-silo cluster: it stops one.</summary>
public sealed class LinkPlacementTests(ThreeSiloCluster fixture) : IClassFixture<ThreeSiloCluster>
{
    private static readonly string[] Remaining = ["mobile", "edge1", "edge2"];

    [Fact]
    public async Task DeclaredLinks_AnUnrelatedDeviceLeaves_EveryDeclarationSurvives()
    {
        var links = Remaining.SelectMany(from => Remaining.Where(to => to != from).Select(to => GrainKeys.Link(from, to))).ToArray();
        for (var i = 0; i < links.Length; i++) await Link(links[i]).DeclareAsync(10 + i, 1 + i);

        await fixture.Cluster.StopSiloAsync("edge3");

        // Six links placed anywhere would leave at least one on edge3 nine times in ten.
        for (var i = 0; i < links.Length; i++)
        {
            var estimate = await Link(links[i]).GetAsync();
            Assert.Equal(("declared", 10.0 + i, 1.0 + i), (estimate.Source, estimate.Mbps, estimate.LatencyMs));
        }
        // A link whose receiving device left and whose sender has no silo is placed on any silo.
        var gone = await Link(GrainKeys.Link("mobile", "edge3")).GetAsync();
        Assert.Equal("probing", gone.Source);
    }

    private ILinkGrain Link(string key) => fixture.Grains.GetGrain<ILinkGrain>(key);
}
