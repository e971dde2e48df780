using System.Globalization;
using AdaMec.Core.Deployments;
using AdaMec.Core.Planning;
using Microsoft.Extensions.Time.Testing;

namespace AdaMec.Core.Tests.Deployments;

/// <summary>
/// Plays the grain around a <see cref="DeploymentMachine"/> against a small simulated cluster: devices
/// join and leave, atom grains hold a copy of one atom's weights (by SHA-256), loads fail at random,
/// devices evict. Every input comes from a tape FsCheck draws (and shrinks); the oracles below are
/// kept by the simulation itself, not read from the machine's internals.
/// </summary>
internal sealed class DeploymentSimulation
{
    public const string Phone = "phone";
    public static readonly string[] Pool = ["e1", "e2", "e3", "e4"];

    public static readonly DeploymentMachineOptions Options = new()
    {
        HistoryLimit = 6,
        MaxRetries = 2,
        RetryDelay = TimeSpan.FromSeconds(1),
        ContextReplanInterval = TimeSpan.FromSeconds(2),
        SourceReleaseDelay = TimeSpan.FromSeconds(3),
    };

    private readonly Random _random;
    private readonly int _atomCount;
    private readonly double _loadFailRate;
    private readonly double _planFailRate;
    private readonly Dictionary<string, (double Speed, double? Memory, double Mbps)> _deviceFacts = new(StringComparer.Ordinal);
    private readonly Dictionary<(int Atom, string Device), int> _failuresSinceLift = [];
    private readonly HashSet<(int Atom, string Device)> _spoiled = [];
    private readonly Dictionary<(int Epoch, int Atom), int> _movesPerTarget = [];
    private int _manifest;
    private int _epoch;
    private string[] _lastTarget = [];
    private int _lastVersion;
    private bool _failuresOff;

    public DeploymentSimulation(int seed)
    {
        _random = new Random(seed);
        _atomCount = 1 + _random.Next(6);
        _loadFailRate = new[] { 0, 0.2, 0.6 }[_random.Next(3)];
        _planFailRate = new[] { 0, 0.1 }[_random.Next(2)];
        foreach (var device in Pool.Append(Phone))
        {
            _deviceFacts[device] = (0.2 + (_random.NextDouble() * 3), _random.Next(4) == 0 ? 2_000_000 : null, 1 + (_random.NextDouble() * 400));
        }
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Machine = new DeploymentMachine("dep", Options, Time);
        Active.UnionWith(Pool.Take(1 + _random.Next(Pool.Length)));
    }

    public FakeTimeProvider Time { get; }

    public DeploymentMachine Machine { get; private set; }

    public SortedSet<string> Active { get; } = new(StringComparer.Ordinal);

    /// <summary>Atom grains: which atom's weights (SHA-256) each (atom, device) grain holds.</summary>
    public Dictionary<(int Atom, string Device), string> Grains { get; } = [];

    public int Moves { get; private set; }

    public int Replans { get; private set; }

    public List<string> Failures { get; } = [];

    public DeploymentModel Model(int manifest) => new(
        "manifest-" + manifest.ToString(CultureInfo.InvariantCulture),
        150_528,
        Enumerable.Range(0, _atomCount).Select(i => new DeploymentAtom(
            $"m.a{i}", 1e8 * (1 + (i % 3)), 400_000 * (1 + (i % 2)), 1_000_000 * (1 + (i % 4)), 50_000 * (1 + (i % 3)), 3 + (i * 2),
            $"sha-{manifest}-{i}")).ToArray());

    public void Deploy(bool changedManifest)
    {
        if (changedManifest && Machine.IsDeployed) _manifest++;
        Machine.Deploy(Model(_manifest), new DeploymentInitiator(Phone, 4, null, null), 200, Active);
        Lift(_ => true);
        AfterInput();
    }

    /// <summary>Runs one operation decoded from the tape.</summary>
    public void Apply(byte op, byte arg)
    {
        var rng = new Random(arg);
        switch (op % 16)
        {
            case 0 or 1 or 2 or 3:
                for (var k = 0; k <= arg % 4; k++) Step();
                break;
            case 4:
                Time.Advance(TimeSpan.FromMilliseconds(500 * (arg % 8)));
                break;
            case 5:
                var choices = Active.Append(Phone).ToArray();
                var pin = Enumerable.Range(0, _atomCount).Select(_ => choices[rng.Next(choices.Length)]).ToArray();
                Machine.SetPin(pin);
                Lift(_ => true);
                break;
            case 6:
                Machine.SetPin(null);
                Lift(_ => true);
                break;
            case 7:
                Leave(Pool[arg % Pool.Length]);
                break;
            case 8:
                Join(Pool[arg % Pool.Length]);
                break;
            case 9:
                EvictLive(arg);
                break;
            case 10:
                var source = Pool[arg % Pool.Length];
                var kind = (ContextKind)(arg / 4 % 4);
                Machine.ContextChanged(kind, source, $"{kind} of {source}");
                if (kind == ContextKind.Budgets) Lift(d => d == source);
                break;
            case 11:
                var before = Machine.RequirementMs;
                Machine.SetRequirement(20 + (arg * 3));
                if (Machine.RequirementMs != before) Lift(_ => true);
                break;
            case 12:
                Deploy(changedManifest: arg % 2 == 1);
                break;
            case 13:
                Machine.RequestReplan("operator");
                Lift(_ => true);
                break;
            case 14:
                EvictAny(arg);
                break;
            default:
                Restore();
                break;
        }
        AfterInput();
    }

    /// <summary>Runs work until idle with nothing scheduled, advancing the clock to each wake-up; no failures.</summary>
    public int Drain()
    {
        _failuresOff = true;
        try
        {
            for (var i = 0; i < 2000; i++)
            {
                var work = Machine.NextWork();
                if (work is IdleWork { WakeAt: null }) return i;
                if (work is IdleWork { WakeAt: { } wake })
                {
                    Time.Advance(wake - Time.GetUtcNow() + TimeSpan.FromMilliseconds(1));
                    continue;
                }
                Execute(work);
                AfterInput();
            }
            Failures.Add("the machine never went idle");
            return -1;
        }
        finally
        {
            _failuresOff = false;
        }
    }

    /// <summary>True when the pin is the live plan, except for pairs that failed or were evicted since the last lift.</summary>
    public bool PinHonoured()
    {
        if (Machine.Pin is not { } pin || !pin.All(d => d == Phone || Active.Contains(d))) return true;
        for (var i = 0; i < pin.Count; i++)
        {
            if (Machine.Live[i] != pin[i] && !_spoiled.Contains((i, pin[i])))
            {
                Failures.Add($"pin [{string.Join(",", pin)}] not honoured at atom {i}: live [{string.Join(",", Machine.Live)}], target [{string.Join(",", Machine.Target)}]");
                return false;
            }
        }
        return true;
    }

    private void Step()
    {
        var work = Machine.NextWork();
        if (work is IdleWork { WakeAt: { } wake } && _random.Next(2) == 0) Time.Advance(wake - Time.GetUtcNow());
        Execute(work);
    }

    private void Execute(DeploymentWork work)
    {
        TrackTarget();
        switch (work)
        {
            case ReleaseWork release:
                if (Machine.Live[release.Atom] == release.Device) Failures.Add($"released atom {release.Atom} on {release.Device} while the live plan uses it");
                Grains.Remove((release.Atom, release.Device));
                Machine.SourceReleased(release.Atom, release.Device);
                break;
            case ReplanWork replan:
                Replan(replan);
                break;
            case OffloadWork offload:
                Offload(offload);
                break;
        }
        TrackTarget();
    }

    private void Replan(ReplanWork work)
    {
        if (!_failuresOff && _random.NextDouble() < _planFailRate)
        {
            Machine.PlanFailed(work, "context did not answer");
            return;
        }
        var devices = Active.Select(d => new DeviceContext(d, _deviceFacts[d].Speed, _deviceFacts[d].Memory, null, 8_000_000_000,
            Grains.Where(g => g.Key.Device == d).Select(g => g.Key.Atom).ToArray())).ToArray();
        var everyone = Active.Append(Phone).ToArray();
        var links = everyone.SelectMany(from => everyone.Where(to => to != from).Select(to =>
            new LinkContext(from, to, Math.Min(_deviceFacts[from].Mbps, _deviceFacts[to].Mbps), 1))).ToArray();
        var request = Machine.PreparePlan(work, new ContextSnapshot(devices, links));
        Machine.Decided(request, Planner.Decide(request.Problem, request.Strategy));
        Replans++;
    }

    private void Offload(OffloadWork work)
    {
        var key = (work.Atom, work.To);
        if (work.To != Phone && !Active.Contains(work.To)) Failures.Add($"offload of atom {work.Atom} to {work.To}, which is not active");
        if (work.Peer is { } peer && (!Active.Contains(peer) || Grains.GetValueOrDefault((work.Atom, peer)) != Sha(work.Atom)))
            Failures.Add($"offload of atom {work.Atom} names peer {peer}, which does not hold it");
        if (work.NeedsLoad && !_failuresOff && _random.NextDouble() < _loadFailRate)
        {
            var failures = _failuresSinceLift[key] = _failuresSinceLift.GetValueOrDefault(key) + 1;
            if (failures > Options.MaxRetries + 1) Failures.Add($"atom {work.Atom} to {work.To} failed {failures} times without a lift (at most {Options.MaxRetries + 1})");
            _spoiled.Add(key);
            Machine.AtomLoadFailed(work.Atom, work.To, "simulated failure");
            return;
        }
        if (work.NeedsLoad) Grains[key] = Sha(work.Atom);
        _failuresSinceLift.Remove(key);
        var before = Machine.Version;
        var effects = Machine.AtomResident(work.Atom, work.To, work.NeedsLoad ? 1000 : 0);
        if (Machine.Version != before)
        {
            Moves++;
            var count = _movesPerTarget[(_epoch, work.Atom)] = _movesPerTarget.GetValueOrDefault((_epoch, work.Atom)) + 1;
            if (count > 1) Failures.Add($"atom {work.Atom} moved {count} times towards target [{string.Join(",", Machine.Target)}]");
            if (effects.Notify is null) Failures.Add("the live plan changed but the initiator is not told");
        }
    }

    private void Leave(string device)
    {
        if (!Active.Remove(device)) return;
        var had = Machine.IsDeployed && Machine.Live.Contains(device);
        foreach (var key in Grains.Keys.Where(k => k.Device == device).ToArray()) Grains.Remove(key);
        var effects = Machine.MembershipChanged(Active);
        if (Machine.IsDeployed && Machine.Live.Contains(device)) Failures.Add($"{device} left but the live plan still names it");
        if (had && effects.Notify is null) Failures.Add($"{device} left with live atoms and the initiator is not told");
        if (had) _epoch++;
        Lift(d => d == device);
    }

    private void Join(string device)
    {
        if (!Active.Add(device)) return;
        Machine.MembershipChanged(Active);
        Lift(d => d == device);
    }

    private void EvictLive(byte arg)
    {
        if (!Machine.IsDeployed) return;
        var live = Enumerable.Range(0, Machine.Live.Count).Where(i => Machine.Live[i] != Phone).ToArray();
        if (live.Length == 0) return;
        var atom = live[arg % live.Length];
        var device = Machine.Live[atom];
        Grains.Remove((atom, device));
        _spoiled.Add((atom, device));
        var effects = Machine.AtomEvicted(atom, device, "memory budget");
        _epoch++;
        if (Machine.Live[atom] != Phone) Failures.Add($"atom {atom} evicted from {device} is still on the live plan");
        if (effects.Notify is null) Failures.Add($"atom {atom} evicted from {device}: the initiator is not told");
        // The next work that is not a release must be a re-plan, and an eviction's re-plan comes before any offload.
        for (var k = 0; k < 50; k++)
        {
            switch (Machine.NextWork())
            {
                case ReleaseWork release:
                    Execute(release);
                    continue;
                case ReplanWork { Cause: ReplanCause.Eviction } replan:
                    _failuresOff = true;
                    Replan(replan);
                    _failuresOff = false;
                    return;
                case ReplanWork other:
                    _failuresOff = true;
                    Replan(other);
                    _failuresOff = false;
                    continue;
                case var other:
                    Failures.Add($"after evicting atom {atom} from {device} the machine offered {other} before re-planning");
                    return;
            }
        }
    }

    private void EvictAny(byte arg)
    {
        // A device may also drop a copy the live plan does not use (an old source, a superseded load).
        if (Grains.Count == 0) return;
        var (atom, device) = Grains.Keys.OrderBy(k => k.Atom).ThenBy(k => k.Device, StringComparer.Ordinal).ElementAt(arg % Grains.Count);
        if (Machine.IsDeployed && Machine.Live.Count > atom && Machine.Live[atom] == device)
        {
            EvictLive((byte)Enumerable.Range(0, Machine.Live.Count).Where(i => Machine.Live[i] != Phone).ToList().IndexOf(atom));
            return;
        }
        Grains.Remove((atom, device));
        Machine.AtomEvicted(atom, device, "memory pressure");
    }

    private void Restore()
    {
        if (!Machine.IsDeployed) return;
        var memento = Machine.Save();
        var (live, target, pin, history, version) = (Machine.Live.ToArray(), Machine.Target.ToArray(), Machine.Pin?.ToArray(), Machine.History.ToArray(), Machine.Version);
        Machine = DeploymentMachine.Restore("dep", Options, Time, Model(_manifest), memento, Active);
        if (!Machine.Target.SequenceEqual(target) || !Machine.Live.SequenceEqual(live) || Machine.Version != version
            || !(Machine.Pin ?? []).SequenceEqual(pin ?? []) || (Machine.Pin is null) != (pin is null) || !Machine.History.SequenceEqual(history))
            Failures.Add("a restored machine differs from the saved one");
        Lift(_ => true); // retry counts are not durable
    }

    private void Lift(Func<string, bool> devices)
    {
        foreach (var key in _failuresSinceLift.Keys.Where(k => devices(k.Device)).ToArray()) _failuresSinceLift.Remove(key);
        _spoiled.RemoveWhere(k => devices(k.Device));
    }

    private string Sha(int atom) => Machine.Model.Atoms[atom].Sha256;

    /// <summary>Invariants that hold after every input.</summary>
    private void AfterInput()
    {
        if (!Machine.IsDeployed) return;
        for (var i = 0; i < Machine.Live.Count; i++)
        {
            var device = Machine.Live[i];
            if (device != Phone && (!Active.Contains(device) || Grains.GetValueOrDefault((i, device)) != Sha(i)))
                Failures.Add($"live plan [{string.Join(",", Machine.Live)}] names atom {i} on {device}, where it is not resident");
        }
        if (Machine.History.Count > Options.HistoryLimit) Failures.Add($"history holds {Machine.History.Count} entries (limit {Options.HistoryLimit})");
        if (!Machine.History.Zip(Machine.History.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence)) Failures.Add("history out of order");
        if (Machine.Version < _lastVersion) Failures.Add($"version went back from {_lastVersion} to {Machine.Version}");
        _lastVersion = Machine.Version;
        TrackTarget();
    }

    /// <summary>A new target (by value) starts a new count of moves.</summary>
    private void TrackTarget()
    {
        if (!Machine.IsDeployed || Machine.Target.SequenceEqual(_lastTarget)) return;
        _epoch++;
        _lastTarget = Machine.Target.ToArray();
    }
}
