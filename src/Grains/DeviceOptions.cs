using System.ComponentModel.DataAnnotations;

namespace AdaMec.Grains;

/// <summary>The device this silo stands for. Section "Device".</summary>
public sealed class DeviceOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Device";

    /// <summary>Device id; also the silo name, so placement can find the silo of a device. Required.</summary>
    [Required, RegularExpression(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", ErrorMessage = "Device:Id must be 1-63 letters, digits, '_', '.', '-' (no '@' or '/': they delimit grain keys)")]
    public string Id { get; set; } = "";

    /// <summary>Memory budget for resident atoms, MB (0 to 1,048,576). Absent: unlimited (live free memory still applies).</summary>
    [Range(0, 1_048_576)]
    public double? MemoryBudgetMb { get; set; }

    /// <summary>Compute budget, MFLOPs per inference (0 to 1e9). Absent: unlimited.</summary>
    [Range(0, 1e9)]
    public double? ComputeBudgetMflops { get; set; }

    /// <summary>
    /// EMULATION knob: how many times slower than this machine the device's atoms are made to run when
    /// emulation is on (0.01 to 1000; 1 = same). The planner does not read it: it plans with the speed
    /// the device measures (which includes the emulated slowdown); before any atom ran, this factor is
    /// the device's prior when emulation is on.
    /// </summary>
    [Range(0.01, 1000)]
    public double SpeedFactor { get; set; } = 1;

    /// <summary>
    /// libtorch intra-op threads atoms run with (1 to 1,024). Set it to the thread count the latency
    /// predictor was profiled at (`adamec profile --threads`, 1 for the committed profile), so the
    /// planner's estimates describe how this device runs atoms: at libtorch's default, one thread
    /// per core, ResNet-18's atoms ran about 1.6x faster than their 1-thread predictions on a
    /// two-core machine. Absent: libtorch's default. The setting is per process (libtorch has one
    /// thread pool).
    /// </summary>
    [Range(1, 1024)]
    public int? InferenceThreads { get; set; }

    /// <summary>
    /// How often the device samples its live resources (available memory from its cgroup, else
    /// MemAvailable; CPU quota; load), evicts resident atoms under memory pressure and signals
    /// subscribed planners about changes (00:00:00.1 to 01:00:00).
    /// </summary>
    /// <value>The default value is 1 second.</value>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan MemoryPressureCheck { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Relative change of available memory, against the value last signalled, that signals subscribed
    /// planners (0.01 to 10). The reference moves only when a signal goes out, so memory that wavers
    /// around one level signals once, not on every sample.
    /// </summary>
    /// <value>The default value is 0.2 (20%).</value>
    [Range(0.01, 10)]
    public double MemorySignalThreshold { get; set; } = 0.2;

    /// <summary>Smallest change of available memory, MB, that signals, whatever the relative change (0 to 1,048,576).</summary>
    /// <value>The default value is 32 MB.</value>
    [Range(0, 1_048_576)]
    public double MemorySignalMinMb { get; set; } = 32;

    /// <summary>
    /// Relative change of the measured device speed, or of the CPU quota, against the value last
    /// signalled, that signals subscribed planners (0.01 to 10).
    /// </summary>
    /// <value>The default value is 0.25 (25%).</value>
    [Range(0.01, 10)]
    public double SpeedSignalThreshold { get; set; } = 0.25;

    /// <summary>
    /// Free memory, MB, below which the device evicts resident atoms, oldest first, until it is above
    /// again or none is left, and tells each atom's planner (0 to 1,048,576; default 64; 0 turns
    /// memory-pressure eviction off).
    /// </summary>
    [Range(0, 1_048_576)]
    public double MinFreeMemoryMb { get; set; } = 64;

    /// <summary>The folder the live resource probe reads /proc and /sys/fs/cgroup under ("/" on a real device; tests point it at cgroup-shaped files).</summary>
    internal string ProbeRoot { get; set; } = "/";

    /// <summary>Where verified atom weight files are cached (default: a per-device folder under the temp directory).</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>
    /// Size limit of the weight file cache, MB (1 to 1,048,576). After each write the least recently
    /// used files are deleted until the cache fits, except files of atoms resident on this device.
    /// </summary>
    /// <value>The default value is 2,048 MB.</value>
    [Range(1, 1_048_576)]
    public double CacheLimitMb { get; set; } = 2048;

    internal string ResolvedCacheDirectory => CacheDirectory ?? Path.Combine(Path.GetTempPath(), "adamec-cache", Id);
}
