using AdaMec.Client;
using TorchSharp;

namespace AdaMec.Cluster.Tests;

[Collection(SharedCluster.Name)]
public sealed class ClientThreadsTests(ThreeSiloCluster fixture)
{
    [Fact]
    public async Task InferenceThreads_Set_LocalAtomsRunWithThatManyLibtorchThreads()
    {
        var before = torch.get_num_threads();
        var wanted = before == 1 ? 2 : 1;
        try
        {
            await using var client = fixture.Client(o => o.InferenceThreads = wanted);

            Assert.Equal(wanted, torch.get_num_threads());
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    [Fact]
    public async Task InferenceThreads_Zero_ConnectRefusesNamingTheOption()
    {
        var options = new AdaMecClientOptions { InferenceThreads = 0 };
        options.Gateways.Add("127.0.0.1:30000");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => AdaMecClient.ConnectAsync(options));

        Assert.Contains("InferenceThreads", error.Message, StringComparison.Ordinal);
    }
}
