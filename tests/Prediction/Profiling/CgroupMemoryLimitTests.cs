using AdaMec.Prediction.Profiling;

namespace AdaMec.Prediction.Tests.Profiling;

public sealed class CgroupMemoryLimitTests
{
    [Fact]
    public void Probe_NoMemoryControllerAtRoot_ReportsUnavailableNamingThePath()
    {
        var root = Path.Combine(Path.GetTempPath(), $"no-cgroup-{Guid.NewGuid():N}");

        var probe = CgroupMemoryLimit.Probe(root);

        Assert.False(probe.Available);
        Assert.Contains(root, probe.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_ReadOnlyHierarchy_ReportsUnavailableInsteadOfThrowing()
    {
        // A directory that looks like a v1 memory hierarchy but where groups cannot be limited.
        var root = Directory.CreateTempSubdirectory("fake-cgroup").FullName;
        File.WriteAllText(Path.Combine(root, "memory.limit_in_bytes"), "9223372036854771712");
        var blocker = Path.Combine(root, $"adamec-probe-{Environment.ProcessId}");
        File.WriteAllText(blocker, "a file where the group directory would go");
        try
        {
            var probe = CgroupMemoryLimit.Probe(root);

            Assert.False(probe.Available);
            Assert.Contains("Cannot create or limit", probe.Detail, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
