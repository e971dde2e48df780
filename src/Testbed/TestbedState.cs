using System.Text.Json;
using System.Text.Json.Serialization;
using AdaMec.Core.Serialization;

namespace AdaMec.Testbed;

/// <summary>
/// What a testbed made, written to its state file before each thing is made: a command that crashes half-way
/// leaves a file from which <c>testbed down</c> removes everything (a recorded thing that was never made is
/// skipped).
/// </summary>
public sealed class TestbedState
{
    public required string Tag { get; init; }

    public required string Trace { get; init; }

    public required string CgroupVersion { get; init; }

    public required string CgroupRoot { get; init; }

    /// <summary>The initiator (the phone): a client, never a silo.</summary>
    public required string Initiator { get; init; }

    public DateTimeOffset Started { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The folder of the testbed's PostgreSQL cluster.</summary>
    [JsonIgnore]
    public string PostgresFolder => Path.Combine("/var/tmp", $"adamec-testbed-{Tag}-postgres");

    /// <summary>The folder of the silos' atom caches and logs.</summary>
    [JsonIgnore]
    public string SilosFolder => Path.Combine("/var/tmp", $"adamec-testbed-{Tag}-silos");

    /// <summary>Devices whose namespace and cgroup were (being) made.</summary>
    public List<DeviceState> Devices { get; init; } = [];

    /// <summary>Links whose veth pair was (being) made, with their current shaping.</summary>
    public List<LinkState> Links { get; init; } = [];

    /// <summary>The management bridge, once (being) made: name and the first three octets of its /24.</summary>
    public ManagementState? Management { get; set; }

    /// <summary>The testbed's PostgreSQL server, once (being) started.</summary>
    public PostgresState? Postgres { get; set; }

    /// <summary>Processes started in the devices' namespaces and cgroups (down also kills whatever else is in those cgroups).</summary>
    public List<ProcessState> Processes { get; init; } = [];

    /// <summary>Why a delay asked for was not applied, once seen (this kernel has no netem).</summary>
    public string? DelayNotApplied { get; set; }

    public static TestbedState Read(string path)
    {
        if (!File.Exists(path)) throw new TestbedException($"no testbed state at {path}: no testbed is up there (testbed up writes it)");
        try
        {
            return JsonSerializer.Deserialize<TestbedState>(File.ReadAllText(path), AdaMecJson.Options)
                ?? throw new TestbedException($"testbed state {path} is empty");
        }
        catch (JsonException e)
        {
            throw new TestbedException($"testbed state {path} is not a testbed state file: {e.Message}", e);
        }
    }

    /// <summary>Writes the file atomically (a crash never leaves half a file), readable by its owner only: it holds the database password.</summary>
    public void Write(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(JsonSerializer.Serialize(this, AdaMecJson.Options));
        }

        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>A device of the testbed and the limits it has now.</summary>
public sealed record DeviceState(DevicePlace Place, double Cpus, double MemoryLimitMb, bool Present);

/// <summary>A process the testbed started for a device: what it is and where its output goes.</summary>
public sealed record ProcessState(string Device, int Pid, string Role, string Log);

/// <summary>The management network: the bridge and its /24 (bridge .1, device i at .i+2).</summary>
public sealed record ManagementState(string Bridge, string Subnet);

/// <summary>A link of the testbed and the shaping it has now.</summary>
public sealed record LinkState(LinkPlace Place, double Mbps, double DelayMs);
