using System.Globalization;
using AdaMec.Core.Context;

namespace AdaMec.Core.Tests.Context;

/// <summary>The resource probe (memory, CPU quota) against cgroup-shaped files in a temp folder.</summary>
public sealed class ResourceProbeTests : IDisposable
{
    private const long MiB = 1024 * 1024;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "adamec-probe-" + Guid.NewGuid().ToString("N")[..8]);

    private ResourceProbe Probe => new(_root);

    [Fact]
    public void AvailableMemory_CgroupV1Limit_IsLimitMinusWorkingSet()
    {
        V1(limit: 1024 * MiB, usage: 700 * MiB, inactiveFile: 100 * MiB);
        MemInfo(availableKb: 8L * 1024 * 1024);
        Assert.Equal(424 * MiB, Probe.AvailableMemoryBytes());
    }

    [Fact]
    public void AvailableMemory_CgroupV1SoftLimitUnderTheHardOne_CountsAgainstTheSoftLimit()
    {
        // A cut announced as the soft limit (the testbed's memoryLimit event) before the hard limit follows.
        V1(limit: 1024 * MiB, usage: 700 * MiB, inactiveFile: 100 * MiB);
        Write("sys/fs/cgroup/memory/memory.soft_limit_in_bytes", (640 * MiB).ToString(CultureInfo.InvariantCulture));
        MemInfo(availableKb: 8L * 1024 * 1024);
        var sample = Probe.Sample();
        Assert.Equal(40 * MiB, sample.AvailableMemoryBytes);
        Assert.Equal(640 * MiB, sample.MemoryLimitBytes);

        Write("sys/fs/cgroup/memory/memory.soft_limit_in_bytes", "9223372036854771712"); // unset: the hard limit stands
        Assert.Equal(424 * MiB, Probe.AvailableMemoryBytes());
    }

    [Fact]
    public void AvailableMemory_CgroupV2HighUnderMax_CountsAgainstHigh()
    {
        V2("536870912", usage: 200 * MiB, inactiveFile: 50 * MiB);
        Write("sys/fs/cgroup/memory.high", (300 * MiB).ToString(CultureInfo.InvariantCulture));
        MemInfo(availableKb: 8L * 1024 * 1024);
        Assert.Equal(150 * MiB, Probe.AvailableMemoryBytes());

        Write("sys/fs/cgroup/memory.high", "max");
        Assert.Equal(362 * MiB, Probe.AvailableMemoryBytes());
    }

    [Fact]
    public void AvailableMemory_CgroupV1NoLimit_FallsBackToMemAvailable()
    {
        // What v1 writes for "no limit" (this machine's own value).
        V1(limit: 9223372036854771712, usage: 2 * 1024 * MiB, inactiveFile: null);
        MemInfo(availableKb: 3 * 1024 * 1024);
        Assert.Equal(3L * 1024 * MiB, Probe.AvailableMemoryBytes());
    }

    [Fact]
    public void AvailableMemory_CgroupV2Limit_IsLimitMinusWorkingSetAndNeverAboveMemAvailable()
    {
        V2("536870912", usage: 200 * MiB, inactiveFile: 50 * MiB);
        MemInfo(availableKb: 8L * 1024 * 1024);
        Assert.Equal(362 * MiB, Probe.AvailableMemoryBytes());

        MemInfo(availableKb: 100 * 1024); // the machine is tighter than the cgroup
        Assert.Equal(100 * MiB, Probe.AvailableMemoryBytes());
    }

    [Fact]
    public void AvailableMemory_CgroupV2Max_FallsBackToMemAvailableEvenWithAV1FolderBeside()
    {
        V2("max", usage: 200 * MiB, inactiveFile: null);
        V1(limit: 10 * MiB, usage: 9 * MiB, inactiveFile: null); // hybrid mode: v1 does not govern memory here
        MemInfo(availableKb: 2 * 1024 * 1024);
        Assert.Equal(2L * 1024 * MiB, Probe.AvailableMemoryBytes());
    }

    [Fact]
    public void AvailableMemory_UsageOverLimit_IsZeroNotNegative()
    {
        V2("104857600", usage: 120 * MiB, inactiveFile: null);
        Assert.Equal(0, Probe.AvailableMemoryBytes());
    }

    [Fact]
    public void AvailableMemory_NothingReadable_IsMinusOne()
    {
        Directory.CreateDirectory(_root);
        Assert.Equal(-1, Probe.AvailableMemoryBytes());
        V1Raw("garbage", "12");
        Assert.Equal(-1, Probe.AvailableMemoryBytes());
    }

    [Fact]
    public void Sample_OwnCgroupV1FromProcSelf_ReadsItsFolderAndTheTightestLimitAndQuotaAbove()
    {
        // The process lives in /adamec/edge (as a test or an operator moves a silo there), not at the root.
        Write("proc/self/cgroup", "12:memory:/adamec/edge\n4:cpu,cpuacct:/adamec/edge\n1:name=systemd:/init.scope\n");
        V1(limit: 9223372036854771712, usage: 5000 * MiB, inactiveFile: null); // the root: no limit
        Write("sys/fs/cgroup/memory/adamec/edge/memory.limit_in_bytes", (512 * MiB).ToString(CultureInfo.InvariantCulture));
        Write("sys/fs/cgroup/memory/adamec/edge/memory.usage_in_bytes", (250 * MiB).ToString(CultureInfo.InvariantCulture));
        // A parent limit binds too: v1 states it in the child's memory.stat.
        Write("sys/fs/cgroup/memory/adamec/edge/memory.stat", $"cache 1\ntotal_inactive_file {50 * MiB}\nhierarchical_memory_limit {300 * MiB}\n");
        MemInfo(availableKb: 8L * 1024 * 1024);
        Quota("sys/fs/cgroup/cpu,cpuacct", -1, 100_000);
        Quota("sys/fs/cgroup/cpu,cpuacct/adamec", 150_000, 100_000);
        Quota("sys/fs/cgroup/cpu,cpuacct/adamec/edge", 50_000, 100_000);

        var sample = Probe.Sample();

        Assert.Equal(300 * MiB, sample.MemoryLimitBytes);
        Assert.Equal(100 * MiB, sample.AvailableMemoryBytes);
        Assert.Equal(0.5, sample.CpuQuotaCores, 6);

        Quota("sys/fs/cgroup/cpu,cpuacct/adamec", 20_000, 100_000); // the parent is now the tighter one
        Assert.Equal(0.2, Probe.Sample().CpuQuotaCores, 6);
    }

    [Fact]
    public void Sample_NoCpuQuotaAnywhere_IsMinusOneAndEveryCoreCounts()
    {
        Write("proc/self/cgroup", "4:cpu,cpuacct:/adamec/edge\n");
        Quota("sys/fs/cgroup/cpu,cpuacct", -1, 100_000);
        Quota("sys/fs/cgroup/cpu,cpuacct/adamec/edge", -1, 100_000);

        var sample = Probe.Sample();

        Assert.Equal(-1, sample.CpuQuotaCores);
        Assert.Equal(Environment.ProcessorCount, sample.EffectiveCores);
    }

    [Fact]
    public void Sample_OwnCgroupV2_ReadsItsMemoryMaxAndTheTightestCpuMax()
    {
        Write("proc/self/cgroup", "0::/adamec/edge\n");
        Write("sys/fs/cgroup/adamec/edge/memory.max", (400 * MiB).ToString(CultureInfo.InvariantCulture));
        Write("sys/fs/cgroup/adamec/edge/memory.current", (150 * MiB).ToString(CultureInfo.InvariantCulture));
        Write("sys/fs/cgroup/adamec/edge/memory.stat", $"anon 1\ninactive_file {10 * MiB}\n");
        Write("sys/fs/cgroup/adamec/cpu.max", "max 100000");
        Write("sys/fs/cgroup/adamec/edge/cpu.max", "75000 100000");
        MemInfo(availableKb: 8L * 1024 * 1024);

        var sample = Probe.Sample();

        Assert.Equal(400 * MiB, sample.MemoryLimitBytes);
        Assert.Equal(260 * MiB, sample.AvailableMemoryBytes);
        Assert.Equal(0.75, sample.CpuQuotaCores, 6);
    }

    [Fact]
    public void Sample_ThisProcessMovedIntoAnotherCgroup_ReadsTheNewOneOnTheNextSample()
    {
        Write("proc/self/cgroup", "4:memory:/a\n");
        Write("sys/fs/cgroup/memory/a/memory.limit_in_bytes", (100 * MiB).ToString(CultureInfo.InvariantCulture));
        Write("sys/fs/cgroup/memory/a/memory.usage_in_bytes", (40 * MiB).ToString(CultureInfo.InvariantCulture));
        Write("sys/fs/cgroup/memory/b/memory.limit_in_bytes", (200 * MiB).ToString(CultureInfo.InvariantCulture));
        Write("sys/fs/cgroup/memory/b/memory.usage_in_bytes", (40 * MiB).ToString(CultureInfo.InvariantCulture));
        MemInfo(availableKb: 8L * 1024 * 1024);
        var probe = Probe;
        Assert.Equal(60 * MiB, probe.Sample().AvailableMemoryBytes);

        Write("proc/self/cgroup", "4:memory:/b\n");

        Assert.Equal(160 * MiB, probe.Sample().AvailableMemoryBytes);
    }

    [Fact]
    public void AvailableMemory_ThisMachine_IsPositive()
    {
        Assert.True(ResourceProbe.System.AvailableMemoryBytes() > 0);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private void V1(long limit, long usage, long? inactiveFile)
    {
        V1Raw(limit.ToString(CultureInfo.InvariantCulture), usage.ToString(CultureInfo.InvariantCulture));
        if (inactiveFile is { } inactive)
            Write("sys/fs/cgroup/memory/memory.stat", $"cache 1\ninactive_file 999999999\ntotal_inactive_file {inactive}\n");
    }

    private void V1Raw(string limit, string usage)
    {
        Write("sys/fs/cgroup/memory/memory.limit_in_bytes", limit + "\n");
        Write("sys/fs/cgroup/memory/memory.usage_in_bytes", usage + "\n");
    }

    private void V2(string max, long usage, long? inactiveFile)
    {
        Write("sys/fs/cgroup/memory.max", max + "\n");
        Write("sys/fs/cgroup/memory.current", usage.ToString(CultureInfo.InvariantCulture) + "\n");
        if (inactiveFile is { } inactive) Write("sys/fs/cgroup/memory.stat", $"anon 1\ninactive_file {inactive}\nactive_file 5\n");
    }

    private void Quota(string folder, long quotaUs, long periodUs)
    {
        Write(folder + "/cpu.cfs_quota_us", quotaUs.ToString(CultureInfo.InvariantCulture) + "\n");
        Write(folder + "/cpu.cfs_period_us", periodUs.ToString(CultureInfo.InvariantCulture) + "\n");
    }

    private void MemInfo(long availableKb) =>
        Write("proc/meminfo", $"MemTotal:       24683000 kB\nMemFree:        1000 kB\nMemAvailable:   {availableKb} kB\n");

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
