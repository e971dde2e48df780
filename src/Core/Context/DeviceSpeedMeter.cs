namespace AdaMec.Core.Context;

/// <summary>What a device's speed reading rests on.</summary>
public enum SpeedSource
{
    /// <summary>No forward pass timed yet: the declared emulation factor (1 without emulation), scaled by the CPU quota.</summary>
    Prior = 0,
    /// <summary>The CPU quota changed since the last measurement: that measurement scaled by the change in usable cores, until new passes are timed.</summary>
    Quota = 1,
    /// <summary>Recent forward passes against the manifest's predictions (see <see cref="DeviceSpeedMeter"/>).</summary>
    Measured = 2,
}

/// <summary>A device's speed: how many times slower than the manifest's predicted per-atom latency its atoms run.</summary>
public sealed record SpeedReading(double Speed, SpeedSource Source, int Samples);

/// <summary>
/// One per silo (so per device and per backend: a silo runs one backend): each timed atom forward pass
/// (what it really took, emulated slowdown included) against the atom's predicted latency from the
/// manifest. The device's measured speed is the total time of the newest passes over their total
/// prediction: at least <see cref="Window"/> passes and at least <see cref="MinWindowMs"/> of timed passes.
/// Totals, not a median of per-pass ratios: a CPU quota lets a process run at full speed until the
/// period's budget is spent and then stops it, so most short passes run unthrottled and a few wait out
/// the rest of the period — a median never sees the quota, the totals do, provided the window spans
/// many quota periods (15 passes of a ResNet-18 atom chain span about one 100 ms period, and whether it
/// held a stall was chance). Without a quota the one pass slowest against its prediction is left out
/// (a pause); under a quota it is kept, because there the slowest pass is the one the quota stopped,
/// and leaving it out read a 1-core silo as nearly unthrottled. A CPU quota change starts a new window
/// and, until <see cref="MinSamples"/> passes are timed under it, scales the last reading by how many
/// cores the process can keep busy.
/// Thread-safe: atoms record from the executor's threads, the device grain reads.
/// </summary>
public sealed class DeviceSpeedMeter
{
    /// <summary>Ratios kept.</summary>
    public const int Window = 15;

    /// <summary>Timed pass milliseconds the window spans at least (ten 100 ms CFS periods), beyond <see cref="Window"/> passes.</summary>
    public const double MinWindowMs = 1000;

    /// <summary>Most passes kept, however short.</summary>
    public const int MaxWindow = 1000;

    /// <summary>Passes timed before the window counts as a measurement.</summary>
    public const int MinSamples = 3;

    /// <summary>Atoms predicted under this many ms are not timed: their time is mostly call overhead and timer noise.</summary>
    public const double MinPredictedMs = 0.2;

    private readonly Lock _lock = new();
    private readonly Queue<(double PredictedMs, double MeasuredMs)> _ratios = new();
    private double _windowMs; // measured milliseconds of the passes in _ratios
    private double _prior = 1;
    private double _scaled = double.NaN;
    private SpeedReading? _previous; // the reading before Restart, kept until passes are timed since
    private double _cores = -1;
    private double _threads = -1;

    /// <summary>Times one forward pass of an atom predicted at <paramref name="predictedMs"/>.</summary>
    public void Record(double predictedMs, double measuredMs)
    {
        if (!double.IsFinite(predictedMs) || !double.IsFinite(measuredMs) || predictedMs < MinPredictedMs || measuredMs <= 0) return;
        lock (_lock)
        {
            _ratios.Enqueue((predictedMs, measuredMs));
            _windowMs += measuredMs;
            while (_ratios.Count > MaxWindow || (_ratios.Count > Window && _windowMs - _ratios.Peek().MeasuredMs >= MinWindowMs))
                _windowMs -= _ratios.Dequeue().MeasuredMs;
        }
    }

    /// <summary>
    /// Tells the meter how many cores the process can keep busy, how many threads an atom runs with,
    /// and the declared emulation factor (1 without emulation). A change of usable cores starts a new
    /// window (see the class summary).
    /// </summary>
    public void Configure(double effectiveCores, double threads, double emulationFactor)
    {
        lock (_lock)
        {
            var parallel = Parallelism(effectiveCores, threads);
            // Before any pass is timed: an atom's threads share what the quota leaves.
            _prior = emulationFactor * Math.Max(1, Math.Min(threads, Environment.ProcessorCount) / parallel);
            if (_cores >= 0 && Math.Abs(parallel / Parallelism(_cores, _threads) - 1) > 0.01)
            {
                var basis = _ratios.Count >= MinSamples ? Measured() : double.IsFinite(_scaled) ? _scaled : _previous?.Speed ?? double.NaN;
                _previous = null;
                _scaled = basis * Parallelism(_cores, _threads) / parallel;
                Clear();
            }
            _cores = effectiveCores;
            _threads = threads;
        }
    }

    /// <summary>The reading now.</summary>
    public SpeedReading Current
    {
        get
        {
            lock (_lock)
            {
                if (_ratios.Count >= MinSamples) return new SpeedReading(Measured(), SpeedSource.Measured, _ratios.Count);
                if (double.IsFinite(_scaled)) return new SpeedReading(_scaled, SpeedSource.Quota, _ratios.Count);
                return _previous ?? new SpeedReading(_prior, SpeedSource.Prior, _ratios.Count);
            }
        }
    }

    /// <summary>
    /// Starts a new window (a planner saw requests stray from what it predicted): the reading rests only
    /// on passes timed from now on once there are <see cref="MinSamples"/> of them, and stays the
    /// reading before until then.
    /// </summary>
    public void Restart()
    {
        lock (_lock)
        {
            if (_ratios.Count >= MinSamples)
            {
                _previous = new SpeedReading(Measured(), SpeedSource.Measured, _ratios.Count);
                _scaled = double.NaN; // superseded by that measurement already
            }
            Clear();
        }
    }

    /// <summary>What the CPU quota and emulation alone would make of this device (1 for a whole, unemulated device); the planner scales it by what measured peers show.</summary>
    public double PriorSpeed
    {
        get
        {
            lock (_lock) return _prior;
        }
    }

    private static double Parallelism(double cores, double threads) => Math.Max(1e-3, Math.Min(cores, threads));

    private void Clear()
    {
        _ratios.Clear();
        _windowMs = 0;
    }

    /// <summary>The quota leaves the process fewer cores than an atom's threads: it is throttled.</summary>
    private bool Throttled => _cores >= 0 && _cores < Math.Min(_threads, Environment.ProcessorCount) - 0.01;

    private double Measured()
    {
        var kept = _ratios.OrderBy(p => p.MeasuredMs / p.PredictedMs).SkipLast(Throttled ? 0 : 1).ToList();
        return kept.Sum(p => p.MeasuredMs) / kept.Sum(p => p.PredictedMs);
    }
}
