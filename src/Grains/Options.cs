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

    /// <summary>How many times slower than the machine the atoms were profiled on (0.01 to 1000; 1 = same). The planner scales predicted atom latencies by it.</summary>
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

    /// <summary>Where verified atom weight files are cached (default: a per-device folder under the temp directory).</summary>
    public string? CacheDirectory { get; set; }

    internal string ResolvedCacheDirectory => CacheDirectory ?? Path.Combine(Path.GetTempPath(), "adamec-cache", Id);
}

/// <summary>
/// EMULATION of a testbed on one machine: slows atoms down by the device's speed factor and shapes
/// outgoing tensors and weights to a link bandwidth. Off by default; never enable on real boards.
/// Section "Emulation".
/// </summary>
public sealed class EmulationOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Emulation";

    /// <summary>Turns emulation on.</summary>
    public bool Enabled { get; set; }

    /// <summary>Emulated bandwidth of this device's outgoing links, Mbps (0.01 to 100,000). Absent: not shaped.</summary>
    [Range(0.01, 100_000)]
    public double? LinkMbps { get; set; }

    /// <summary>Emulated one-way latency of this device's outgoing links, ms (0 to 10,000).</summary>
    [Range(0, 10_000)]
    public double LinkLatencyMs { get; set; }

    /// <summary>The delay that sending <paramref name="bytes"/> takes on the emulated link (zero when off).</summary>
    public TimeSpan TransferDelay(long bytes) =>
        !Enabled ? TimeSpan.Zero : TimeSpan.FromMilliseconds(LinkLatencyMs + (LinkMbps is { } mbps ? bytes * 8 / (mbps * 1000) : 0));
}

/// <summary>How planners and context grains behave. Section "Planner".</summary>
public sealed class PlannerOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Planner";

    /// <summary>Planning strategy (see `adamec plan --help`).</summary>
    public string Strategy { get; set; } = Core.Planning.PlanningStrategies.DefaultName;

    /// <summary>How often a planner checks cluster membership, ms (50 to 60,000).</summary>
    [Range(50, 60_000)]
    public int MembershipPollMs { get; set; } = 500;

    /// <summary>Bandwidth assumed for a link with neither measurements nor a declaration, Mbps.</summary>
    [Range(0.01, 1_000_000)]
    public double DefaultLinkMbps { get; set; } = 1000;

    /// <summary>Latency assumed for a link with neither measurements nor a declaration, ms.</summary>
    [Range(0, 10_000)]
    public double DefaultLinkLatencyMs { get; set; } = 1;

    /// <summary>Relative change of a link estimate that makes planners re-plan (0.01 to 10).</summary>
    [Range(0.01, 10)]
    public double ChangeThreshold { get; set; } = 0.3;

    /// <summary>
    /// A re-plan triggered by measured context keeps the current target unless the new plan is faster
    /// by more than this fraction (0 to 1): measurements jitter, and moving atoms costs bytes.
    /// </summary>
    [Range(0, 1)]
    public double Hysteresis { get; set; } = 0.1;

    /// <summary>Weight bytes per pull message (64 KiB to 64 MiB; also capped by MaxMessageBodySize).</summary>
    [Range(65_536, 67_108_864)]
    public int WeightChunkBytes { get; set; } = 4 * 1024 * 1024;
}
