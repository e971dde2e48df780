using System.Globalization;

namespace AdaMec.Testbed;

/// <summary>
/// Starts adamec-silo for each device of the testbed that is there at the start (the initiator excepted) on
/// the testbed's PostgreSQL, each advertising its device address so that silo-to-silo traffic crosses the
/// shaped links, and waits until all are active members of the cluster.
/// </summary>
public static class TestbedSilos
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The Orleans cluster id of a testbed's silos.</summary>
    public static string ClusterId(TestbedState state) => "testbed-" + state.Tag;

    /// <summary>Starts the silos; <paramref name="siloDll"/> is adamec-silo.dll, run with <c>dotnet</c>.</summary>
    public static void Start(Testbed testbed, string siloDll, IReadOnlyDictionary<string, (double? MemoryBudgetMb, double? ComputeBudgetMflops)> budgets, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(testbed);
        var state = testbed.State;
        var postgres = state.Postgres ?? throw new TestbedException("silos on the testbed need its PostgreSQL (testbed up without --no-postgres)");
        if (!File.Exists(siloDll)) throw new TestbedException($"adamec-silo not found at {siloDll}");
        var folder = state.SilosFolder;
        var devices = state.Devices.Where(d => d.Present && d.Place.Id != state.Initiator).ToList();
        foreach (var device in devices)
        {
            var id = device.Place.Id;
            var arguments = new List<string> { siloDll, "--device", id, "--clustering", "postgres", "--advertise", device.Place.Address, "--cluster-id", ClusterId(state), "--cache", Path.Combine(folder, id, "cache") };
            if (budgets.TryGetValue(id, out var budget))
            {
                if (budget.MemoryBudgetMb is { } memory) arguments.AddRange(["--memory-budget-mb", memory.ToString(CultureInfo.InvariantCulture)]);
                if (budget.ComputeBudgetMflops is { } compute) arguments.AddRange(["--compute-budget-mflops", compute.ToString(CultureInfo.InvariantCulture)]);
            }

            Directory.CreateDirectory(Path.Combine(folder, id));
            var logFile = Path.Combine(folder, id + ".log");
            // The connection string holds the database password: environment, not the command line that ps shows.
            testbed.Start(id, "silo", logFile, "dotnet", arguments, new Dictionary<string, string> { ["ADAMEC_Silo__Connection"] = postgres.ConnectionString });
            log?.Invoke($"silo {id}: started in {device.Place.Namespace}, advertising {device.Place.Address}; log {logFile}");
        }

        WaitUntilActive(testbed, devices.Select(d => d.Place.Id).ToList(), log);
    }

    /// <summary>The devices whose silos are active members now (membership table, status Active).</summary>
    public static IReadOnlyList<string> Active(TestbedState state) => Members(state).Select(m => m.Device).ToList();

    /// <summary>The active members now: device and the address it advertises.</summary>
    public static IReadOnlyList<(string Device, string Address)> Members(TestbedState state)
    {
        var postgres = state.Postgres ?? throw new TestbedException("the testbed has no PostgreSQL");
        var output = HostCommand.RunWithEnvironment("psql",
            ["-h", postgres.Address, "-p", postgres.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres", "-tA", "-c",
                $"SELECT siloname || ' ' || address FROM orleansmembershiptable WHERE deploymentid = '{ClusterId(state)}' AND status = 3 ORDER BY siloname"],
            ("PGPASSWORD", postgres.Password));
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ')).Select(p => (p[0], p[1])).ToList();
    }

    private static void WaitUntilActive(Testbed testbed, List<string> devices, Action<string>? log)
    {
        var deadline = DateTime.UtcNow + JoinTimeout;
        while (true)
        {
            var active = Active(testbed.State);
            if (devices.All(active.Contains))
            {
                log?.Invoke($"silos active: {string.Join(", ", devices)}");
                return;
            }

            foreach (var process in testbed.State.Processes.Where(p => p.Role == "silo" && !DeviceProcess.IsRunning(p.Pid)))
                throw new TestbedException($"the silo of {process.Device} exited while joining; the end of {process.Log}:\n{Tail(process.Log)}");
            if (DateTime.UtcNow > deadline)
                throw new TestbedException($"silos not active within {JoinTimeout.TotalSeconds:0} s: waiting for {string.Join(", ", devices.Except(active))}; logs in {Path.GetDirectoryName(testbed.State.Processes[0].Log)}");
            Thread.Sleep(500);
        }
    }

    private static string Tail(string path) => File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(15)) : "(no log)";
}
