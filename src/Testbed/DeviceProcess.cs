using System.Diagnostics;

namespace AdaMec.Testbed;

/// <summary>
/// Starts a program as a device: inside the device's network namespace and, before it runs a single
/// instruction of its own, inside the device's cgroups, so everything it allocates is charged to the device.
/// Its output is appended to a log file; it outlives the command that started it (testbed down stops it).
/// </summary>
internal static class DeviceProcess
{
    // The shell joins the cgroups with its own pid, then execs nsenter, which execs the program: one pid throughout.
    // Not `ip netns exec`: it remounts /sys for the namespace, which hides /sys/fs/cgroup, so a silo never saw its
    // own memory limit or CPU quota (it read no cgroup and planned on the whole machine's memory).
    private const string Script = """
        while [ "$1" != "--" ]; do echo $$ > "$1" || exit 97; shift; done
        shift; log="$1"; shift
        exec "$@" >>"$log" 2>&1 </dev/null
        """;

    public static int Start(IReadOnlyList<string> procsFiles, string netns, string log, string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var argument in (string[])["-c", Script, "sh", .. procsFiles, "--", log, "nsenter", "--net=/run/netns/" + netns, file, .. arguments])
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new TestbedException($"could not start {file} in {netns}");
        return process.Id;
    }

    /// <summary>True while process <paramref name="pid"/> runs (a zombie counts as gone).</summary>
    public static bool IsRunning(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return false;
        try
        {
            var fields = File.ReadAllText(stat);
            return fields[(fields.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
