using AdaMec.Core.Context;
using AdaMec.Interfaces;

namespace AdaMec.Client;

/// <summary>
/// The app measuring itself the way a silo's device grain does: its local atom passes timed against
/// the manifest's predictions (<see cref="DeviceSpeedMeter"/>), memory and CPU quota from its own
/// cgroup, else /proc/meminfo (<see cref="ResourceProbe"/>). One per client: every deployment's local
/// atoms run on the same device. Thread-safe.
/// </summary>
internal sealed class InitiatorSelf(AdaMecClientOptions options, ResourceProbe probe)
{
    private readonly DeviceSpeedMeter _meter = new();

    /// <summary>EMULATION: the factor local atoms are slowed by (1 without emulation); the meter's prior before anything is timed.</summary>
    public double EmulationFactor => options.Emulation ? options.SpeedFactor : 1;

    /// <summary>Times one local pass of an atom predicted at <paramref name="predictedMs"/> (emulated slowdown included).</summary>
    public void Record(double predictedMs, double measuredMs) => _meter.Record(predictedMs, measuredMs);

    /// <summary>Reads resources now (a few small file reads) and returns what the planner is told.</summary>
    public InitiatorContext Read()
    {
        var sample = probe.Sample();
        _meter.Configure(sample.EffectiveCores, options.InferenceThreads ?? Environment.ProcessorCount, EmulationFactor);
        var speed = _meter.Current;
        return new InitiatorContext(speed.Speed, speed.Source.ToString().ToLowerInvariant(), speed.Samples, _meter.PriorSpeed,
            sample.AvailableMemoryBytes, sample.MemoryLimitBytes, sample.CpuQuotaCores, EmulationFactor);
    }
}
