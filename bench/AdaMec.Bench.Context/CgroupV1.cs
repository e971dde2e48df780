using System.Globalization;

namespace AdaMec.Bench.Context;

/// <summary>
/// A cgroup v1 of this process's own (the bench's, or a test's), made as a child of this process's cgroup
/// for the controller (so a limit set on the process still binds), with real silo processes moved into it.
/// Dispose moves nothing: it waits for the processes in it to be gone and removes the folder.
/// </summary>
public sealed class CgroupV1 : IDisposable
{
    private const string Mount = "/sys/fs/cgroup";

    private CgroupV1(string path) => Path = path;

    public string Path { get; }

    /// <summary>Null when v1 memory and cpu cgroups can be made here; else why not.</summary>
    public static string? WhyNot()
    {
        if (!OperatingSystem.IsLinux()) return "cgroups need Linux";
        if (Environment.UserName != "root" && Tool.Run("id", "-u").Out.Trim() != "0") return "making cgroups needs root";
        foreach (var controller in new[] { "memory", "cpu" })
        {
            var folder = System.IO.Path.Combine(Mount, controller);
            if (!File.Exists(System.IO.Path.Combine(folder, "cgroup.procs")))
                return $"no cgroup v1 '{controller}' hierarchy at {folder} (cgroup v2 only?)";
        }
        try
        {
            using var probe = Create("memory", "adamec-probe");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot make a memory cgroup here: {e.Message}";
        }
        return null;
    }

    /// <summary>Makes <paramref name="name"/> (plus a random suffix) under this process's own cgroup of <paramref name="controller"/>.</summary>
    public static CgroupV1 Create(string controller, string name)
    {
        var own = File.ReadLines("/proc/self/cgroup")
            .Select(l => l.Split(':', 3))
            .Where(p => p.Length == 3 && p[1].Split(',').Contains(controller))
            .Select(p => p[2].TrimStart('/'))
            .FirstOrDefault() ?? "";
        var parent = System.IO.Path.Combine(Mount, controller, own);
        if (!Directory.Exists(parent)) parent = System.IO.Path.Combine(Mount, controller);
        var path = System.IO.Path.Combine(parent, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(path);
        return new CgroupV1(path);
    }

    public void Write(string file, string value) => File.WriteAllText(System.IO.Path.Combine(Path, file), value);

    public string Read(string file) => File.ReadAllText(System.IO.Path.Combine(Path, file)).Trim();

    public long ReadLong(string file) => long.Parse(Read(file), CultureInfo.InvariantCulture);

    /// <summary>The number after <paramref name="key"/> in memory.stat.</summary>
    public long Stat(string key) =>
        File.ReadLines(System.IO.Path.Combine(Path, "memory.stat")).Select(l => l.Split(' ')).Where(p => p[0] == key)
            .Select(p => long.Parse(p[1], CultureInfo.InvariantCulture)).FirstOrDefault();

    public void Add(int pid) => Write("cgroup.procs", pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>A CFS quota of <paramref name="cores"/> per 100 ms period.</summary>
    public void SetQuota(double cores)
    {
        Write("cpu.cfs_period_us", "100000");
        Write("cpu.cfs_quota_us", ((long)(cores * 100_000)).ToString(CultureInfo.InvariantCulture));
    }

    public void Dispose()
    {
        // A cgroup with tasks cannot be removed: the caller stops its processes first; give the kernel a moment.
        for (var attempt = 0; attempt < 50 && Directory.Exists(Path); attempt++)
        {
            try
            {
                Directory.Delete(Path);
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
        }
    }
}
