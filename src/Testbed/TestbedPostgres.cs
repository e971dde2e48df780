using System.Globalization;
using System.Security.Cryptography;

namespace AdaMec.Testbed;

/// <summary>
/// A PostgreSQL server of one's own for Orleans membership and grain storage: a fresh cluster (initdb) run
/// as the postgres user, listening on one address only (the testbed's management bridge, or loopback at a
/// free port for `adamec bench faults`, which restarts it under traffic without touching a shared server),
/// with a password made for it, and the project's schema scripts applied. Its folder and process go with
/// <see cref="Stop"/> (<c>testbed down</c>).
/// </summary>
public static class TestbedPostgres
{
    /// <summary>The testbed's port on its management bridge.</summary>
    public const int Port = 5432;

    /// <summary>The schema scripts, shipped next to this assembly, in the order they are applied.</summary>
    public static readonly string[] Scripts = ["adamec-clustering.sql", "adamec-persistence.sql"];

    /// <summary>The folder of PostgreSQL's server programs (initdb, pg_ctl), or null with why not.</summary>
    public static string? BinFolder(out string? whyNot)
    {
        whyNot = null;
        const string Root = "/usr/lib/postgresql";
        var folder = Directory.Exists(Root)
            ? Directory.GetDirectories(Root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0).FirstOrDefault()
            : null;
        if (folder is null) whyNot = $"no PostgreSQL server programs under {Root} (Debian package 'postgresql'; scripts/test.sh installs it), or run with --no-postgres";
        else if (!HostCommand.TryRun("id", ["postgres"], out _, out _)) whyNot = "no 'postgres' user to run the server as";
        return whyNot is null ? folder : null;
    }

    /// <summary>
    /// Starts a server in <paramref name="folder"/> on 127.0.0.1 at a free port, taking password logins from
    /// loopback only; returns its record. Needs root (the server runs as the postgres user).
    /// </summary>
    public static PostgresState StartOnLoopback(string folder)
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return Start(folder, "127.0.0.1", "127.0.0.1/32", port);
    }

    /// <summary>
    /// Starts the server in <paramref name="folder"/>, listening on <paramref name="address"/>:<paramref name="port"/>
    /// and taking password logins from <paramref name="clients"/> (a CIDR: the management network) only; returns its record.
    /// </summary>
    public static PostgresState Start(string folder, string address, string clients, int port = Port)
    {
        var bin = BinFolder(out var why) ?? throw new TestbedException(why!);
        var data = Path.Combine(folder, "data");
        Directory.CreateDirectory(folder);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(18)).ToLowerInvariant();
        var passwordFile = Path.Combine(folder, "password");
        File.WriteAllText(passwordFile, password);
        HostCommand.Run("chown", "-R", "postgres:postgres", folder);
        HostCommand.Run("chmod", "700", folder);
        AsPostgres(Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "--pwfile=" + passwordFile, "--auth=scram-sha-256", "-E", "UTF8", "--no-instructions");
        File.Delete(passwordFile);
        File.AppendAllText(Path.Combine(data, "pg_hba.conf"), $"\n# adamec: the clients this server is for\nhost all postgres {clients} scram-sha-256\n");
        var state = new PostgresState(folder, address, port, password);
        StartServer(state);
        foreach (var script in Scripts)
            HostCommand.RunWithEnvironment("psql", ["-h", address, "-p", port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-f", Path.Combine(AppContext.BaseDirectory, script)],
                ("PGPASSWORD", password));
        return state;
    }

    /// <summary>
    /// Stops the server (fast shutdown: clients are disconnected), keeps it down for <paramref name="down"/> and
    /// starts it again on the same data, address and port: what a database reboot looks like to the cluster.
    /// </summary>
    public static async Task RestartAsync(PostgresState state, TimeSpan down, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var bin = BinFolder(out var why) ?? throw new TestbedException(why!);
        AsPostgres(Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(state.Folder, "data"), "-m", "fast", "-w", "-t", "30", "stop");
        await Task.Delay(down, cancellationToken);
        StartServer(state);
    }

    private static void StartServer(PostgresState state)
    {
        var bin = BinFolder(out var why) ?? throw new TestbedException(why!);
        var options = string.Create(CultureInfo.InvariantCulture, $"-c listen_addresses={state.Address} -p {state.Port} -k {state.Folder}");
        AsPostgres(Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(state.Folder, "data"), "-l", Path.Combine(state.Folder, "server.log"), "-o", options, "-w", "-t", "60", "start");
    }

    /// <summary>Stops the server (fast shutdown, then SIGKILL) and deletes its folder; no error when it is gone.</summary>
    public static void Stop(PostgresState state)
    {
        var data = Path.Combine(state.Folder, "data");
        var pidFile = Path.Combine(data, "postmaster.pid");
        if (File.Exists(pidFile) && BinFolder(out _) is { } bin
            && !HostCommand.TryRun("runuser", ["-u", "postgres", "--", Path.Combine(bin, "pg_ctl"), "-D", data, "-m", "fast", "-w", "-t", "30", "stop"], out _, out _)
            && File.Exists(pidFile)
            && int.TryParse(File.ReadLines(pidFile).First(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
        {
            HostCommand.TryRun("kill", ["-9", pid.ToString(CultureInfo.InvariantCulture)], out _, out _);
        }

        if (Directory.Exists(state.Folder)) Directory.Delete(state.Folder, recursive: true);
    }

    private static void AsPostgres(string file, params string[] arguments) => HostCommand.Run("runuser", ["-u", "postgres", "--", file, .. arguments]);
}

/// <summary>The testbed's PostgreSQL server: its folder, where it listens, and the password made for it.</summary>
public sealed record PostgresState(string Folder, string Address, int Port, string Password)
{
    /// <summary>The connection string silos and clients use (from a device's namespace, over the management network).</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"Host={Address};Port={Port};Username=postgres;Password={Password};Database=postgres");
}
