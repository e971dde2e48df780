using AdaMec.Core.Planning;

namespace AdaMec.Core.Tests.Planning;

public sealed class PaperContextsTests
{
    private static readonly PlanningAtom[] Atoms =
    [
        new("a1", 3e8, 1e6, 2e6, 1e5, new Dictionary<string, double> { ["DA"] = 3000, ["DB"] = 900, ["DC"] = 300 }),
        new("a2", 4e8, 5e7, 6e7, 4e3, new Dictionary<string, double> { ["DA"] = 4000, ["DB"] = 1200, ["DC"] = 400 }),
    ];

    [Fact]
    public void Table4_SixContexts_MatchThePaper()
    {
        var table = PaperContexts.Table4;

        Assert.Equal([10_000.0, 11_000, 11_000, 11_000, 11_000, 11_000], table.Select(c => c.LatencyRequirementMs));
        Assert.Equal([33.8, 11.2, 25.6, 40.3, 38.9, 35.5], table.Select(c => c.BandwidthMbps));
        Assert.Equal([300e6, 300e6, 300e6, 150e6, 300e6, 300e6], table.Select(c => c.MemoryBudgetBytes));
        Assert.Equal([550e6, 550e6, 450e6, 450e6, 550e6, 550e6], table.Select(c => c.ComputeBudgetFlops));
        Assert.Equal([2, 2, 2, 2, 3, 2], table.Select(c => c.Devices.Count));
    }

    [Fact]
    public void ToProblem_TwoDeviceContext_DropsDeviceCAndBudgetsDeviceB()
    {
        var problem = PaperContexts.ToProblem(PaperContexts.Table4[3], Atoms, 150528,
            current: new Dictionary<string, string> { ["a1"] = "DC" });

        Assert.Equal(["DA", "DB"], problem.Devices.Select(d => d.Id));
        Assert.True(problem.Devices[0].IsInitiator);
        Assert.Equal(150e6, problem.Devices[1].MemoryBudgetBytes);
        Assert.Equal(450e6, problem.Devices[1].ComputeBudgetFlops);
        Assert.All(problem.Links, l => Assert.Equal(40.3, l.Mbps));
        Assert.Equal(2, problem.Links.Count);
        Assert.False(problem.Atoms[0].LatencyMs.ContainsKey("DC"));
        Assert.Equal([0, 0], problem.Current); // DC left: its atoms restart on the initiator
    }

    [Fact]
    public void WriteTable4Problems_WritesReadableFiles()
    {
        var directory = Path.Combine(Path.GetTempPath(), "adamec-table4-" + Guid.NewGuid().ToString("N"));
        try
        {
            var paths = PaperContexts.WriteTable4Problems(directory, "toy", Atoms, 150528);

            Assert.Equal(6, paths.Count);
            Assert.EndsWith("toy-table4-1100.json", paths[4], StringComparison.Ordinal);
            Assert.Equal(3, PlanningProblemJson.ReadFile(paths[4]).Devices.Count);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
