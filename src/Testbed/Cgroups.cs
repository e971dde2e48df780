using System.Globalization;
using AdaMec.Core.Context;

namespace AdaMec.Testbed;

/// <summary>
/// The cpu and memory cgroups of the testbed's processes, on cgroup v1 (separate cpu and memory hierarchies,
/// as on this machine) or v2 (one unified hierarchy). Each testbed cgroup is made under this process's own
/// cgroup of the controller, so a limit the machine already sets on us still binds the devices.
/// </summary>
public abstract class Cgroups
{
    /// <summary>Period of the CPU quota: cores × period = quota.</summary>
    protected const long CpuPeriodUs = 100_000;

    protected const string Mount = "/sys/fs/cgroup";

    /// <summary>"v1" or "v2".</summary>
    public abstract string Version { get; }

    /// <summary>The cgroups of this machine, or null with the reason they cannot be used.</summary>
    public static Cgroups? Detect(out string? whyNot)
    {
        whyNot = null;
        if (!OperatingSystem.IsLinux()) whyNot = "cgroups need Linux";
        else if (Environment.UserName != "root") whyNot = "making cgroups needs root";
        else if (File.Exists(Path.Combine(Mount, "cgroup.controllers"))) return new V2();
        else if (File.Exists(Path.Combine(Mount, "cpu", "cgroup.procs")) && File.Exists(Path.Combine(Mount, "memory", "cgroup.procs"))) return new V1();
        else whyNot = $"no cgroup v2 and no cgroup v1 cpu and memory hierarchies under {Mount}";
        return null;
    }

    /// <summary>Makes cgroup <paramref name="path"/> (and its parents) for cpu and memory.</summary>
    public abstract void Create(string path);

    /// <summary>Limits the cgroup to <paramref name="cpus"/> cores.</summary>
    public abstract void SetCpus(string path, double cpus);

    /// <summary>Limits the cgroup's memory to <paramref name="bytes"/>.</summary>
    public abstract void SetMemoryLimit(string path, long bytes);

    /// <summary>
    /// Announces a memory limit without enforcing it: v1 memory.soft_limit_in_bytes, v2 memory.high (which
    /// throttles and reclaims, never kills). A device reads it as its limit and sheds atoms to fit.
    /// </summary>
    public abstract void SetMemorySoftLimit(string path, long bytes);

    /// <summary>Memory charged to the cgroup that the kernel cannot simply drop: usage minus inactive page cache.</summary>
    public abstract long WorkingSetBytes(string path);

    /// <summary>Processes of the cgroup the kernel's out-of-memory killer killed (v1 memory.oom_control, v2 memory.events).</summary>
    public abstract long OomKills(string path);

    /// <summary>
    /// The most memory charged to the cgroup at once (page cache included) since it was made or since
    /// <see cref="ResetPeakMemory"/>: v1 memory.max_usage_in_bytes, v2 memory.peak; null where the kernel has no such file.
    /// </summary>
    public abstract long? PeakMemoryBytes(string path);

    /// <summary>
    /// Starts the peak afresh from the usage now (v1: 0 written to memory.max_usage_in_bytes). False where the kernel
    /// cannot: v2's memory.peak resets only for the file handle that wrote it, so there the peak counts from the
    /// cgroup's creation.
    /// </summary>
    public abstract bool ResetPeakMemory(string path);

    protected static long StatLine(string file, string key)
    {
        foreach (var line in File.ReadLines(file))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0] == key) return long.Parse(parts[1], CultureInfo.InvariantCulture);
        }

        return 0;
    }

    protected static long ReadLong(string file) => long.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Moves process <paramref name="pid"/> (all its threads) into the cgroup.</summary>
    public abstract void Add(string path, int pid);

    /// <summary>The cgroup.procs files a process is written to, to join the cgroup in every controller.</summary>
    public abstract IReadOnlyList<string> ProcsFiles(string path);

    /// <summary>The processes in the cgroup.</summary>
    public abstract IReadOnlyList<int> Processes(string path);

    /// <summary>Removes the cgroup (its processes must be gone); no error when it does not exist.</summary>
    public abstract void Remove(string path);

    /// <summary>True when any of the cgroup's folders exists.</summary>
    public abstract bool Exists(string path);

    /// <summary>The cgroup's CPU quota in cores (null: unlimited) and memory limit in bytes (null: unlimited).</summary>
    public abstract (double? Cpus, long? MemoryBytes) Limits(string path);

    protected static void RemoveFolder(string folder)
    {
        // A cgroup is removed with rmdir; its children first. The kernel needs a moment after the last process exits.
        if (!Directory.Exists(folder)) return;
        foreach (var child in Directory.GetDirectories(folder)) RemoveFolder(child);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: false);
                return;
            }
            catch (IOException) when (attempt < 50)
            {
                Thread.Sleep(100);
            }
            catch (IOException e)
            {
                throw new TestbedException($"cannot remove cgroup {folder}: {e.Message} (processes still in it: {string.Join(", ", ReadPids(folder))})", e);
            }
        }
    }

    protected static IReadOnlyList<int> ReadPids(string folder)
    {
        var procs = Path.Combine(folder, "cgroup.procs");
        return File.Exists(procs) ? File.ReadLines(procs).Where(l => l.Length > 0).Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToList() : [];
    }

    protected static void Write(string folder, string file, string value)
    {
        try
        {
            File.WriteAllText(Path.Combine(folder, file), value);
        }
        catch (IOException e)
        {
            throw new TestbedException($"cannot write '{value}' to {Path.Combine(folder, file)}: {e.Message}", e);
        }
    }

    protected static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class V1 : Cgroups
    {
        private readonly string _cpu = ResourceProbe.System.OwnCgroupFolder("cpu");
        private readonly string _memory = ResourceProbe.System.OwnCgroupFolder("memory");

        public override string Version => "v1";

        public override void Create(string path)
        {
            Directory.CreateDirectory(Path.Combine(_cpu, path));
            Directory.CreateDirectory(Path.Combine(_memory, path));
        }

        public override void SetCpus(string path, double cpus)
        {
            Write(Path.Combine(_cpu, path), "cpu.cfs_period_us", Invariant($"{CpuPeriodUs}"));
            Write(Path.Combine(_cpu, path), "cpu.cfs_quota_us", Invariant($"{(long)Math.Round(cpus * CpuPeriodUs)}"));
        }

        public override void SetMemoryLimit(string path, long bytes) =>
            Write(Path.Combine(_memory, path), "memory.limit_in_bytes", Invariant($"{bytes}"));

        public override void SetMemorySoftLimit(string path, long bytes) =>
            Write(Path.Combine(_memory, path), "memory.soft_limit_in_bytes", Invariant($"{bytes}"));

        public override long WorkingSetBytes(string path) =>
            Math.Max(0, ReadLong(Path.Combine(_memory, path, "memory.usage_in_bytes")) - StatLine(Path.Combine(_memory, path, "memory.stat"), "total_inactive_file"));

        public override long OomKills(string path) => StatLine(Path.Combine(_memory, path, "memory.oom_control"), "oom_kill");

        public override long? PeakMemoryBytes(string path)
        {
            var file = Path.Combine(_memory, path, "memory.max_usage_in_bytes");
            return File.Exists(file) ? ReadLong(file) : null;
        }

        public override bool ResetPeakMemory(string path)
        {
            Write(Path.Combine(_memory, path), "memory.max_usage_in_bytes", "0");
            return true;
        }

        public override void Add(string path, int pid)
        {
            Write(Path.Combine(_cpu, path), "cgroup.procs", Invariant($"{pid}"));
            Write(Path.Combine(_memory, path), "cgroup.procs", Invariant($"{pid}"));
        }

        public override IReadOnlyList<string> ProcsFiles(string path) => [Path.Combine(_cpu, path, "cgroup.procs"), Path.Combine(_memory, path, "cgroup.procs")];

        public override IReadOnlyList<int> Processes(string path) => ReadPids(Path.Combine(_memory, path)).Union(ReadPids(Path.Combine(_cpu, path))).ToList();

        public override void Remove(string path)
        {
            RemoveFolder(Path.Combine(_cpu, path));
            RemoveFolder(Path.Combine(_memory, path));
        }

        public override bool Exists(string path) => Directory.Exists(Path.Combine(_cpu, path)) || Directory.Exists(Path.Combine(_memory, path));

        public override (double? Cpus, long? MemoryBytes) Limits(string path)
        {
            var quota = long.Parse(File.ReadAllText(Path.Combine(_cpu, path, "cpu.cfs_quota_us")).Trim(), CultureInfo.InvariantCulture);
            var period = long.Parse(File.ReadAllText(Path.Combine(_cpu, path, "cpu.cfs_period_us")).Trim(), CultureInfo.InvariantCulture);
            var memory = long.Parse(File.ReadAllText(Path.Combine(_memory, path, "memory.limit_in_bytes")).Trim(), CultureInfo.InvariantCulture);
            // v1 reports "no limit" as the largest page-aligned long.
            return (quota < 0 ? null : (double)quota / period, memory >= long.MaxValue / 2 ? null : memory);
        }
    }

    private sealed class V2 : Cgroups
    {
        private readonly string _root = ResourceProbe.System.OwnCgroupFolder("");

        public override string Version => "v2";

        public override void Create(string path)
        {
            // Controllers must be enabled in every parent's subtree_control for a child to have their files.
            var folder = _root;
            foreach (var part in path.Split('/'))
            {
                Write(folder, "cgroup.subtree_control", "+cpu +memory");
                folder = Path.Combine(folder, part);
                Directory.CreateDirectory(folder);
            }
        }

        public override void SetCpus(string path, double cpus) =>
            Write(Path.Combine(_root, path), "cpu.max", Invariant($"{(long)Math.Round(cpus * CpuPeriodUs)} {CpuPeriodUs}"));

        public override void SetMemoryLimit(string path, long bytes) => Write(Path.Combine(_root, path), "memory.max", Invariant($"{bytes}"));

        public override void SetMemorySoftLimit(string path, long bytes) => Write(Path.Combine(_root, path), "memory.high", Invariant($"{bytes}"));

        public override long WorkingSetBytes(string path) =>
            Math.Max(0, ReadLong(Path.Combine(_root, path, "memory.current")) - StatLine(Path.Combine(_root, path, "memory.stat"), "inactive_file"));

        public override long OomKills(string path) => StatLine(Path.Combine(_root, path, "memory.events"), "oom_kill");

        public override long? PeakMemoryBytes(string path)
        {
            var file = Path.Combine(_root, path, "memory.peak");
            return File.Exists(file) ? ReadLong(file) : null;
        }

        public override bool ResetPeakMemory(string path) => false;

        public override void Add(string path, int pid) => Write(Path.Combine(_root, path), "cgroup.procs", Invariant($"{pid}"));

        public override IReadOnlyList<string> ProcsFiles(string path) => [Path.Combine(_root, path, "cgroup.procs")];

        public override IReadOnlyList<int> Processes(string path) => ReadPids(Path.Combine(_root, path));

        public override void Remove(string path) => RemoveFolder(Path.Combine(_root, path));

        public override bool Exists(string path) => Directory.Exists(Path.Combine(_root, path));

        public override (double? Cpus, long? MemoryBytes) Limits(string path)
        {
            var cpu = File.ReadAllText(Path.Combine(_root, path, "cpu.max")).Trim().Split(' ');
            var memory = File.ReadAllText(Path.Combine(_root, path, "memory.max")).Trim();
            return (cpu[0] == "max" ? null : double.Parse(cpu[0], CultureInfo.InvariantCulture) / double.Parse(cpu[1], CultureInfo.InvariantCulture),
                memory == "max" ? null : long.Parse(memory, CultureInfo.InvariantCulture));
        }
    }
}
