using AdaMec.Core.Atoms;
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

    /// <summary>
    /// Reads resources now (a few small file reads) and returns what the planner is told; with
    /// <paramref name="manifest"/>, also the app's own predicted latency of each of its atoms under its
    /// memory and speed now, as a device grain predicts its own (<see cref="AtomLatencyEstimator"/>).
    /// </summary>
    public InitiatorContext Read(AtomManifest? manifest = null)
    {
        var sample = probe.Sample();
        var threads = options.InferenceThreads ?? Environment.ProcessorCount;
        _meter.Configure(sample.EffectiveCores, threads, EmulationFactor);
        var speed = _meter.Current;
        var source = speed.Source.ToString().ToLowerInvariant();
        AtomLatencyReport? atoms = null;
        if (manifest is not null)
        {
            var (atomMs, basis) = AtomLatencyEstimator.Predict(manifest.Atoms.Select(a => a.PredictedMs).ToArray(), manifest.MemoryModel, speed.Speed, sample.AvailableMemoryBytes);
            atoms = new AtomLatencyReport(options.DeviceId, atomMs, basis, threads, manifest.MemoryModel?.ProfiledThreads ?? 0, sample.AvailableMemoryBytes, speed.Speed, source);
        }
        return new InitiatorContext(speed.Speed, source, speed.Samples, _meter.PriorSpeed,
            sample.AvailableMemoryBytes, sample.MemoryLimitBytes, sample.CpuQuotaCores, EmulationFactor)
        {
            Atoms = atoms,
        };
    }
}
