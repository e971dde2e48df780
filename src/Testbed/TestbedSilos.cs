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
    /// <param name="testbed">The testbed, up with its PostgreSQL.</param>
    /// <param name="siloDll">adamec-silo.dll.</param>
    /// <param name="budgets">Memory and compute budgets per device (none for a device not in it).</param>
    /// <param name="log">Told each silo as it starts.</param>
    /// <param name="strategy">The planner strategy (adamec-silo --strategy); null: the silo's default.</param>
    public static void Start(Testbed testbed, string siloDll, IReadOnlyDictionary<string, (double? MemoryBudgetMb, double? ComputeBudgetMflops)> budgets, Action<string>? log = null, string? strategy = null)
    {
        ArgumentNullException.ThrowIfNull(testbed);
        ArgumentNullException.ThrowIfNull(budgets);
        var state = testbed.State;
        var devices = state.Devices.Where(d => d.Present && d.Place.Id != state.Initiator).Select(d => d.Place.Id).ToList();
        foreach (var device in devices)
            StartOne(testbed, siloDll, device, budgets.TryGetValue(device, out var budget) ? budget : (null, null), log, strategy);
        WaitUntilActive(testbed, devices, JoinTimeout, log);
    }

    /// <summary>
    /// Starts the silo of one device (also one that joins later) without waiting for it to join; see
    /// <see cref="WaitUntilActive"/>.
    /// </summary>
    /// <returns>The silo's process id.</returns>
    public static int StartOne(Testbed testbed, string siloDll, string device, (double? MemoryBudgetMb, double? ComputeBudgetMflops) budget, Action<string>? log = null, string? strategy = null)
    {
        ArgumentNullException.ThrowIfNull(testbed);
        var state = testbed.State;
        var postgres = state.Postgres ?? throw new TestbedException("silos on the testbed need its PostgreSQL (testbed up without --no-postgres)");
        if (!File.Exists(siloDll)) throw new TestbedException($"adamec-silo not found at {siloDll}");
        if (device == state.Initiator) throw new TestbedException($"{device} is the initiator (the phone): a client, never a silo");
        var place = state.Devices.SingleOrDefault(d => d.Place.Id == device)?.Place ?? throw new TestbedException($"unknown device '{device}'");
        var folder = state.SilosFolder;
        var arguments = new List<string> { siloDll, "--device", device, "--clustering", "postgres", "--advertise", place.Address, "--cluster-id", ClusterId(state), "--cache", Path.Combine(folder, device, "cache") };
        if (budget.MemoryBudgetMb is { } memory) arguments.AddRange(["--memory-budget-mb", memory.ToString(CultureInfo.InvariantCulture)]);
        if (budget.ComputeBudgetMflops is { } compute) arguments.AddRange(["--compute-budget-mflops", compute.ToString(CultureInfo.InvariantCulture)]);
        if (strategy is not null) arguments.AddRange(["--strategy", strategy]);

        Directory.CreateDirectory(Path.Combine(folder, device));
        var logFile = Path.Combine(folder, device + ".log");
        // The connection string holds the database password: environment, not the command line that ps shows.
        var pid = testbed.Start(device, "silo", logFile, "dotnet", arguments, new Dictionary<string, string> { ["ADAMEC_Silo__Connection"] = postgres.ConnectionString });
        log?.Invoke($"silo {device}: started in {place.Namespace}, advertising {place.Address}; log {logFile}");
        return pid;
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

    /// <summary>Waits until the silos of <paramref name="devices"/> are active members; throws when one exits or <paramref name="timeout"/> passes.</summary>
    public static void WaitUntilActive(Testbed testbed, IReadOnlyCollection<string> devices, TimeSpan timeout, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(testbed);
        ArgumentNullException.ThrowIfNull(devices);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var active = Active(testbed.State);
            if (devices.All(active.Contains))
            {
                log?.Invoke($"silos active: {string.Join(", ", devices)}");
                return;
            }

            foreach (var process in testbed.State.Processes.Where(p => p.Role == "silo" && devices.Contains(p.Device) && !DeviceProcess.IsRunning(p.Pid) && testbed.Running(p.Device, "silo").Count == 0))
                throw new TestbedException($"the silo of {process.Device} exited while joining; the end of {process.Log}:\n{Tail(process.Log)}");
            if (DateTime.UtcNow > deadline)
                throw new TestbedException($"silos not active within {timeout.TotalSeconds:0} s: waiting for {string.Join(", ", devices.Except(active))}; logs in {Path.GetDirectoryName(testbed.State.Processes[0].Log)}");
            Thread.Sleep(500);
        }
    }

    private static string Tail(string path) => File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(15)) : "(no log)";
}
