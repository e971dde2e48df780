using AdaMec.Core.Scenarios;
using Xunit.Abstractions;

namespace AdaMec.Testbed.Tests;

public sealed class TestbedTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _state = Path.Combine(Path.GetTempPath(), $"adamec-testbed-{Guid.NewGuid():N}.json");
    private readonly string _secondState = Path.Combine(Path.GetTempPath(), $"adamec-testbed-{Guid.NewGuid():N}.json");

    private static ScenarioTrace Shipped(string name) => ScenarioTraceJson.ReadFile(Path.Combine(AppContext.BaseDirectory, "scenarios", name + ".json"));

    [SkippableFact]
    public void Up_LinkTrace_EachDeviceHasItsNamespaceAndTheTracesLimitsAndEveryLinkIsShaped()
    {
        SkipUnlessPossible();
        var trace = Shipped("link");
        var testbed = Testbed.Up(trace, "link.json", _state);

        var status = testbed.Status();
        Assert.Equal("real", status.Mode);
        foreach (var device in trace.Devices)
        {
            var held = status.Devices.Single(d => d.Id == device.Id);
            Assert.True(held.NamespaceExists, $"{device.Id}: no namespace");
            Assert.Equal(device.Cpus, held.Cpus!.Value, 3);
            Assert.Equal(device.MemoryLimitMb, held.MemoryLimitMb!.Value, 0);
        }

        Assert.All(status.Links, l => Assert.Equal((40.0, 40.0), (l.MbpsAToB!.Value, l.MbpsBToA!.Value)));
    }

    [SkippableFact]
    public async Task Shape_LinkRateChanges_MeasuredTcpRateFollowsWithin15Percent()
    {
        SkipUnlessPossible();
        var testbed = Testbed.Up(Shipped("link"), "link.json", _state);
        var phone = testbed.State.Devices.Single(d => d.Place.Id == "phone").Place;
        var edge = testbed.State.Devices.Single(d => d.Place.Id == "edge-b").Place;

        foreach (var mbps in new[] { 20.0, 5.0 })
        {
            testbed.Shape("phone", "edge-b", mbps, null);
            var there = await NamespaceSockets.MedianMbpsAsync(phone.Namespace, edge.Namespace, edge.Address, (int)(mbps * 1e6 / 8 * 1.5));
            var back = await NamespaceSockets.MedianMbpsAsync(edge.Namespace, phone.Namespace, phone.Address, (int)(mbps * 1e6 / 8 * 1.5));
            output.WriteLine($"{mbps} Mbps shaped: {there:0.00} Mbps phone->edge-b, {back:0.00} Mbps back");
            Assert.InRange(there, mbps * 0.85, mbps * 1.15);
            Assert.InRange(back, mbps * 0.85, mbps * 1.15);
        }
    }

    [SkippableFact]
    public void PeakMemory_ProcessAllocatesInADevicesCgroup_PeakCoversItAndAResetStartsAfresh()
    {
        SkipUnlessPossible();
        var testbed = Testbed.Up(Shipped("link"), "link.json", _state);
        var edge = testbed.State.Devices.Single(d => d.Place.Id == "edge-b").Place;
        // The process joins the cgroup first and allocates when told: what it allocates is charged to edge-b.
        var start = new System.Diagnostics.ProcessStartInfo("python3", ["-c", "import sys, time; sys.stdin.readline(); b = bytearray(80_000_000); time.sleep(0.5)"]) { RedirectStandardInput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        Cgroups.Detect(out _)!.Add(edge.Cgroup, process.Id);
        var before = testbed.PeakMemory()["edge-b"];
        process.StandardInput.WriteLine();
        Assert.True(process.WaitForExit(20_000), "the allocating process did not end");

        var peak = testbed.PeakMemory();
        var reset = testbed.ResetPeakMemory();
        var after = testbed.PeakMemory()["edge-b"];
        output.WriteLine($"edge-b peak {before / 1e6:0.0} MB before the allocation, {peak["edge-b"] / 1e6:0.0} MB after, {after / 1e6:0.0} MB after the reset ({testbed.CgroupVersion})");

        Assert.Equal(testbed.State.Devices.Select(d => d.Place.Id).Order(StringComparer.Ordinal), peak.Keys);
        Assert.True(peak["edge-b"] >= before + 80_000_000, $"edge-b's peak {peak["edge-b"]} bytes does not cover an 80 MB allocation ({before} before)");
        if (testbed.CgroupVersion == "v1")
        {
            Assert.True(reset);
            Assert.True(after < 40_000_000, $"edge-b's peak is {after} bytes after the reset, with nothing running");
        }
    }

    [SkippableFact]
    public void Limits_CpuAndMemoryChanged_TheKernelHoldsTheNewValues()
    {
        SkipUnlessPossible();
        var testbed = Testbed.Up(Shipped("cpu-quota"), "cpu-quota.json", _state);

        testbed.SetCpus("edge-c", 0.25);
        testbed.SetMemoryLimit("edge-c", 700);

        var edge = testbed.Status().Devices.Single(d => d.Id == "edge-c");
        Assert.Equal(0.25, edge.Cpus!.Value, 3);
        Assert.Equal(700, edge.MemoryLimitMb!.Value, 0);
        Assert.Throws<TestbedException>(() => testbed.SetCpus("edge-z", 1));
        Assert.Throws<TestbedException>(() => testbed.SetMemoryLimit("edge-c", double.NaN));
        Assert.Throws<TestbedException>(() => testbed.Shape("phone", "nowhere", 5, null));
    }

    [SkippableFact]
    public void Down_FromTheStateFileAlone_LeavesNoNamespaceVethOrCgroupBehind()
    {
        SkipUnlessPossible();
        var tag = Testbed.Up(Shipped("table4-day"), "table4-day.json", _state).State.Tag;
        // A process in a device's cgroup, as a silo would be: down kills it before removing the cgroup.
        var opened = Testbed.Open(_state);
        using var sleeper = System.Diagnostics.Process.Start("sleep", "60");
        Cgroups.Detect(out _)!.Add(opened.State.Devices[1].Place.Cgroup, sleeper.Id);

        var removed = Testbed.Down(_state);

        Assert.Contains(removed, r => r.StartsWith($"process {sleeper.Id}", StringComparison.Ordinal));
        Assert.True(sleeper.WaitForExit(5000));
        Assert.False(File.Exists(_state));
        Assert.DoesNotContain(tag, File.ReadAllText("/proc/net/dev"), StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetFiles("/run/netns"), n => n.Contains(tag, StringComparison.Ordinal));
        Assert.False(Cgroups.Detect(out _)!.Exists(opened.State.CgroupRoot));
    }

    [SkippableFact]
    public void Down_StateRecordsThingsNeverMade_RemovesWhatExistsAndSkipsTheRest()
    {
        SkipUnlessPossible();
        var testbed = Testbed.Up(Shipped("link"), "link.json", _state);
        // As if 'up' had been killed after recording a device and before making it.
        testbed.State.Devices.Add(new DeviceState(new DevicePlace("ghost", $"adamec-{testbed.State.Tag}-ghost", "10.77.0.9", $"{testbed.State.CgroupRoot}/ghost"), 1, 100, true));
        testbed.State.Write(_state);

        var removed = Testbed.Down(_state);

        Assert.Equal(3, removed.Count(r => r.StartsWith("namespace", StringComparison.Ordinal)));
        Assert.DoesNotContain(removed, r => r.Contains("ghost", StringComparison.Ordinal));
        Assert.False(File.Exists(_state));
    }

    [SkippableFact]
    public void Up_StateFileAlreadyThere_RefusedWithoutTouchingIt()
    {
        SkipUnlessPossible();
        Testbed.Up(Shipped("link"), "link.json", _state);
        var before = File.ReadAllText(_state);

        var error = Assert.Throws<TestbedException>(() => Testbed.Up(Shipped("link"), "link.json", _state));

        Assert.Contains("testbed down", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(_state));
    }

    [SkippableFact]
    public void Up_WithPostgres_EveryDeviceReachesTheSchemaOverTheManagementNetworkAndDownStopsTheServer()
    {
        SkipUnlessPossible();
        Skip.If(TestbedPostgres.BinFolder(out var why) is null, why);
        var testbed = Testbed.Up(Shipped("leave"), "leave.json", _state, postgres: true);
        var postgres = testbed.State.Postgres!;
        Assert.StartsWith("PostgreSQL", testbed.Status().Database, StringComparison.Ordinal);
        if (OperatingSystem.IsLinux()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_state)); // it holds the password

        foreach (var device in testbed.State.Devices)
        {
            var rows = HostCommand.RunWithEnvironment("ip", ["netns", "exec", device.Place.Namespace, "psql", "-h", postgres.Address, "-U", "postgres", "-d", "postgres", "-tA",
                "-c", "SELECT count(*) FROM orleansmembershiptable"], ("PGPASSWORD", postgres.Password));
            Assert.Equal("0", rows.Trim());
        }

        var removed = Testbed.Down(_state);

        Assert.Contains(removed, r => r.StartsWith("PostgreSQL server", StringComparison.Ordinal));
        Assert.Contains(removed, r => r.StartsWith("bridge", StringComparison.Ordinal));
        Assert.False(Directory.Exists(postgres.Folder));
        Assert.False(ManagementNetwork.Exists(testbed.State.Management!.Bridge));
        Assert.False(HostCommand.TryRun("psql", ["-h", postgres.Address, "-U", "postgres", "-c", "SELECT 1"], out _, out _, ("PGPASSWORD", postgres.Password), ("PGCONNECT_TIMEOUT", "2")));
    }

    [SkippableFact]
    public void Silos_OnThePostgresTestbed_EachJoinsInItsCgroupAdvertisingItsDeviceAddressAndDownStopsThem()
    {
        SkipUnlessPossible();
        Skip.If(TestbedPostgres.BinFolder(out var why) is null, why);
        var testbed = Testbed.Up(Shipped("leave"), "leave.json", _state, postgres: true);

        TestbedSilos.Start(testbed, Path.Combine(AppContext.BaseDirectory, "adamec-silo.dll"), new Dictionary<string, (double?, double?)>(), output.WriteLine);

        var members = TestbedSilos.Members(testbed.State);
        Assert.Equal(["edge-b", "edge-c"], members.Select(m => m.Device));
        Assert.All(members, m => Assert.Equal(testbed.State.Devices.Single(d => d.Place.Id == m.Device).Place.Address, m.Address));
        var cgroups = Cgroups.Detect(out _)!;
        foreach (var silo in testbed.State.Processes)
            Assert.Contains(silo.Pid, cgroups.Processes(testbed.State.Devices.Single(d => d.Place.Id == silo.Device).Place.Cgroup));

        Testbed.Down(_state);

        Assert.All(testbed.State.Processes, p => Assert.False(DeviceProcess.IsRunning(p.Pid), $"silo of {p.Device} still runs"));
    }

    [SkippableFact]
    public void RouteDevicesFromHost_TwoTestbedsUpAtOnce_EachRoutesItsOwnDeviceAddressesOverItsOwnBridge()
    {
        SkipUnlessPossible();
        Skip.If(TestbedPostgres.BinFolder(out var why) is null, why);
        var first = Testbed.Up(Shipped("leave"), "leave.json", _state, postgres: true);
        first.RouteDevicesFromHost();
        var second = Testbed.Up(Shipped("leave"), "leave.json", _secondState, postgres: true);
        second.RouteDevicesFromHost();

        Assert.Empty(first.State.Devices.Select(d => d.Place.Address).Intersect(second.State.Devices.Select(d => d.Place.Address)));
        foreach (var testbed in new[] { first, second })
        foreach (var device in testbed.State.Devices)
            Assert.Contains($"dev {testbed.State.Management!.Bridge}", HostCommand.Run("ip", "route", "get", device.Place.Address), StringComparison.Ordinal);

        Testbed.Down(_secondState);
        Testbed.Down(_state);
        var routes = HostCommand.Run("ip", "-4", "route", "show");
        Assert.All(first.State.Devices.Concat(second.State.Devices), d => Assert.DoesNotContain(d.Place.Address + " ", routes, StringComparison.Ordinal));
    }

    [Fact]
    public void Open_NoStateFile_SaysNoTestbedIsUp()
    {
        var error = Assert.Throws<TestbedException>(() => Testbed.Open(_state));
        Assert.Contains("no testbed is up", error.Message, StringComparison.Ordinal);
    }

    private static void SkipUnlessPossible()
    {
        var why = Testbed.WhyNot();
        Skip.If(why is not null, why);
    }

    public void Dispose()
    {
        if (File.Exists(_secondState)) Testbed.Down(_secondState);
        if (File.Exists(_state)) Testbed.Down(_state);
    }
}
