using System.Globalization;

namespace AdaMec.Testbed;

/// <summary>
/// The initiator (the phone) as a process of the testbed: <c>adamec client --json</c> in the initiator's
/// namespace and cgroups, finding the gateways in the testbed's membership table. It deploys an atoms folder
/// and sends a bounded number of requests, one JSON line each to its log (docs/testbed.md, "The phone").
/// </summary>
public static class TestbedPhone
{
    /// <summary>The process role recorded in the testbed's state.</summary>
    public const string Role = "phone";

    /// <summary>The CLI next to the running program (the CLI itself, or a test's output folder that references it).</summary>
    public static string DefaultCliDll => Path.Combine(AppContext.BaseDirectory, "adamec.dll");

    /// <summary>The phone's log: its JSON lines (stdout) and anything it writes to stderr.</summary>
    public static string LogPath(TestbedState state) => Path.Combine(state.SilosFolder, Role + ".log");

    /// <summary>Starts the phone; returns its process id. Its output goes to <see cref="LogPath"/>.</summary>
    /// <param name="testbed">The testbed, up with its PostgreSQL.</param>
    /// <param name="cliDll">adamec.dll, run with <c>dotnet</c>.</param>
    /// <param name="atoms">The atoms folder to deploy.</param>
    /// <param name="deploymentId">The deployment's id.</param>
    /// <param name="latencyMs">The latency requirement at the start, ms.</param>
    /// <param name="requests">How many requests at most (the loop is bounded; stopping it earlier is a kill between two requests).</param>
    /// <param name="intervalMs">Pause after each answer, ms.</param>
    public static int Start(Testbed testbed, string cliDll, string atoms, string deploymentId, double latencyMs, int requests, int intervalMs)
    {
        ArgumentNullException.ThrowIfNull(testbed);
        var state = testbed.State;
        var postgres = state.Postgres ?? throw new TestbedException("the phone finds the silos in the testbed's PostgreSQL (testbed up without --no-postgres)");
        if (!File.Exists(cliDll)) throw new TestbedException($"the adamec CLI (the phone's program) not found at {cliDll}");
        if (!Directory.Exists(atoms)) throw new TestbedException($"atoms folder {atoms} not found");
        if (requests < 1) throw new TestbedException($"requests must be at least 1, got {requests}");
        if (intervalMs < 0) throw new TestbedException($"intervalMs must be >= 0, got {intervalMs}");
        var phone = state.Devices.Single(d => d.Place.Id == state.Initiator);
        // libtorch threads: the cores the phone's quota gives it, so its own atoms run as the quota lets them.
        var threads = Math.Max(1, (int)Math.Ceiling(phone.Cpus));
        string[] arguments =
        [
            cliDll, "client", "--json", "--device", state.Initiator, "--cluster-id", TestbedSilos.ClusterId(state),
            "--atoms", Path.GetFullPath(atoms), "--deployment", deploymentId,
            "--latency-ms", latencyMs.ToString(CultureInfo.InvariantCulture),
            "--requests", requests.ToString(CultureInfo.InvariantCulture),
            "--interval-ms", intervalMs.ToString(CultureInfo.InvariantCulture),
            "--inference-threads", threads.ToString(CultureInfo.InvariantCulture),
        ];
        Directory.CreateDirectory(state.SilosFolder);
        // The connection string holds the database password: environment (adamec client reads it), not the command line.
        return testbed.Start(state.Initiator, Role, LogPath(state), "dotnet", arguments, new Dictionary<string, string> { [PostgresVariable] = postgres.ConnectionString });
    }

    /// <summary>The environment variable <c>adamec client</c> takes its --postgres from when the option is not given.</summary>
    public const string PostgresVariable = "ADAMEC_CLIENT_POSTGRES";
}
