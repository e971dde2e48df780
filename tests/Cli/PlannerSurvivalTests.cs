using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AdaMec.Cluster.Tests;

namespace AdaMec.Cli.Tests;

/// <summary>
/// Acceptance: a planner survives its silo. Three `adamec-silo` processes on PostgreSQL membership
/// and ADO.NET grain storage, a client process deploying with a pinned plan and sending requests,
/// kill -9 of the silo hosting the deployment's planner; `adamec cluster status` then shows the same
/// pin and no shorter history from a planner re-activated on another silo, and every request succeeds.
/// </summary>
public sealed class PlannerSurvivalTests : IAsyncLifetime
{
    private static readonly string[] Devices = ["pg-edge1", "pg-edge2", "pg-edge3"];
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    private readonly PostgresDatabase _database = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("adamec-survival-").FullName;
    private readonly Dictionary<string, Process> _silos = [];
    private readonly List<Process> _others = [];

    public Task InitializeAsync() => _database.InitializeAsync();

    [Fact]
    public async Task Planner_SiloHostingItKilled_PinAndHistorySurviveAndRequestsSucceed()
    {
        var atoms = Path.Combine(_directory, "alexnet");
        var partition = AdamecProcess.Run("partition", "--model", "alexnet", "--out", atoms, "--latency", "flops");
        Assert.True(partition.ExitCode == 0, partition.Error);
        var atomCount = Directory.GetFiles(atoms, "*.amw").Length;
        foreach (var device in Devices) _silos[device] = StartSilo(device);
        await WaitForAsync(s => s.Devices.Count == Devices.Length, "three silos in the membership table");

        var pin = Enumerable.Range(0, atomCount).Select(i => Devices[i % Devices.Length]).ToArray();
        var client = Start("adamec.dll", ["client", "--postgres", _database.Connection, "--cluster-id", _database.Name, "--atoms", atoms,
            "--device", "phone", "--deployment", "survivor", "--pin", string.Join(',', pin), "--requests", "40", "--interval-ms", "500", "--json", "--check"]);
        _others.Add(client);
        var clientOut = client.StandardOutput.ReadToEndAsync();
        var clientError = client.StandardError.ReadToEndAsync();

        var before = await WaitForAsync(s => Find(s)?.Live.SequenceEqual(pin) == true, "the pinned plan live");
        var planner = Find(before)!;
        Assert.Equal(pin, planner.Pin);
        var victim = before.Devices.Single(d => d.Silo == planner.PlannerSilo).Id;
        _silos[victim].Kill(); // SIGKILL: no goodbye to the cluster, no state written on the way out

        var after = await WaitForAsync(s => Find(s) is { Error: null } d && d.PlannerSilo.Length > 0 && d.PlannerSilo != planner.PlannerSilo
            && s.Devices.All(x => x.Id != victim), $"the planner re-activated away from {victim}");
        var survivor = Find(after)!;
        Assert.Equal(pin, survivor.Pin);
        Assert.True(survivor.HistoryLength >= planner.HistoryLength, $"history {planner.HistoryLength} before the kill, {survivor.HistoryLength} after");

        Assert.True(client.WaitForExit(Patience), "the client did not finish its requests");
        var lines = (await clientOut).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.True(client.ExitCode == 0, await clientError + string.Join('\n', lines));
        var requests = lines.Where(l => !l.TryGetProperty("summary", out _)).ToList();
        Assert.Equal(40, requests.Count);
        Assert.All(requests, r => Assert.True(r.GetProperty("ok").GetBoolean() && r.GetProperty("maxRelDiff").GetDouble() < 1e-4, r.ToString()));
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _others.Concat(_silos.Values))
        {
            if (!process.HasExited) process.Kill();
            process.WaitForExit();
            process.Dispose();
        }
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private Process StartSilo(string device) =>
        Start("adamec-silo.dll", ["--device", device, "--clustering", "postgres", "--cluster-id", _database.Name,
            "--silo-port", FreePort(), "--gateway-port", FreePort(), "--cache", Path.Combine(_directory, "cache", device)],
            // The connection string carries a password: environment, not the command line.
            new Dictionary<string, string> { ["ADAMEC_Silo__Connection"] = _database.Connection, ["ADAMEC_Logging__LogLevel__Default"] = "Warning" });

    private static Process Start(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = Process.Start(start)!;
        if (program.StartsWith("adamec-silo", StringComparison.Ordinal))
        {
            // Silo logs are not read: drain them so a full pipe never blocks the silo.
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }
        return process;
    }

    private static string FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
    }

    private static DeploymentRow? Find(StatusReport status) => status.Deployments.SingleOrDefault(d => d.Id == "survivor");

    /// <summary>Polls `adamec cluster status --json` until <paramref name="done"/> holds.</summary>
    private async Task<StatusReport> WaitForAsync(Func<StatusReport, bool> done, string what)
    {
        var deadline = Stopwatch.StartNew();
        var last = "";
        while (deadline.Elapsed < Patience)
        {
            var result = await Task.Run(() => AdamecProcess.Run("cluster", "status", "--postgres", _database.Connection, "--cluster-id", _database.Name, "--json"));
            last = result.ExitCode == 0 ? result.Out : result.Error;
            if (result.ExitCode == 0 && JsonSerializer.Deserialize<StatusReport>(result.Out, Json) is { } status && done(status)) return status;
            await Task.Delay(500);
        }
        throw new TimeoutException($"no {what} within {Patience.TotalMinutes} minutes; last status: {last}");
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record StatusReport(List<DeviceRow> Devices, List<DeploymentRow> Deployments);

    private sealed record DeviceRow(string Id, string Silo);

    private sealed record DeploymentRow(string Id, List<string> Live, List<string>? Pin, string PlannerSilo, int HistoryLength, string? Error);
}
