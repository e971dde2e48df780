using System.Globalization;
using System.Net.Sockets;
using AdaMec.Client;
using AdaMec.Grains;
using AdaMec.Interfaces;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// Real membership on real PostgreSQL with the project's schema script (docker/postgres). Needs a
/// server: scripts/test.sh installs and starts one; elsewhere set ADAMEC_TEST_POSTGRES to a
/// connection string of a user that may create databases.
/// </summary>
public sealed class PostgresMembershipTests : IAsyncLifetime
{
    private const int Active = 3;
    private const int Dead = 6;
    private static readonly string Server = Environment.GetEnvironmentVariable("ADAMEC_TEST_POSTGRES")
        ?? "Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres;Database=postgres";
    private readonly string _database = "adamec_test_" + Guid.NewGuid().ToString("N")[..10];
    private string _connection = "";

    public async Task InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(Server))
        {
            try
            {
                await admin.OpenAsync();
            }
            catch (Exception e) when (e is NpgsqlException or SocketException)
            {
                throw new InvalidOperationException($"PostgreSQL is not reachable at '{Server}' ({e.Message}). Run ./scripts/test.sh (it installs and starts it) or set ADAMEC_TEST_POSTGRES.", e);
            }
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", admin);
            await create.ExecuteNonQueryAsync();
        }
        _connection = new NpgsqlConnectionStringBuilder(Server) { Database = _database, Pooling = false }.ConnectionString;
        await using var db = new NpgsqlConnection(_connection);
        await db.OpenAsync();
        await using var schema = new NpgsqlCommand(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "adamec-clustering.sql")), db);
        await schema.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(Server);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Membership_TwoDeviceSilosOnPostgres_JoinServeAClientAndLeaveAsDead()
    {
        var hosts = new List<IHost>();
        try
        {
            foreach (var device in new[] { "pg-edge1", "pg-edge2" })
            {
                var settings = new Dictionary<string, string?>
                {
                    ["Device:Id"] = device,
                    ["Device:CacheDirectory"] = Path.Combine(Path.GetTempPath(), _database, device),
                    ["Silo:Clustering"] = "postgres",
                    ["Silo:Connection"] = _connection,
                    ["Silo:SiloPort"] = LoopbackPorts.Free().ToString(CultureInfo.InvariantCulture),
                    ["Silo:GatewayPort"] = LoopbackPorts.Free().ToString(CultureInfo.InvariantCulture),
                    ["Silo:ClusterId"] = _database,
                };
                var host = AdaMecSiloHost.Build(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), l => l.SetMinimumLevel(LogLevel.Warning));
                await host.StartAsync();
                hosts.Add(host);
            }

            var rows = await MembersAsync();
            Assert.Equal(Active, rows["pg-edge1"]);
            Assert.Equal(Active, rows["pg-edge2"]);

            var options = new AdaMecClientOptions { PostgresConnection = _connection, ClusterId = _database };
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
