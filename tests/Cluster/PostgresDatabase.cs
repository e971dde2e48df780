using System.Globalization;
using System.Net.Sockets;
using AdaMec.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// A fresh database on the test PostgreSQL server with the project's schema scripts (docker/postgres)
/// applied, dropped on dispose. The server: ADAMEC_TEST_POSTGRES (scripts/test.sh installs, starts
/// and sets it), a connection string of a user that may create databases.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    /// <summary>The schema scripts, in the order they are applied.</summary>
    public static readonly string[] Scripts = ["adamec-clustering.sql", "adamec-persistence.sql"];

    private static readonly string? Server = Environment.GetEnvironmentVariable("ADAMEC_TEST_POSTGRES");

    /// <summary>The database's name; also a good cluster id (unique per test).</summary>
    public string Name { get; } = "adamec_test_" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Connection string to the database (no pooling, so the drop is not held up).</summary>
    public string Connection { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (string.IsNullOrWhiteSpace(Server))
            throw new InvalidOperationException("ADAMEC_TEST_POSTGRES is not set. Run ./scripts/test.sh (it installs and starts PostgreSQL) or set it to a connection string of a user that may create databases.");
        await using (var admin = new NpgsqlConnection(Server))
        {
            try
            {
                await admin.OpenAsync();
            }
            catch (Exception e) when (e is NpgsqlException or SocketException)
            {
                throw new InvalidOperationException($"PostgreSQL is not reachable through ADAMEC_TEST_POSTGRES ({e.Message}). Run ./scripts/test.sh (it installs and starts it).", e);
            }
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        Connection = new NpgsqlConnectionStringBuilder(Server) { Database = Name, Pooling = false }.ConnectionString;
        await using var db = new NpgsqlConnection(Connection);
        await db.OpenAsync();
        foreach (var script in Scripts)
        {
            await using var schema = new NpgsqlCommand(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, script)), db);
            await schema.ExecuteNonQueryAsync();
        }
    }

    public async Task DisposeAsync()
    {
        var caches = Path.Combine(Path.GetTempPath(), Name);
        if (Directory.Exists(caches)) Directory.Delete(caches, recursive: true);
        NpgsqlConnection.ClearAllPools();
        if (string.IsNullOrWhiteSpace(Server)) return;
        await using var admin = new NpgsqlConnection(Server);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Starts a device's silo as adamec-silo would on this database: PostgreSQL membership and ADO.NET grain
    /// storage, cluster id = <see cref="Name"/>, free loopback ports, its atom cache under the temp folder.
    /// </summary>
    public async Task<IHost> StartSiloAsync(string device)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Device:Id"] = device,
            ["Device:CacheDirectory"] = Path.Combine(Path.GetTempPath(), Name, device),
            ["Silo:Clustering"] = SiloHostOptions.Postgres,
            ["Silo:Connection"] = Connection,
            ["Silo:SiloPort"] = LoopbackPorts.Free().ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = LoopbackPorts.Free().ToString(CultureInfo.InvariantCulture),
            ["Silo:ClusterId"] = Name,
        };
        var host = AdaMecSiloHost.Build(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), l => l.SetMinimumLevel(LogLevel.Warning));
        try
        {
            await host.StartAsync();
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Runs a scalar query against the database.</summary>
    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var db = new NpgsqlConnection(Connection);
        await db.OpenAsync();
        await using var query = new NpgsqlCommand(sql, db);
        var value = await query.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }
}
