using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Prediction.Learning;

/// <summary>A speed probe's result: the probe networks' summed median time, measured and predicted.</summary>
public sealed record SpeedReading(double MeasuredMs, double PredictedMs)
{
    /// <summary>How many times slower than predicted the device runs now (1: as profiled; 1.2: 20% slower).</summary>
    public double Factor => MeasuredMs / PredictedMs;
}

/// <summary>
/// The device's speed right now, as a run-time context (like its free memory): a few fixed
/// networks are timed and compared with the predictor's estimate for them. The profile fixes how
/// fast the device was while it was taken; a shared or throttled device then runs the same work
/// at a different speed (this VM: every zoo model 18-25% slower for minutes at a time, then back).
/// The probe networks are seeded random CNNs from <see cref="CalibrationNetworks"/> with a seed
/// the calibration does not use, so they are neither zoo nor calibration networks.
/// </summary>
public static class DeviceSpeedProbe
{
    /// <summary>Seed of the probe networks (the calibration uses 1 by default).</summary>
    public const int Seed = 2;

    /// <summary>Probe networks: one of each style (plain, residual, separable, inception); 14-56 ms each here.</summary>
    public const int Count = 4;

    public static IReadOnlyList<OperatorGraph> Graphs() => Enumerable.Range(0, Count).Select(i => CalibrationNetworks.Build(Seed, i)).ToArray();

    /// <summary>Reads the speed from probe networks timed alongside other work (<paramref name="measured"/>, same order as <see cref="Graphs"/>).</summary>
    public static SpeedReading Read(IReadOnlyList<Timing> measured, LearnedLatencyModel model)
    {
        ArgumentNullException.ThrowIfNull(measured);
        ArgumentNullException.ThrowIfNull(model);
        var graphs = Graphs();
        if (measured.Count != graphs.Count) throw new ArgumentException($"Expected {graphs.Count} probe timings, got {measured.Count}.", nameof(measured));
        return new SpeedReading(measured.Sum(t => t.MedianMs), graphs.Sum(g => model.PredictAtomMs(g.Nodes)));
    }

    /// <summary>Times the probe networks on their own (round-robin, median per network) and reads the speed.</summary>
    public static SpeedReading Measure(LearnedLatencyModel model, int rounds = 9)
    {
        ArgumentNullException.ThrowIfNull(model);
        var modules = Graphs().Select(g => ModelZoo.Create(g)).ToArray();
        try
        {
            return Read(OperatorTimer.TimeRoundRobin(modules, rounds: rounds), model);
        }
        finally
        {
            foreach (var module in modules) module.Dispose();
        }
    }
}
