using AdaMec.Core.Scenarios;

namespace AdaMec.Testbed;

/// <summary>
/// A testbed on this machine for a scenario trace: a network namespace and a cgroup (CPU quota, memory limit)
/// per device, the trace's links as shaped veth pairs. <see cref="Up"/> makes it, <see cref="Open"/> finds it
/// again from its state file, <see cref="Down"/> removes everything it made, also after a crash.
/// </summary>
public sealed class Testbed
{
    private readonly string _statePath;
    private readonly Cgroups _cgroups;

    private Testbed(string statePath, TestbedState state, Cgroups cgroups)
    {
        _statePath = statePath;
        State = state;
        _cgroups = cgroups;
    }

    /// <summary>The default state file: under /run, which a reboot clears together with the namespaces.</summary>
    public static string DefaultStatePath => "/run/adamec/testbed.json";

    public TestbedState State { get; }

    /// <summary>Null when this machine can host a real testbed; else why not (then a caller falls back to emulation and says so).</summary>
    public static string? WhyNot()
    {
        if (NetworkFabric.WhyNot() is { } network) return network;
        return Cgroups.Detect(out var why) is null ? why : null;
    }

    /// <summary>Makes the testbed for <paramref name="trace"/>; on failure removes what it made and rethrows.</summary>
    /// <param name="trace">The scenario: devices with their limits, links with their rates.</param>
    /// <param name="traceName">The trace's file or name, recorded in the state.</param>
    /// <param name="statePath">The state file; refused when a testbed is already recorded there.</param>
    /// <param name="postgres">Also start a PostgreSQL server of the testbed's own on a management network.</param>
    /// <param name="log">Told each thing as it is made.</param>
    public static Testbed Up(ScenarioTrace trace, string traceName, string statePath, bool postgres = false, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        if (WhyNot() is { } why) throw new TestbedException($"cannot make a real testbed here: {why}");
        if (postgres && TestbedPostgres.BinFolder(out var noPostgres) is null) throw new TestbedException($"cannot start the testbed's PostgreSQL: {noPostgres}");
        if (File.Exists(statePath)) throw new TestbedException($"a testbed is already recorded in {statePath}: run 'adamec testbed down' first");
        var cgroups = Cgroups.Detect(out _)!;
        var layout = new TestbedLayout(TestbedLayout.NewTag(), trace, NetworkFabric.FreeDeviceSubnet());
        var state = new TestbedState { Tag = layout.Tag, Trace = traceName, CgroupVersion = cgroups.Version, CgroupRoot = layout.CgroupRoot, Initiator = trace.Initiator.Id };
        var testbed = new Testbed(statePath, state, cgroups);
        try
        {
            foreach (var (device, place) in trace.Devices.Zip(layout.Devices))
            {
                state.Devices.Add(new DeviceState(place, device.Cpus, device.MemoryLimitMb, device.Present));
                state.Write(statePath);
                NetworkFabric.AddDevice(place);
                cgroups.Create(place.Cgroup);
                cgroups.SetCpus(place.Cgroup, device.Cpus);
                cgroups.SetMemoryLimit(place.Cgroup, Bytes(device.MemoryLimitMb));
                log?.Invoke($"device {device.Id}: namespace {place.Namespace}, address {place.Address}, cgroup {cgroups.Version} {place.Cgroup} ({device.Cpus:0.##} CPUs, {device.MemoryLimitMb:0} MB)");
            }

            foreach (var (link, place) in trace.Links.Zip(layout.Links))
            {
                state.Links.Add(new LinkState(place, link.Mbps, link.DelayMs));
                state.Write(statePath);
                NetworkFabric.AddLink(place, layout.Device(link.A), layout.Device(link.B));
                testbed.ApplyShaping(state.Links.Count - 1);
                log?.Invoke($"link {link.A} <-> {link.B}: veth {place.VethA}/{place.VethB}, {link.Mbps:0.###} Mbps each way{DelayNote(link.DelayMs, state)}");
            }

            if (postgres) StartPostgres(state, statePath, log);
            state.Write(statePath);
            return testbed;
        }
        catch (Exception e) when (e is TestbedException or IOException or UnauthorizedAccessException)
        {
            try
            {
                Down(statePath);
            }
            catch (Exception cleanup) when (cleanup is TestbedException or IOException or UnauthorizedAccessException)
            {
                // Say both: why up failed, and that something it made is still there.
                throw new TestbedException($"{e.Message} (removing what was made also failed: {cleanup.Message}; run 'adamec testbed down --state {statePath}')", e);
            }

            throw;
        }
    }

    private static void StartPostgres(TestbedState state, string statePath, Action<string>? log)
    {
        state.Management = new ManagementState($"am{state.Tag}br", ManagementNetwork.FreeSubnet());
        state.Write(statePath);
        ManagementNetwork.AddBridge(state.Management.Bridge, state.Management.Subnet);
        for (var i = 0; i < state.Devices.Count; i++)
            ManagementNetwork.AddDevice(state.Management.Bridge, ManagementNetwork.HostVeth(state.Tag, i), state.Devices[i].Place.Namespace, ManagementAddress(state.Management, i));
        log?.Invoke($"management network: bridge {state.Management.Bridge} {state.Management.Subnet}.1/24, not shaped, for the membership database only");

        var folder = state.PostgresFolder;
        state.Postgres = new PostgresState(folder, state.Management.Subnet + ".1", TestbedPostgres.Port, "");
        state.Write(statePath);
        state.Postgres = TestbedPostgres.Start(folder, state.Postgres.Address, state.Management.Subnet + ".0/24");
        state.Write(statePath);
        log?.Invoke($"PostgreSQL: {state.Postgres.Address}:{state.Postgres.Port} (its own cluster in {folder}, a password made for this testbed, AdaMec's schema applied)");
    }

    /// <summary>Device <paramref name="index"/>'s address on the management network.</summary>
    public static string ManagementAddress(ManagementState management, int index) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{management.Subnet}.{index + 2}");

    /// <summary>The testbed recorded in <paramref name="statePath"/>.</summary>
    public static Testbed Open(string statePath)
    {
        var state = TestbedState.Read(statePath);
        var cgroups = Cgroups.Detect(out var why) ?? throw new TestbedException($"the testbed in {statePath} uses cgroups, which are not usable now: {why}");
        if (cgroups.Version != state.CgroupVersion) throw new TestbedException($"the testbed in {statePath} uses cgroup {state.CgroupVersion}, this machine has {cgroups.Version}");
        return new Testbed(statePath, state, cgroups);
    }

    /// <summary>Re-shapes the link between <paramref name="a"/> and <paramref name="b"/> (both directions).</summary>
    /// <returns>False when a delay was asked for and not applied (no netem).</returns>
    public bool Shape(string a, string b, double? mbps, double? delayMs)
    {
        var index = State.Links.FindIndex(l => (l.Place.A == a && l.Place.B == b) || (l.Place.A == b && l.Place.B == a));
        if (index < 0) throw new TestbedException($"no link joins {a} and {b}");
        if (mbps is { } m && !(double.IsFinite(m) && m > 0)) throw new TestbedException($"mbps must be a finite number > 0, got {m}");
        if (delayMs is { } d && !(double.IsFinite(d) && d >= 0)) throw new TestbedException($"delayMs must be a finite number >= 0, got {d}");
        State.Links[index] = State.Links[index] with { Mbps = mbps ?? State.Links[index].Mbps, DelayMs = delayMs ?? State.Links[index].DelayMs };
        var applied = ApplyShaping(index);
        State.Write(_statePath);
        return applied;
    }

    /// <summary>Bytes that have crossed the link between <paramref name="a"/> and <paramref name="b"/> so far, both directions (veth counters).</summary>
    public long LinkBytes(string a, string b)
    {
        var link = State.Links.Find(l => (l.Place.A == a && l.Place.B == b) || (l.Place.A == b && l.Place.B == a)) ?? throw new TestbedException($"no link joins {a} and {b}");
        return NetworkFabric.SentBytes(NamespaceOf(link.Place.A), link.Place.VethA) + NetworkFabric.SentBytes(NamespaceOf(link.Place.B), link.Place.VethB);
    }

    /// <summary>
    /// Starts <paramref name="file"/> as device <paramref name="device"/>: in its namespace and cgroups, output
    /// appended to <paramref name="log"/>; recorded in the state (before it starts) so down stops it.
    /// </summary>
    /// <returns>The process id.</returns>
    public int Start(string device, string role, string log, string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var place = State.Devices[DeviceIndex(device)].Place;
        var pid = DeviceProcess.Start(_cgroups.ProcsFiles(place.Cgroup), place.Namespace, log, file, arguments, environment);
        State.Processes.Add(new ProcessState(device, pid, role, log));
        State.Write(_statePath);
        return pid;
    }

    /// <summary>
    /// Routes each device address from the host's namespace over the management network, so a process here (an
    /// orchestrator's Orleans client) reaches the gateways the silos advertise. Device-to-device traffic is not
    /// affected: it never leaves the devices' namespaces. The routes go with the bridge at <see cref="Down"/>.
    /// </summary>
    /// <exception cref="TestbedException">No management network, or another testbed's routes hold the addresses.</exception>
    public void RouteDevicesFromHost()
    {
        var management = State.Management ?? throw new TestbedException("routes from the host go over the management network: testbed up without --no-postgres");
        for (var i = 0; i < State.Devices.Count; i++)
        {
            var address = State.Devices[i].Place.Address;
            if (!HostCommand.TryRun("ip", ["route", "add", address + "/32", "via", ManagementAddress(management, i), "dev", management.Bridge], out _, out var error))
                throw new TestbedException($"cannot route {address} from the host over {management.Bridge}: {error} (is another testbed with routes from the host up? 'adamec testbed down' it first)");
        }
    }

    /// <summary>The processes of <paramref name="role"/> started for <paramref name="device"/> that still run, newest first.</summary>
    public IReadOnlyList<int> Running(string device, string role) =>
        State.Processes.Where(p => p.Device == device && p.Role == role && DeviceProcess.IsRunning(p.Pid)).Select(p => p.Pid).Reverse().ToList();

    /// <summary>True while process <paramref name="pid"/> runs (a zombie counts as gone).</summary>
    public static bool IsRunning(int pid) => DeviceProcess.IsRunning(pid);

    /// <summary>
    /// Sends <paramref name="signal"/> (TERM, KILL, STOP, CONT, INT) to a process this testbed started; false when it no longer runs.
    /// </summary>
    public bool Signal(int pid, string signal)
    {
        if (signal is not ("TERM" or "KILL" or "STOP" or "CONT" or "INT")) throw new ArgumentException($"signal must be TERM, KILL, STOP, CONT or INT, got '{signal}'", nameof(signal));
        if (!State.Processes.Any(p => p.Pid == pid)) throw new TestbedException($"process {pid} was not started by testbed {State.Tag}");
        if (!DeviceProcess.IsRunning(pid)) return false;
        return HostCommand.TryRun("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], out _, out _);
    }

    /// <summary>Sets a device's CPU quota, cores.</summary>
    public void SetCpus(string device, double cpus)
    {
        if (!(double.IsFinite(cpus) && cpus > 0)) throw new TestbedException($"cpus must be a finite number > 0, got {cpus}");
        var index = DeviceIndex(device);
        _cgroups.SetCpus(State.Devices[index].Place.Cgroup, cpus);
        State.Devices[index] = State.Devices[index] with { Cpus = cpus };
        State.Write(_statePath);
    }

    /// <summary>Room a cut leaves above the device's working set when it sets the hard limit: allocations in flight (a request's tensors) must fit.</summary>
    public const long MemoryCutHeadroomBytes = 32L << 20;

    /// <summary>
    /// Sets a device's memory limit, MB (10^6 bytes), hard and soft at once. Lowered below what the device's processes
    /// hold and the kernel cannot reclaim (no swap), the write fails (EBUSY); lowered just above it, their next
    /// allocation over it is killed. A device with atoms to shed takes <see cref="CutMemoryLimit"/>.
    /// </summary>
    public void SetMemoryLimit(string device, double mb)
    {
        if (!(double.IsFinite(mb) && mb > 0)) throw new TestbedException($"memory limit must be a finite number of MB > 0, got {mb}");
        var index = DeviceIndex(device);
        var cgroup = State.Devices[index].Place.Cgroup;
        // Raising: hard first, so the soft limit never stands above it; lowering: the soft limit first.
        if (_cgroups.Limits(cgroup).MemoryBytes is { } hard && Bytes(mb) > hard)
        {
            _cgroups.SetMemoryLimit(cgroup, Bytes(mb));
            _cgroups.SetMemorySoftLimit(cgroup, Bytes(mb));
        }
        else
        {
            _cgroups.SetMemorySoftLimit(cgroup, Bytes(mb));
            _cgroups.SetMemoryLimit(cgroup, Bytes(mb));
        }

        State.Devices[index] = State.Devices[index] with { MemoryLimitMb = mb };
        State.Write(_statePath);
    }

    /// <summary>
    /// Cuts a device's memory limit the way the kernel lets it happen to a running process: the new limit is announced
    /// as the soft limit (v1 <c>memory.soft_limit_in_bytes</c>, v2 <c>memory.high</c>), which an AdaMec device reads
    /// as its limit and sheds resident atoms to fit; once the device's working set is under the new limit less
    /// <see cref="MemoryCutHeadroomBytes"/> (or <paramref name="settle"/> has passed), the hard limit follows, never
    /// below that working set plus the headroom (<see cref="MemoryCut.HardLimitBytes"/> then says where it stopped).
    /// Blocks while the device sheds.
    /// </summary>
    public MemoryCut CutMemoryLimit(string device, double mb, TimeSpan settle, CancellationToken cancellationToken = default)
    {
        if (!(double.IsFinite(mb) && mb > 0)) throw new TestbedException($"memory limit must be a finite number of MB > 0, got {mb}");
        var index = DeviceIndex(device);
        var cgroup = State.Devices[index].Place.Cgroup;
        var target = Bytes(mb);
        var kills = _cgroups.OomKills(cgroup);
        var before = _cgroups.WorkingSetBytes(cgroup);
        var started = System.Diagnostics.Stopwatch.StartNew();
        _cgroups.SetMemorySoftLimit(cgroup, target);
        var working = before;
        while (true)
        {
            working = _cgroups.WorkingSetBytes(cgroup);
            if (working + MemoryCutHeadroomBytes <= target || started.Elapsed >= settle) break;
            cancellationToken.WaitHandle.WaitOne(200);
            cancellationToken.ThrowIfCancellationRequested();
        }

        var hard = Math.Max(target, working + MemoryCutHeadroomBytes);
        _cgroups.SetMemoryLimit(cgroup, hard);
        State.Devices[index] = State.Devices[index] with { MemoryLimitMb = hard / 1e6 };
        State.Write(_statePath);
        return new MemoryCut(device, target, hard, before, working, started.Elapsed, _cgroups.OomKills(cgroup) - kills);
    }

    /// <summary>
    /// The most memory each device's cgroup held at once since it was made or since <see cref="ResetPeakMemory"/>
    /// (v1 memory.max_usage_in_bytes, v2 memory.peak; page cache included); a device whose kernel has no such file is left out.
    /// </summary>
    public IReadOnlyDictionary<string, long> PeakMemory()
    {
        var peaks = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var device in State.Devices)
            if (_cgroups.Exists(device.Place.Cgroup) && _cgroups.PeakMemoryBytes(device.Place.Cgroup) is { } peak) peaks[device.Place.Id] = peak;
        return peaks;
    }

    /// <summary>The cgroup hierarchy the testbed uses: <c>v1</c> or <c>v2</c>.</summary>
    public string CgroupVersion => _cgroups.Version;

    /// <summary>Starts every device's memory peak afresh (cgroup v1); false where the cgroups cannot (v2: the peak then counts from <c>up</c>).</summary>
    public bool ResetPeakMemory()
    {
        var reset = true;
        foreach (var device in State.Devices)
            if (_cgroups.Exists(device.Place.Cgroup)) reset &= _cgroups.ResetPeakMemory(device.Place.Cgroup);
        return reset;
    }

    /// <summary>A device's working set and out-of-memory kills now (from its cgroup).</summary>
    public (long WorkingSetBytes, long OomKills) Memory(string device)
    {
        var cgroup = State.Devices[DeviceIndex(device)].Place.Cgroup;
        return (_cgroups.WorkingSetBytes(cgroup), _cgroups.OomKills(cgroup));
    }

    /// <summary>What the host holds now for each device and link (read from the kernel, not from the state file).</summary>
    public TestbedStatus Status()
    {
        var devices = State.Devices.Select(d =>
        {
            var exists = _cgroups.Exists(d.Place.Cgroup);
            var (cpus, memory) = exists ? _cgroups.Limits(d.Place.Cgroup) : (null, null);
            return new DeviceStatus(d.Place.Id, d.Place.Namespace, d.Place.Address, NetworkFabric.Exists(d.Place.Namespace),
                exists ? d.Place.Cgroup : null, cpus, memory is { } m ? m / 1e6 : null, exists ? _cgroups.Processes(d.Place.Cgroup).Count : 0);
        }).ToList();
        var links = State.Links.Select(l =>
        {
            return new LinkStatus(l.Place.A, l.Place.B, NetworkFabric.ShapedMbps(NamespaceOf(l.Place.A), l.Place.VethA), NetworkFabric.ShapedMbps(NamespaceOf(l.Place.B), l.Place.VethB), l.DelayMs);
        }).ToList();
        var database = State.Postgres is { } p
            ? $"PostgreSQL {p.Address}:{p.Port} ({(File.Exists(Path.Combine(p.Folder, "data", "postmaster.pid")) ? "running" : "NOT running")})"
            : null;
        var silos = State.Postgres is not null && File.Exists(Path.Combine(State.Postgres.Folder, "data", "postmaster.pid"))
            ? TestbedSilos.Members(State).Select(m => $"{m.Device} at {m.Address}").ToList()
            : null;
        return new TestbedStatus(State.Tag, State.Trace, "real", State.CgroupVersion, devices, links, database, silos, State.DelayNotApplied);
    }

    /// <summary>
    /// Removes everything recorded in <paramref name="statePath"/>: processes left in the testbed's cgroups are
    /// killed, then namespaces (with their veth pairs and qdiscs) and cgroups are removed; the state file last.
    /// </summary>
    /// <returns>What was removed, one line each.</returns>
    public static IReadOnlyList<string> Down(string statePath)
    {
        var state = TestbedState.Read(statePath);
        var cgroups = Cgroups.Detect(out var why) ?? throw new TestbedException($"cannot remove the testbed's cgroups: {why}");
        var removed = new List<string>();
        if (state.Postgres is { } postgres && Directory.Exists(postgres.Folder))
        {
            TestbedPostgres.Stop(postgres);
            removed.Add($"PostgreSQL server in {postgres.Folder}");
        }

        for (var i = 0; i < state.Devices.Count; i++)
        {
            var device = state.Devices[i];
            foreach (var pid in cgroups.Exists(device.Place.Cgroup) ? cgroups.Processes(device.Place.Cgroup) : [])
            {
                Kill(pid);
                removed.Add($"process {pid} of {device.Place.Id}");
            }

            if (state.Management is not null && ManagementNetwork.Exists(ManagementNetwork.HostVeth(state.Tag, i)))
            {
                ManagementNetwork.RemoveDevice(ManagementNetwork.HostVeth(state.Tag, i));
                removed.Add($"veth {ManagementNetwork.HostVeth(state.Tag, i)}");
            }

            if (NetworkFabric.Exists(device.Place.Namespace))
            {
                NetworkFabric.RemoveDevice(device.Place.Namespace);
                removed.Add($"namespace {device.Place.Namespace}");
            }

            if (cgroups.Exists(device.Place.Cgroup))
            {
                cgroups.Remove(device.Place.Cgroup);
                removed.Add($"cgroup {device.Place.Cgroup}");
            }
        }

        if (state.Management is { } management && ManagementNetwork.Exists(management.Bridge))
        {
            ManagementNetwork.Remove(management.Bridge);
            removed.Add($"bridge {management.Bridge}");
        }

        cgroups.Remove(state.CgroupRoot);
        var silos = state.SilosFolder;
        if (Directory.Exists(silos))
        {
            Directory.Delete(silos, recursive: true);
            removed.Add($"silo caches and logs in {silos}");
        }

        File.Delete(statePath);
        return removed;
    }

    private bool ApplyShaping(int index)
    {
        var link = State.Links[index];
        var applied = NetworkFabric.Shape(NamespaceOf(link.Place.A), link.Place.VethA, link.Mbps, link.DelayMs)
            & NetworkFabric.Shape(NamespaceOf(link.Place.B), link.Place.VethB, link.Mbps, link.DelayMs);
        if (!applied) State.DelayNotApplied = "delay not applied: this kernel has no netem (rate shaping only)";
        return applied;
    }

    private string NamespaceOf(string device) => State.Devices[DeviceIndex(device)].Place.Namespace;

    private int DeviceIndex(string device)
    {
        var index = State.Devices.FindIndex(d => d.Place.Id == device);
        return index >= 0 ? index : throw new TestbedException($"unknown device '{device}'; devices: {string.Join(", ", State.Devices.Select(d => d.Place.Id))}");
    }

    private static void Kill(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (ArgumentException)
        {
            // gone already
        }
    }

    private static string DelayNote(double delayMs, TestbedState state) =>
        delayMs <= 0 ? "" : state.DelayNotApplied is null ? $", {delayMs:0.#} ms delay" : $", {delayMs:0.#} ms delay NOT applied (no netem)";

    private static long Bytes(double mb) => (long)Math.Round(mb * 1e6);
}

/// <summary>The testbed as the host holds it now.</summary>
public sealed record TestbedStatus(string Tag, string Trace, string Mode, string CgroupVersion, IReadOnlyList<DeviceStatus> Devices, IReadOnlyList<LinkStatus> Links, string? Database, IReadOnlyList<string>? Silos, string? Note);

/// <summary>A device as the host holds it now: null limits mean unlimited or missing.</summary>
public sealed record DeviceStatus(string Id, string Namespace, string Address, bool NamespaceExists, string? Cgroup, double? Cpus, double? MemoryLimitMb, int Processes);

/// <summary>A link as the host holds it now: each direction's shaped rate (null: not shaped).</summary>
public sealed record LinkStatus(string A, string B, double? MbpsAToB, double? MbpsBToA, double DelayMs);
