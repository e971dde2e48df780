using AdaMec.Client;
using AdaMec.Grains;
using AdaMec.Interfaces;
using Microsoft.Extensions.Hosting;

namespace AdaMec.Cluster.Tests;

/// <summary>Device and link context on ADO.NET grain storage (PostgreSQL) across a silo restart. Needs a server: see <see cref="PostgresDatabase"/>.</summary>
public sealed class PostgresContextTests : IAsyncLifetime
{
    private const string Device = "pg-ctx";
    private readonly PostgresDatabase _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task ContextState_SiloRestartsOnPostgres_BudgetsDeclarationsAndLeasesAreReadBack()
    {
        var budgets = new DeviceBudgets(123_456_789, 4.5e9);
        var link = GrainKeys.Link("phone", Device);
        using (var first = await _database.StartSiloAsync(Device))
        {
            try
            {
                await using var client = await ConnectAsync();
                var device = client.Cluster.GetGrain<IDeviceGrain>(Device);
                await device.SubscribeAsync(new ContextSubscription("phone/model", TimeSpan.FromMinutes(5)));
                await device.SetBudgetsAsync(budgets);
                await client.Cluster.GetGrain<ILinkGrain>(link).SubscribeAsync(new ContextSubscription("phone/model", TimeSpan.FromMinutes(5)));
                await client.Cluster.GetGrain<ILinkGrain>(link).DeclareAsync(42, 3);
            }
            finally
            {
                await first.StopAsync();
            }
        }
        // Subscribing and setting: two writes each.
        Assert.Equal(2, await _database.ScalarAsync<int>($"SELECT Version FROM AdaMecGrainState WHERE GrainIdExtension = '{Device}'"));
        Assert.Equal(2, await _database.ScalarAsync<int>($"SELECT Version FROM AdaMecGrainState WHERE GrainIdExtension = '{link}'"));

        using var second = await _database.StartSiloAsync(Device);
        try
        {
            await using var client = await ConnectAsync();
            Assert.Equal(budgets, (await client.Cluster.GetGrain<IDeviceGrain>(Device).GetStatusAsync()).Budgets);
            var estimate = await client.Cluster.GetGrain<ILinkGrain>(link).GetAsync();
            Assert.Equal(("declared", 42.0, 3.0), (estimate.Source, estimate.Mbps, estimate.LatencyMs));
            Assert.True(estimate.AgeSeconds > 0, $"age {estimate.AgeSeconds}");
        }
        finally
        {
            await second.StopAsync();
        }
    }

    private Task<AdaMecClient> ConnectAsync() =>
        AdaMecClient.ConnectAsync(new AdaMecClientOptions { PostgresConnection = _database.Connection, ClusterId = _database.Name });
}
