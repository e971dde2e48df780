using System.Diagnostics;
using System.Globalization;
using System.Text;
using AdaMec.Testbed;
using Npgsql;

namespace AdaMec.Bench.Faults;

/// <summary>A silo's row in the Orleans membership table.</summary>
/// <param name="Device">The silo's name (its device id).</param>
/// <param name="Endpoint">address:port@generation, one row per silo incarnation.</param>
/// <param name="Status">Orleans SiloStatus as stored: 3 active, 6 dead.</param>
/// <param name="IAmAlive">The silo's last liveness write.</param>
public sealed record MemberRow(string Device, string Endpoint, int Status, DateTime IAmAlive)
{
    /// <summary>SiloStatus.Active.</summary>
    public const int Active = 3;

    /// <summary>SiloStatus.Dead.</summary>
    public const int Dead = 6;
}

/// <summary>
/// Three real adamec-silo processes (edge1..edge3) on PostgreSQL membership and grain storage, the
/// PostgreSQL server a private one (<see cref="TestbedPostgres.StartOnLoopback"/>) so restarting it
/// hurts nobody else. The bench is the silos' supervisor: it kills, freezes, thaws and restarts them.
/// Dispose stops every process it started, the server, and deletes its folders.
/// </summary>
public sealed class FaultCluster : IAsyncDisposable
{
    /// <summary>The edge devices, one silo each.</summary>
    public static readonly IReadOnlyList<string> Devices = ["edge1", "edge2", "edge3"];

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly string _siloDll;
    private readonly string _root;
    private readonly string _postgresFolder;
    private readonly Dictionary<string, SiloRun> _silos = [];
    private readonly TextWriter _log;

    private FaultCluster(string siloDll, string root, string postgresFolder, PostgresState postgres, TextWriter log)
    {
        _siloDll = siloDll;
        _root = root;
        _postgresFolder = postgresFolder;
        Postgres = postgres;
        _log = log;
    }

    /// <summary>The private PostgreSQL server.</summary>
    public PostgresState Postgres { get; }

    /// <summary>The Orleans cluster id.</summary>
    public string ClusterId { get; } = "faults-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>The atom cache folder of <paramref name="device"/>.</summary>
    public string CacheOf(string device) => Path.Combine(_root, "cache-" + device);

    /// <summary>Null when the bench can run here; else why not (it needs root and PostgreSQL's server programs).</summary>
    public static string? WhyNot()
    {
        if (!OperatingSystem.IsLinux()) return "needs Linux (signals, a private PostgreSQL server)";
        if (Environment.UserName != "root") return "needs root: the private PostgreSQL server runs as the postgres user (runuser)";
        return TestbedPostgres.BinFolder(out var why) is null ? why : null;
    }

    /// <summary>Starts the PostgreSQL server and the three silos, and waits until all three are active.</summary>
    public static async Task<FaultCluster> StartAsync(string siloDll, TextWriter log, CancellationToken cancellationToken = default)
    {
        if (WhyNot() is { } why) throw new InvalidOperationException(why);
        if (!File.Exists(siloDll)) throw new FileNotFoundException($"no silo at {siloDll}", siloDll);
        var root = Directory.CreateTempSubdirectory("adamec-faults-").FullName;
        // Apart from the silos' caches: the server's folder belongs to the postgres user.
        var postgresFolder = Directory.CreateTempSubdirectory("adamec-faults-pg-").FullName;
        PostgresState postgres;
        try
        {
            postgres = TestbedPostgres.StartOnLoopback(postgresFolder);
        }
        catch
        {
            Directory.Delete(root, recursive: true);
            if (Directory.Exists(postgresFolder)) Directory.Delete(postgresFolder, recursive: true);
            throw;
        }
        var cluster = new FaultCluster(siloDll, root, postgresFolder, postgres, log);
        try
        {
            log.WriteLine($"faults: PostgreSQL on {postgres.Address}:{postgres.Port}, cluster {cluster.ClusterId}");
            foreach (var device in Devices) cluster.StartSilo(device);
            foreach (var device in Devices) await cluster.UntilActiveAsync(device, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts (or starts again) <paramref name="device"/>'s silo, on the same cache folder and fresh ports.</summary>
    public void StartSilo(string device)
    {
        if (_silos.TryGetValue(device, out var old))
        {
            if (!old.Process.HasExited) throw new InvalidOperationException($"{device}'s silo is still running");
            old.Process.Dispose();
        }
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            _siloDll, "--device", device, "--clustering", "postgres", "--cluster-id", ClusterId,
            "--silo-port", FreePort(), "--gateway-port", FreePort(), "--cache", CacheOf(device),
        }) start.ArgumentList.Add(arg);
        // The connection string carries the password: environment, not the command line.
        start.Environment["ADAMEC_Silo__Connection"] = Postgres.ConnectionString;
        start.Environment["ADAMEC_Logging__LogLevel__Default"] = Environment.GetEnvironmentVariable("ADAMEC_FAULTS_SILO_LOG_LEVEL") ?? "Warning";
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start adamec-silo");
        // ADAMEC_FAULTS_LOG_DIR keeps every incarnation's whole log (the report shows only the last lines).
        var logFile = Environment.GetEnvironmentVariable("ADAMEC_FAULTS_LOG_DIR") is { Length: > 0 } folder
            ? Path.Combine(Directory.CreateDirectory(folder).FullName, string.Create(CultureInfo.InvariantCulture, $"{device}-{DateTime.UtcNow:HHmmss}.log"))
            : null;
        var run = new SiloRun(process, DateTime.UtcNow, logFile);
        process.OutputDataReceived += (_, e) => run.Append(e.Data);
        process.ErrorDataReceived += (_, e) => run.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _silos[device] = run;
    }

    /// <summary>The running (or exited) process of <paramref name="device"/>'s silo.</summary>
    public Process ProcessOf(string device) => _silos[device].Process;

    /// <summary>What <paramref name="device"/>'s silo logged since it last started (warnings and errors).</summary>
    public string LogOf(string device) => _silos[device].Text();

    /// <summary>kill -9: the silo goes without a word to the cluster.</summary>
    public void Kill(string device)
    {
        var process = ProcessOf(device);
        process.Kill();
        process.WaitForExit(10_000);
    }

    /// <summary>SIGSTOP: a frozen board (its sockets stay open, nothing answers).</summary>
    public void Freeze(string device) => Signal(device, "STOP");

    /// <summary>SIGCONT: the board runs again.</summary>
    public void Thaw(string device) => Signal(device, "CONT");

    /// <summary>SIGTERM and wait: a clean shutdown (the silo tells the cluster it leaves).</summary>
    public async Task StopSiloAsync(string device, CancellationToken cancellationToken = default)
    {
        var process = ProcessOf(device);
        if (process.HasExited) return;
        Signal(device, "TERM");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill();
            await process.WaitForExitAsync(cancellationToken);
        }
    }

    /// <summary>The membership table's rows of this cluster.</summary>
    public async Task<IReadOnlyList<MemberRow>> MembersAsync(CancellationToken cancellationToken = default)
    {
        var connection = new NpgsqlConnectionStringBuilder(Postgres.ConnectionString) { Pooling = false, Timeout = 3 }.ConnectionString;
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync(cancellationToken);
        await using var query = new NpgsqlCommand("SELECT SiloName, Address, Port, Generation, Status, IAmAliveTime FROM OrleansMembershipTable WHERE DeploymentId = @id", db);
        query.Parameters.AddWithValue("id", ClusterId);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        var rows = new List<MemberRow>();
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new MemberRow(reader.GetString(0), string.Create(CultureInfo.InvariantCulture, $"{reader.GetString(1)}:{reader.GetInt32(2)}@{reader.GetInt32(3)}"),
                reader.GetInt32(4), reader.GetDateTime(5).ToUniversalTime()));
        return rows;
    }

    /// <summary>The membership rows of this cluster, or null while the server does not answer.</summary>
    public async Task<IReadOnlyList<MemberRow>?> TryMembersAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await MembersAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or IOException)
        {
            return null;
        }
    }

    /// <summary>Waits until the table shows <paramref name="device"/> active (the newest incarnation); fails when its process exits first.</summary>
    public async Task UntilActiveAsync(string device, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var run = _silos[device];
            if (run.Process.HasExited) throw new InvalidOperationException($"{device}'s silo exited ({run.Process.ExitCode}) before it became active:\n{run.Text()}");
            if (await TryMembersAsync(cancellationToken) is { } rows && rows.Any(r => r.Device == device && r.Status == MemberRow.Active && r.IAmAlive >= run.Started.AddSeconds(-5)))
                return;
            if (deadline.Elapsed > StartTimeout) throw new TimeoutException($"{device}'s silo was not active within {StartTimeout.TotalMinutes} minutes:\n{run.Text()}");
            await Task.Delay(200, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var run in _silos.Values)
        {
            try
            {
                if (!run.Process.HasExited) run.Process.Kill(); // SIGKILL ends a frozen (SIGSTOP) process too
                run.Process.WaitForExit(10_000);
            }
            catch (InvalidOperationException) { /* already gone */ }
            run.Process.Dispose();
        }
        _silos.Clear();
        try
        {
            TestbedPostgres.Stop(Postgres);
        }
        catch (Exception e) when (e is TestbedException or IOException)
        {
            _log.WriteLine($"faults: stopping the private PostgreSQL server failed: {e.Message}");
        }
        if (Directory.Exists(_postgresFolder)) Directory.Delete(_postgresFolder, recursive: true);
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
        await Task.CompletedTask;
    }

    private void Signal(string device, string signal)
    {
        var process = ProcessOf(device);
        if (process.HasExited) return;
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit();
        if (kill.ExitCode != 0 && !process.HasExited) throw new InvalidOperationException($"kill -{signal} {process.Id} ({device}) failed");
    }

    private static string FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>One incarnation of a silo process and what it logged (kept to the last 200 kB).</summary>
    private sealed class SiloRun(Process process, DateTime started, string? file)
    {
        private readonly StringBuilder _log = new();

        public Process Process { get; } = process;

        public DateTime Started { get; } = started;

        public void Append(string? line)
        {
            if (line is null) return;
            lock (_log)
            {
                if (file is not null) File.AppendAllText(file, line + "\n");
                _log.AppendLine(line);
                if (_log.Length > 200_000) _log.Remove(0, _log.Length - 100_000);
            }
        }

        public string Text()
        {
            lock (_log) return _log.ToString();
        }
    }
}
