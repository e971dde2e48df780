using System.Diagnostics;
using System.Globalization;

namespace AdaMec.Prediction.Profiling;

/// <summary>Whether this machine can impose a memory limit on a child process, and why not.</summary>
/// <param name="Available">True when a cgroup could be created, limited, read back and removed.</param>
/// <param name="Detail">What was checked, or why it failed.</param>
public sealed record CgroupProbe(bool Available, string Detail);

/// <summary>
/// A real memory limit for child processes: a cgroup v1 memory group
/// (<c>/sys/fs/cgroup/memory/&lt;group&gt;/memory.limit_in_bytes</c>, and the memory+swap limit
/// when the kernel has one, so the child cannot escape to swap). A child is placed in the group
/// before it starts (see <see cref="StartInGroup"/>), so every byte it allocates is charged.
/// Needs root (or a delegated group) and the v1 memory controller; <see cref="Probe"/> says
/// clearly when a machine cannot impose one.
/// </summary>
public sealed class CgroupMemoryLimit : IDisposable
{
    public const string DefaultRoot = "/sys/fs/cgroup/memory";

    private CgroupMemoryLimit(string path, long limitBytes)
    {
        GroupPath = path;
        LimitBytes = limitBytes;
    }

    public string GroupPath { get; }

    /// <summary>The limit the kernel applied (rounded down to a page).</summary>
    public long LimitBytes { get; }

    /// <summary>Peak memory charged to the group.</summary>
    public long MaxUsageBytes => ReadLong("memory.max_usage_in_bytes");

    /// <summary>Times the group hit its limit.</summary>
    public long FailCount => ReadLong("memory.failcnt");

    /// <summary>Processes the kernel's OOM killer ended in this group (0 when the kernel does not report it).</summary>
    public long OomKills =>
        File.Exists(Path.Combine(GroupPath, "memory.oom_control"))
            ? File.ReadLines(Path.Combine(GroupPath, "memory.oom_control"))
                .Select(l => l.Split(' ')).Where(f => f.Length == 2 && f[0] == "oom_kill")
                .Select(f => long.Parse(f[1], CultureInfo.InvariantCulture)).FirstOrDefault()
            : 0;

    /// <summary>Checks that a group can be created, limited and removed under <paramref name="root"/>.</summary>
    public static CgroupProbe Probe(string root = DefaultRoot)
    {
        if (!OperatingSystem.IsLinux()) return new CgroupProbe(false, "cgroups exist only on Linux.");
        if (!File.Exists(Path.Combine(root, "memory.limit_in_bytes")))
        {
            var v2 = File.Exists("/sys/fs/cgroup/cgroup.controllers") ? " This machine uses the unified cgroup v2 hierarchy, which this helper does not drive." : "";
            return new CgroupProbe(false, $"No cgroup v1 memory controller at {root} (memory.limit_in_bytes missing).{v2}");
        }
        try
        {
            using var probe = Create($"adamec-probe-{Environment.ProcessId}", 64L << 20, root);
            return new CgroupProbe(true, $"cgroup v1 memory controller at {root} is writable (probe limit read back as {probe.LimitBytes} bytes).");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return new CgroupProbe(false, $"Cannot create or limit a memory cgroup under {root}: {e.Message} (needs root or a delegated group).");
        }
    }

    /// <summary>Creates (or reuses) group <paramref name="name"/> with a hard limit and no swap headroom.</summary>
    public static CgroupMemoryLimit Create(string name, long limitBytes, string root = DefaultRoot)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (limitBytes <= 0) throw new ArgumentOutOfRangeException(nameof(limitBytes), limitBytes, "The limit must be positive.");
        var path = Path.Combine(root, name);
        Directory.CreateDirectory(path);
        var memsw = Path.Combine(path, "memory.memsw.limit_in_bytes");
        var text = limitBytes.ToString(CultureInfo.InvariantCulture);
        // memory+swap must stay >= memory: raise memsw first when growing, lower it last when shrinking.
        if (File.Exists(memsw)) TryWrite(memsw, "-1");
        File.WriteAllText(Path.Combine(path, "memory.limit_in_bytes"), text);
        if (File.Exists(memsw)) TryWrite(memsw, text);
        var applied = long.Parse(File.ReadAllText(Path.Combine(path, "memory.limit_in_bytes")).Trim(), CultureInfo.InvariantCulture);
        return new CgroupMemoryLimit(path, applied);
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/> inside the group: a
    /// shell writes its own pid to cgroup.procs and then execs the program, so the program never
    /// runs outside the limit.
    /// </summary>
    public Process StartInGroup(string fileName, IEnumerable<string> arguments, bool redirectOutput = true)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = redirectOutput,
            RedirectStandardError = redirectOutput,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"echo $$ > '{Path.Combine(GroupPath, "cgroup.procs")}' && exec \"$@\"");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(fileName);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
    }

    public void Dispose()
    {
        // The group can be removed only once its processes are gone; they may take a moment to be reaped.
        for (var attempt = 0; attempt < 50 && Directory.Exists(GroupPath); attempt++)
        {
            try
            {
                Directory.Delete(GroupPath);
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
        }
    }

    private long ReadLong(string file)
    {
        var path = Path.Combine(GroupPath, file);
        return File.Exists(path) ? long.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture) : 0;
    }

    private static void TryWrite(string path, string text)
    {
        try
        {
            File.WriteAllText(path, text);
        }
        catch (IOException)
        {
            // Some kernels refuse memsw changes while a limit is being lowered; the memory limit still holds.
        }
    }
}
