using System.Globalization;

namespace AdaMec.Grains;

/// <summary>Live resources read from the OS: cgroup v2 limits when set, else /proc.</summary>
internal static class ResourceProbe
{
    /// <summary>Memory available to this process's cgroup, or MemAvailable; -1 when unknown.</summary>
    public static long AvailableMemoryBytes()
    {
        var cgroupLimit = ReadLong("/sys/fs/cgroup/memory.max");
        var cgroupUsed = ReadLong("/sys/fs/cgroup/memory.current");
        var system = MemAvailable();
        if (cgroupLimit > 0 && cgroupUsed >= 0)
        {
            var cgroupFree = Math.Max(0, cgroupLimit - cgroupUsed);
            return system < 0 ? cgroupFree : Math.Min(system, cgroupFree);
        }
        return system;
    }

    /// <summary>1-minute load average per core (0 = idle, 1 = every core busy); -1 when unknown.</summary>
    public static double CpuLoad()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            var first = text.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            return double.Parse(first, CultureInfo.InvariantCulture) / Environment.ProcessorCount;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return -1;
        }
    }

    private static long MemAvailable()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return -1;
    }

    private static long ReadLong(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return -1; }
    }
}
