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
/// prediction: at least <see cref="Window"/> passes and at least <see cref="MinWindowMs"/> of timed passes
/// (<see cref="MinThrottledWindowMs"/> under a CPU quota that throttles the atoms' threads).
/// Totals, not a median of per-pass ratios: a CPU quota lets a process run at full speed until the
/// period's budget is spent and then stops it, so most short passes run unthrottled and a few wait out
/// the rest of the period — a median never sees the quota, the totals do, provided the window spans
/// many quota periods (15 passes of a ResNet-18 atom chain span about one 100 ms period, and whether it
/// held a stall was chance). Under a quota a pass's time is mostly the periods it waited out, so a
/// second of pass time is about ten periods, and at a tenth of a core that is one or two requests: how
/// much of each period's budget the process's other work (messaging, GC) took first swings such a
/// window by a third either way (`adamec run --upto 9` at 0.1 core: 701 to 1297 ms for one chain), more
/// than the re-plan threshold. Hence the longer window there. Without a quota the one pass slowest against its prediction is left out
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

    /// <summary>
    /// Timed pass milliseconds the window spans at least while a CPU quota throttles the atoms' threads:
    /// a hundred 100 ms CFS periods, since under a quota each period of pass time is one period waited
    /// through. Over ten times as many periods as <see cref="MinWindowMs"/>, the reading's spread from
    /// how much of each period's budget other work took first shrinks by about the square root of ten
    /// (with five times, jitter still crossed the signal threshold now and then). A quota change still
    /// reads at once (see <see cref="Configure"/>); a slowdown under an unchanged quota reads within a
    /// window of passes.
    /// </summary>
    public const double MinThrottledWindowMs = 10_000;

    /// <summary>Most passes kept, however short.</summary>
    public const int MaxWindow = 5000;

    /// <summary>
    /// How many standard errors of the window's total a new total must differ from the reading held by
    /// more than to replace it: two, so a device whose speed does not change moves its reading on about
    /// one read in twenty, each by about the spread, and a real change of twice the spread moves it.
    /// </summary>
    public const double HoldStandardErrors = 2;

    /// <summary>Blocks of the window the standard error is measured from at least; with fewer the reading is not held.</summary>
    public const int MinHoldBlocks = 3;

    /// <summary>Passes timed before the window counts as a measurement.</summary>
    public const int MinSamples = 3;

    /// <summary>Atoms predicted under this many ms are not timed: their time is mostly call overhead and timer noise.</summary>
    public const double MinPredictedMs = 0.2;

    private readonly Lock _lock = new();
    private readonly Queue<(double PredictedMs, double MeasuredMs)> _ratios = new();
    private double _windowMs; // measured milliseconds of the passes in _ratios
    private double _prior = 1;
    private double _scaled = double.NaN;
    private double _held = double.NaN; // the measured reading last returned (see Held)
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
            var minWindowMs = Throttled ? MinThrottledWindowMs : MinWindowMs;
            while (_ratios.Count > MaxWindow || (_ratios.Count > Window && _windowMs - _ratios.Peek().MeasuredMs >= minWindowMs))
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

    /// <summary>
    /// The reading now. A measured reading holds its last value while the window's total stays within
    /// <see cref="HoldStandardErrors"/> standard errors of it, the error measured from the window's
    /// blocks of <see cref="MinWindowMs"/> (see <see cref="Held"/>): jitter a device's own passes show
    /// does not move the reading, a change beyond them does.
    /// </summary>
    public SpeedReading Current
    {
        get
        {
            lock (_lock)
            {
                if (_ratios.Count >= MinSamples) return new SpeedReading(Held(Measured()), SpeedSource.Measured, _ratios.Count);
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
        _held = double.NaN; // a new window (new quota, recalibration) reads afresh
    }

    /// <summary>
    /// <paramref name="total"/>, or the reading held before when it lies within
    /// <see cref="HoldStandardErrors"/> standard errors of it. The window is cut, oldest first, into
    /// blocks of at least <see cref="MinWindowMs"/> of passes (ten 100 ms CFS periods; a remainder shorter
    /// than that counts in the total, not in the spread); the relative standard error of the total is the spread of the blocks'
    /// own totals over their mean, over the square root of their number. A window that holds a step
    /// change has blocks on both sides of it, a wide spread for a while, and then none once it has
    /// moved through: a halving is read within two windows of passes.
    /// </summary>
    private double Held(double total)
    {
        var blocks = new List<double>();
        double measured = 0, predicted = 0;
        foreach (var (p, m) in _ratios)
        {
            measured += m;
            predicted += p;
            if (measured < MinWindowMs) continue;
            blocks.Add(measured / predicted);
            measured = predicted = 0;
        }
        if (blocks.Count >= MinHoldBlocks && double.IsFinite(_held))
        {
            var mean = blocks.Average();
            var sd = Math.Sqrt(blocks.Sum(b => (b - mean) * (b - mean)) / (blocks.Count - 1));
            var relativeError = sd / mean / Math.Sqrt(blocks.Count);
            if (Math.Abs(total / _held - 1) <= HoldStandardErrors * relativeError) return _held;
        }
        _held = total;
        return total;
    }

    /// <summary>The quota leaves the process fewer cores than an atom's threads: it is throttled.</summary>
    private bool Throttled => _cores >= 0 && _cores < Math.Min(_threads, Environment.ProcessorCount) - 0.01;

    private double Measured()
    {
        var kept = _ratios.OrderBy(p => p.MeasuredMs / p.PredictedMs).SkipLast(Throttled ? 0 : 1).ToList();
        return kept.Sum(p => p.MeasuredMs) / kept.Sum(p => p.PredictedMs);
    }
}
