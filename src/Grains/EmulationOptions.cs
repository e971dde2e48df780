using System.ComponentModel.DataAnnotations;

namespace AdaMec.Grains;

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
    [Range(0.0, 10_000.0)]
    public double LinkLatencyMs { get; set; }

    /// <summary>The delay that sending <paramref name="bytes"/> takes on the emulated link (zero when off).</summary>
    public TimeSpan TransferDelay(long bytes) =>
        !Enabled ? TimeSpan.Zero : TimeSpan.FromMilliseconds(LinkLatencyMs + (LinkMbps is { } mbps ? bytes * 8 / (mbps * 1000) : 0));
}
