using System.Globalization;

namespace AdaMec.Core.Context;

/// <summary>One reading of a device's live resources (see <see cref="ResourceProbe.Sample"/>).</summary>
/// <param name="AvailableMemoryBytes">Memory still free to this process; -1 when unknown.</param>
/// <param name="MemoryLimitBytes">The memory cgroup's limit; -1 when none applies.</param>
/// <param name="CpuQuotaCores">The CPU cgroup's quota in cores (quota / period, the tightest along the path); -1 when none applies.</param>
/// <param name="CpuLoad">1-minute load average per core; -1 when unknown.</param>
public sealed record ResourceSample(long AvailableMemoryBytes, long MemoryLimitBytes, double CpuQuotaCores, double CpuLoad)
{
    /// <summary>Cores this process can keep busy: the quota, else every core.</summary>
    public double EffectiveCores => CpuQuotaCores > 0 ? Math.Min(CpuQuotaCores, Environment.ProcessorCount) : Environment.ProcessorCount;
}

/// <summary>
/// Live resources read from the OS: the memory cgroup's limit when one is set (cgroup v2, else v1),
/// else /proc/meminfo; the CPU cgroup's quota (v1 cpu.cfs_quota_us / cpu.cfs_period_us, v2 cpu.max);
/// the load average from /proc/loadavg. The cgroups are this process's own, found through
/// /proc/self/cgroup on every read (a process can be moved to another cgroup while it runs); without
/// that file the hierarchy roots are read. Reads files under a root folder so tests can stand up
/// cgroup-shaped files in a temp folder; <see cref="System"/> reads the real ones.
/// </summary>
public sealed class ResourceProbe(string root)
{
    /// <summary>
    /// cgroup v1 writes "no limit" as the largest page-aligned 64-bit value; any limit this large
    /// means none (no board has an exabyte of memory).
    /// </summary>
    private const long NoLimit = 1L << 60;

    /// <summary>Where the v1 cpu controller is mounted, alone or with cpuacct.</summary>
    private static readonly string[] CpuMounts = ["cpu", "cpu,cpuacct", "cpuacct,cpu"];

    /// <summary>The machine's own files.</summary>
    public static ResourceProbe System { get; } = new("/");

    /// <summary>Everything at once (file reads: call it off the Orleans scheduler).</summary>
    public ResourceSample Sample()
    {
        var cgroups = OwnCgroups();
        var (free, limit) = CgroupMemory(cgroups);
        var system = MemAvailable();
        var available = free < 0 ? system : system < 0 ? free : Math.Min(system, free);
        return new ResourceSample(available, limit, CpuQuota(cgroups), CpuLoad());
    }

    /// <summary>
    /// Memory still free to this process: the smaller of the cgroup's room (limit minus the usage
    /// the kernel cannot reclaim) and MemAvailable; -1 when neither can be read.
    /// </summary>
    public long AvailableMemoryBytes() => Sample().AvailableMemoryBytes;

    /// <summary>1-minute load average per core (0 = idle, 1 = every core busy); -1 when unknown.</summary>
    public double CpuLoad()
    {
        try
        {
            var text = File.ReadAllText(PathOf("proc/loadavg"));
            var first = text.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            return double.Parse(first, CultureInfo.InvariantCulture) / Environment.ProcessorCount;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return -1;
        }
    }

    /// <summary>
    /// The folder of this process's own cgroup for v1 <paramref name="controller"/> ("cpu", "memory") under its
    /// mount, or of the unified v2 cgroup for ""; the mount itself when the path is not visible there.
    /// </summary>
    public string OwnCgroupFolder(string controller)
    {
        ArgumentNullException.ThrowIfNull(controller);
        var mount = PathOf(controller.Length == 0 ? "sys/fs/cgroup" : "sys/fs/cgroup/" + controller);
        return CgroupFolder(mount, OwnCgroups().GetValueOrDefault(controller));
    }

    /// <summary>This process's cgroup path per v1 controller ("memory", "cpu", ...) and for v2 (key ""), from /proc/self/cgroup.</summary>
    private Dictionary<string, string> OwnCgroups()
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines(PathOf("proc/self/cgroup")))
            {
                // "4:memory:/a/b", "1:cpu,cpuacct:/a", "0::/a" (v2)
                var parts = line.Split(':', 3);
                if (parts.Length < 3) continue;
                if (parts[1].Length == 0) paths[""] = parts[2];
                else foreach (var controller in parts[1].Split(',')) paths[controller] = parts[2];
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return paths;
    }

    /// <summary>
    /// The folder of this process's cgroup under <paramref name="mount"/>; the mount itself when the
    /// path is unknown or not visible there (a container that mounts its own cgroup as the root).
    /// </summary>
    private static string CgroupFolder(string mount, string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "/") return mount;
        var folder = Path.Combine(mount, path.TrimStart('/'));
        return Directory.Exists(folder) ? folder : mount;
    }

    /// <summary>Room left under the memory cgroup's limit and the limit; (-1, -1) when no cgroup limit applies (or it cannot be read).</summary>
    private (long Free, long Limit) CgroupMemory(Dictionary<string, string> cgroups)
    {
        // cgroup v2 (unified): memory.max is "max" when unlimited. A v2 hierarchy answers alone,
        // even with no limit: a v1 folder next to it (hybrid mode) does not govern this process's memory.
        var v2 = CgroupFolder(PathOf("sys/fs/cgroup"), cgroups.GetValueOrDefault(""));
        if (!File.Exists(Path.Combine(v2, "memory.max"))) v2 = PathOf("sys/fs/cgroup");
        if (File.Exists(Path.Combine(v2, "memory.max")))
            return Free(Tighter(ReadText(Path.Combine(v2, "memory.max")), ReadText(Path.Combine(v2, "memory.high"))), ReadLong(Path.Combine(v2, "memory.current")), StatValue(Path.Combine(v2, "memory.stat"), "inactive_file"), -1);
        var v1 = CgroupFolder(PathOf("sys/fs/cgroup/memory"), cgroups.GetValueOrDefault("memory"));
        var stat = Path.Combine(v1, "memory.stat");
        return Free(
            // The soft limit is where an operator announces a cut before the hard limit follows (docs/testbed.md):
            // the kernel kills over the hard limit and refuses one below what it cannot reclaim, so the device sheds first.
            Tighter(ReadText(Path.Combine(v1, "memory.limit_in_bytes")), ReadText(Path.Combine(v1, "memory.soft_limit_in_bytes"))),
            ReadLong(Path.Combine(v1, "memory.usage_in_bytes")),
            StatValue(stat, "total_inactive_file"),
            // A parent's limit binds too (use_hierarchy): v1 states the tightest one in memory.stat.
            StatValue(stat, "hierarchical_memory_limit"));
    }

    /// <summary>
    /// Limit minus working set. Usage counts the page cache, which the kernel drops before it runs out
    /// of memory; inactive file pages are taken out, as the kernel's own out-of-memory accounting does.
    /// </summary>
    private static (long Free, long Limit) Free(string? limitText, long usage, long inactiveFile, long hierarchicalLimit)
    {
        if (limitText is null || usage < 0) return (-1, -1);
        if (!long.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit <= 0) limit = long.MaxValue;
        if (hierarchicalLimit > 0) limit = Math.Min(limit, hierarchicalLimit);
        if (limit >= NoLimit) return (-1, -1); // "max" (v2), the v1 no-limit value, or something unreadable: no cgroup limit applies
        var working = Math.Max(0, usage - Math.Max(0, inactiveFile));
        return (Math.Max(0, limit - working), limit);
    }

    /// <summary>
    /// The smaller of a hard limit and a soft one (v1 memory.soft_limit_in_bytes, v2 memory.high), as text;
    /// either may be "max", the v1 no-limit value or unreadable (then the other stands).
    /// </summary>
    private static string? Tighter(string? hard, string? soft)
    {
        if (soft is null || !long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var s) || s <= 0 || s >= NoLimit) return hard;
        if (hard is null || !long.TryParse(hard, NumberStyles.None, CultureInfo.InvariantCulture, out var h) || h <= 0 || h >= NoLimit) return soft;
        return s < h ? soft : hard;
    }

    /// <summary>The tightest CPU quota from this process's cgroup up to the root, in cores; -1 when none.</summary>
    private double CpuQuota(Dictionary<string, string> cgroups)
    {
        var quota = double.PositiveInfinity;
        var v2Root = PathOf("sys/fs/cgroup");
        var v2 = CgroupFolder(v2Root, cgroups.GetValueOrDefault(""));
        if (File.Exists(Path.Combine(v2, "cpu.max")) || File.Exists(Path.Combine(v2Root, "cpu.max")))
        {
            foreach (var folder in UpTo(v2, v2Root))
            {
                // "max 100000" or "50000 100000"
                var parts = ReadText(Path.Combine(folder, "cpu.max"))?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts is { Length: 2 } && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var q)
                    && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && q > 0 && p > 0)
                    quota = Math.Min(quota, (double)q / p);
            }
        }
        else
        {
            var mount = CpuMounts.Select(m => PathOf("sys/fs/cgroup/" + m)).FirstOrDefault(Directory.Exists);
            if (mount is null) return -1;
            foreach (var folder in UpTo(CgroupFolder(mount, cgroups.GetValueOrDefault("cpu")), mount))
            {
                // cfs_quota_us is -1 when unlimited.
                var q = ReadSigned(Path.Combine(folder, "cpu.cfs_quota_us"));
                var p = ReadSigned(Path.Combine(folder, "cpu.cfs_period_us"));
                if (q > 0 && p > 0) quota = Math.Min(quota, (double)q / p);
            }
        }
        return double.IsPositiveInfinity(quota) ? -1 : quota;
    }

    /// <summary><paramref name="folder"/> and its parents up to and including <paramref name="top"/>.</summary>
    private static IEnumerable<string> UpTo(string folder, string top)
    {
        var stop = Path.GetFullPath(top).TrimEnd('/');
        for (var current = Path.GetFullPath(folder).TrimEnd('/'); ; current = Path.GetDirectoryName(current)!)
        {
            yield return current;
            if (current.Length <= stop.Length || Path.GetDirectoryName(current) is null) yield break;
        }
    }

    private long MemAvailable()
    {
        var kb = StatValue(PathOf("proc/meminfo"), "MemAvailable:");
        return kb < 0 ? -1 : kb * 1024;
    }

    /// <summary>The number after <paramref name="key"/> at the start of a line ("key value [unit]"); -1 when absent.</summary>
    private static long StatValue(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 2 || !parts[0].Equals(key, StringComparison.Ordinal)) continue;
                return long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : -1;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return -1;
    }

    private static string? ReadText(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static long ReadLong(string path) =>
        ReadText(path) is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : -1;

    private static long ReadSigned(string path) =>
        ReadText(path) is { } text && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : -1;

    private string PathOf(string relative) => Path.Combine(root, relative);
}
