using AdaMec.Client;
using AdaMec.Grains;
using AdaMec.Interfaces;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// Real membership and grain storage on real PostgreSQL with the project's schema scripts
/// (docker/postgres). Needs a server: see <see cref="PostgresDatabase"/>.
/// </summary>
public sealed class PostgresMembershipTests : IAsyncLifetime
{
    private const int Active = 3;
    private const int Dead = 6;
    private readonly PostgresDatabase _database = new();
    private string _connection = "";

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _connection = _database.Connection;
    }

    public Task DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Membership_TwoDeviceSilosOnPostgres_JoinServeAClientAndLeaveAsDead()
    {
        var hosts = new List<IHost>();
        try
        {
            foreach (var device in new[] { "pg-edge1", "pg-edge2" }) hosts.Add(await _database.StartSiloAsync(device));

            var rows = await MembersAsync();
            Assert.Equal(Active, rows["pg-edge1"]);
            Assert.Equal(Active, rows["pg-edge2"]);

            var options = new AdaMecClientOptions { PostgresConnection = _connection, ClusterId = _database.Name };
            await using (var client = await AdaMecClient.ConnectAsync(options))
            {
                foreach (var device in new[] { "pg-edge1", "pg-edge2" })
                    Assert.Equal(device, (await client.Cluster.GetGrain<IDeviceGrain>(device).GetStatusAsync()).DeviceId);
            }

            await hosts[1].StopAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while ((await MembersAsync()).GetValueOrDefault("pg-edge2") != Dead) await Task.Delay(100, timeout.Token);
            Assert.Equal(Active, (await MembersAsync())["pg-edge1"]);
        }
        finally
        {
            foreach (var host in hosts)
            {
                try { await host.StopAsync(); } catch (OperationCanceledException) { }
                host.Dispose();
            }
        }
    }

    [Fact]
    public async Task GrainStorage_SiloRestartsOnPostgres_DurableStateIsReadBack()
    {
        var first = await _database.StartSiloAsync("pg-store1");
        try
        {
            var options = new AdaMecClientOptions { PostgresConnection = _connection, ClusterId = _database.Name };
            await using var client = await AdaMecClient.ConnectAsync(options);
            var directory = client.Cluster.GetGrain<IDeploymentDirectoryGrain>(GrainKeys.Directory);
            await directory.RegisterAsync("phone/a");
            await directory.RegisterAsync("phone/b");
            await directory.UnregisterAsync("phone/a");
        }
        finally
        {
            await first.StopAsync();
            first.Dispose();
        }
        Assert.Equal(3, await _database.ScalarAsync<int>("SELECT Version FROM AdaMecGrainState WHERE GrainIdExtension = 'deployments'"));

        using var second = await _database.StartSiloAsync("pg-store2");
        try
        {
            var options = new AdaMecClientOptions { PostgresConnection = _connection, ClusterId = _database.Name };
            await using var client = await AdaMecClient.ConnectAsync(options);

            Assert.Equal(["phone/b"], await client.Cluster.GetGrain<IDeploymentDirectoryGrain>(GrainKeys.Directory).ListAsync());
        }
        finally
        {
            await second.StopAsync();
        }
    }

    /// <summary>Latest status per silo name (device id) in the membership table.</summary>
    private async Task<Dictionary<string, int>> MembersAsync()
    {
        await using var db = new NpgsqlConnection(_connection);
        await db.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT SiloName, Status FROM OrleansMembershipTable ORDER BY StartTime", db);
        await using var reader = await query.ExecuteReaderAsync();
        var rows = new Dictionary<string, int>();
        while (await reader.ReadAsync()) rows[reader.GetString(0)] = reader.GetInt32(1);
        return rows;
    }
}
