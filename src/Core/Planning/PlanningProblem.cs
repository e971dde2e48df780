using System.Globalization;

namespace AdaMec.Core.Planning;

/// <summary>
/// A validated planning problem: the chain of atoms, the devices and links, the latency requirement
/// and the current assignment. Construction validates everything the cost model relies on and
/// throws <see cref="PlanningProblemException"/> naming the offending field, so every planner can
/// assume a well-formed problem.
/// </summary>
public sealed class PlanningProblem
{
    private readonly Dictionary<string, int> _deviceIndex;
    private readonly Dictionary<string, int> _atomIndex;
    private readonly int[] _current;
    private readonly PlanningDevice[] _devices;
    private readonly PlanningLink[] _links;
    private readonly PlanningAtom[] _atoms;

    private PlanningProblem(
        double inputBytes,
        double latencyRequirementMs,
        PlanningDevice[] devices,
        PlanningLink[] links,
        PlanningAtom[] atoms,
        int[] current,
        Dictionary<string, int> deviceIndex,
        Dictionary<string, int> atomIndex)
    {
        InputBytes = inputBytes;
        LatencyRequirementMs = latencyRequirementMs;
        _devices = devices;
        _links = links;
        _atoms = atoms;
        _current = current;
        _deviceIndex = deviceIndex;
        _atomIndex = atomIndex;
        InitiatorIndex = Array.FindIndex(devices, d => d.IsInitiator);
    }

    public double InputBytes { get; }

    public double LatencyRequirementMs { get; }

    public IReadOnlyList<PlanningDevice> Devices => _devices;

    public IReadOnlyList<PlanningLink> Links => _links;

    /// <summary>The atoms in chain order.</summary>
    public IReadOnlyList<PlanningAtom> Atoms => _atoms;

    public int InitiatorIndex { get; }

    public PlanningDevice Initiator => Devices[InitiatorIndex];

    /// <summary>Device index of every atom in the plan that runs now.</summary>
    public IReadOnlyList<int> Current => _current;

    public int DeviceIndexOf(string deviceId) =>
        _deviceIndex.TryGetValue(deviceId, out var index)
            ? index
            : throw new KeyNotFoundException($"Unknown device '{deviceId}'.");

    public int AtomIndexOf(string atomId) =>
        _atomIndex.TryGetValue(atomId, out var index)
            ? index
            : throw new KeyNotFoundException($"Unknown atom '{atomId}'.");

    /// <summary>
    /// Validates and builds a problem. <paramref name="current"/> maps atom ids to device ids; atoms
    /// it leaves out run on the initiator (a fresh deployment starts local), and <c>null</c> means
    /// everything runs on the initiator.
    /// </summary>
    public static PlanningProblem Create(
        double inputBytes,
        double latencyRequirementMs,
        IEnumerable<PlanningDevice> devices,
        IEnumerable<PlanningLink> links,
        IEnumerable<PlanningAtom> atoms,
        IReadOnlyDictionary<string, string>? current = null)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(links);
        ArgumentNullException.ThrowIfNull(atoms);
        var deviceArray = devices.ToArray();
        var linkArray = links.ToArray();
        var atomArray = atoms.ToArray();

        RequireNonNegative("inputBytes", inputBytes);
        if (!double.IsFinite(latencyRequirementMs) || latencyRequirementMs <= 0)
            throw new PlanningProblemException("latencyRequirementMs", "must be a finite number > 0");

        var deviceIndex = ValidateDevices(deviceArray);
        ValidateLinks(linkArray, deviceIndex);
        var atomIndex = ValidateAtoms(atomArray, deviceArray);

        var initiator = Array.FindIndex(deviceArray, d => d.IsInitiator);
        var currentArray = new int[atomArray.Length];
        Array.Fill(currentArray, initiator);
        if (current is not null)
        {
            foreach (var (atomId, deviceId) in current)
            {
                var field = $"current.{atomId}";
                if (!atomIndex.TryGetValue(atomId, out var atom))
                    throw new PlanningProblemException(field, $"unknown atom '{atomId}'");
                if (deviceId is null || !deviceIndex.TryGetValue(deviceId, out var device))
                    throw new PlanningProblemException(field, $"unknown device '{deviceId}'");
                currentArray[atom] = device;
            }
        }

        return new PlanningProblem(inputBytes, latencyRequirementMs, deviceArray, linkArray, atomArray, currentArray, deviceIndex, atomIndex);
    }

    /// <summary>The same problem with another current assignment (the planner's next starting point).</summary>
    public PlanningProblem WithCurrent(IReadOnlyList<int> current)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (current.Count != Atoms.Count)
            throw new ArgumentException($"Expected {Atoms.Count} device indices, got {current.Count}.", nameof(current));
        var copy = current.ToArray();
        foreach (var device in copy)
        {
            if ((uint)device >= (uint)Devices.Count)
                throw new ArgumentOutOfRangeException(nameof(current), device, "Not a device index.");
        }

        return new PlanningProblem(InputBytes, LatencyRequirementMs, _devices, _links, _atoms, copy, _deviceIndex, _atomIndex);
    }

    private static Dictionary<string, int> ValidateDevices(PlanningDevice[] devices)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var initiator = -1;
        for (var d = 0; d < devices.Length; d++)
        {
            var device = devices[d] ?? throw new PlanningProblemException($"devices[{d}]", "missing");
            if (string.IsNullOrWhiteSpace(device.Id))
                throw new PlanningProblemException($"devices[{d}].id", "must be a non-empty string");
            if (!index.TryAdd(device.Id, d))
                throw new PlanningProblemException($"devices[{d}].id", $"duplicate id '{device.Id}' (also devices[{index[device.Id]}])");
            if (device.IsInitiator)
            {
                if (initiator >= 0)
                    throw new PlanningProblemException($"devices[{d}].initiator", $"second initiator (devices[{initiator}] '{devices[initiator].Id}' is already the initiator)");
                initiator = d;
            }

            if (device.MemoryBudgetBytes is { } memory) RequireNonNegative($"devices[{d}].memoryBudgetBytes", memory);
            if (device.ComputeBudgetFlops is { } compute) RequireNonNegative($"devices[{d}].computeBudgetFlops", compute);
        }

        if (initiator < 0)
            throw new PlanningProblemException("devices", "no initiator (exactly one device needs \"initiator\": true)");
        return index;
    }

    private static void ValidateLinks(PlanningLink[] links, Dictionary<string, int> deviceIndex)
    {
        var seen = new Dictionary<(string, string), int>();
        for (var l = 0; l < links.Length; l++)
        {
            var link = links[l] ?? throw new PlanningProblemException($"links[{l}]", "missing");
            if (link.From is null || !deviceIndex.ContainsKey(link.From))
                throw new PlanningProblemException($"links[{l}].from", $"unknown device '{link.From}'");
            if (link.To is null || !deviceIndex.ContainsKey(link.To))
                throw new PlanningProblemException($"links[{l}].to", $"unknown device '{link.To}'");
            if (link.From == link.To)
                throw new PlanningProblemException($"links[{l}].to", "a link must join two different devices (a device reaches itself for free)");
            if (!double.IsFinite(link.Mbps) || link.Mbps <= 0)
                throw new PlanningProblemException($"links[{l}].mbps", "must be a finite number > 0 (leave the link out if there is none)");
            RequireNonNegative($"links[{l}].latencyMs", link.LatencyMs);
            if (!seen.TryAdd((link.From, link.To), l))
                throw new PlanningProblemException($"links[{l}]", $"duplicate link {link.From} -> {link.To} (also links[{seen[(link.From, link.To)]}])");
        }
    }

    private static Dictionary<string, int> ValidateAtoms(PlanningAtom[] atoms, PlanningDevice[] devices)
    {
        if (atoms.Length == 0)
            throw new PlanningProblemException("atoms", "must list at least one atom");
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var a = 0; a < atoms.Length; a++)
        {
            var atom = atoms[a] ?? throw new PlanningProblemException($"atoms[{a}]", "missing");
            var prefix = string.Create(CultureInfo.InvariantCulture, $"atoms[{a}]");
            if (string.IsNullOrWhiteSpace(atom.Id))
                throw new PlanningProblemException($"{prefix}.id", "must be a non-empty string");
            if (!index.TryAdd(atom.Id, a))
                throw new PlanningProblemException($"{prefix}.id", $"duplicate id '{atom.Id}' (also atoms[{index[atom.Id]}])");
            RequireNonNegative($"{prefix}.flops", atom.Flops);
            RequireNonNegative($"{prefix}.weightBytes", atom.WeightBytes);
            RequireNonNegative($"{prefix}.memoryBytes", atom.MemoryBytes);
            RequireNonNegative($"{prefix}.outputBytes", atom.OutputBytes);
            if (atom.LatencyMs is null)
                throw new PlanningProblemException($"{prefix}.latencyMs", "missing");
            foreach (var (deviceId, latency) in atom.LatencyMs)
            {
                if (Array.FindIndex(devices, d => d.Id == deviceId) < 0)
                    throw new PlanningProblemException($"{prefix}.latencyMs.{deviceId}", $"unknown device '{deviceId}'");
                RequireNonNegative($"{prefix}.latencyMs.{deviceId}", latency);
            }

            // Every device needs a prediction: a silent default would let a planner put an atom on a
            // device nobody profiled it for.
            foreach (var device in devices)
            {
                if (!atom.LatencyMs.ContainsKey(device.Id))
                    throw new PlanningProblemException($"{prefix}.latencyMs.{device.Id}", "missing (every atom needs a latency for every device)");
            }
        }

        return index;
    }

    private static void RequireNonNegative(string field, double value)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new PlanningProblemException(field, "must be a finite number >= 0");
    }
}
