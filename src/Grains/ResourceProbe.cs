using System.Globalization;

namespace AdaMec.Grains;

/// <summary>
/// Live resources read from the OS: the memory cgroup's limit when one is set (cgroup v2, else v1),
/// else /proc/meminfo; the load average from /proc/loadavg. Reads files under a root folder so
/// tests can stand up cgroup-shaped files in a temp folder; <see cref="System"/> reads the real ones.
/// </summary>
internal sealed class ResourceProbe(string root)
{
    /// <summary>
    /// cgroup v1 writes "no limit" as the largest page-aligned 64-bit value; any limit this large
    /// means none (no board has an exabyte of memory).
    /// </summary>
    private const long NoLimit = 1L << 60;

    /// <summary>The machine's own files.</summary>
    public static ResourceProbe System { get; } = new("/");

    /// <summary>
    /// Memory still free to this process: the smaller of the cgroup's room (limit minus the usage
    /// the kernel cannot reclaim) and MemAvailable; -1 when neither can be read.
    /// </summary>
    public long AvailableMemoryBytes()
    {
        var system = MemAvailable();
        var cgroup = CgroupFree();
        if (cgroup < 0) return system;
        return system < 0 ? cgroup : Math.Min(system, cgroup);
    }

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

    /// <summary>Room left under the memory cgroup's limit; -1 when there is no cgroup limit (or it cannot be read).</summary>
    private long CgroupFree()
    {
        // cgroup v2 (unified): memory.max is "max" when unlimited. A v2 hierarchy answers alone,
        // even with no limit: a v1 folder next to it (hybrid mode) does not govern this process's memory.
        var v2Limit = PathOf("sys/fs/cgroup/memory.max");
        if (File.Exists(v2Limit))
            return Free(ReadText(v2Limit), ReadLong(PathOf("sys/fs/cgroup/memory.current")), StatValue(PathOf("sys/fs/cgroup/memory.stat"), "inactive_file"));
        var v1 = PathOf("sys/fs/cgroup/memory");
        return Free(
            ReadText(Path.Combine(v1, "memory.limit_in_bytes")),
            ReadLong(Path.Combine(v1, "memory.usage_in_bytes")),
            StatValue(Path.Combine(v1, "memory.stat"), "total_inactive_file"));
    }

    /// <summary>
    /// Limit minus working set. Usage counts the page cache, which the kernel drops before it runs out
    /// of memory; inactive file pages are taken out, as the kernel's own out-of-memory accounting does.
    /// </summary>
    private static long Free(string? limitText, long usage, long inactiveFile)
    {
        if (limitText is null || usage < 0) return -1;
        if (!long.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit <= 0 || limit >= NoLimit)
            return -1; // "max" (v2), the v1 no-limit value, or something unreadable: no cgroup limit applies
        var working = Math.Max(0, usage - Math.Max(0, inactiveFile));
        return Math.Max(0, limit - working);
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

    private string PathOf(string relative) => Path.Combine(root, relative);
}
