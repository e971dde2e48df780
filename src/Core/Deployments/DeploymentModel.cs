using AdaMec.Core.Atoms;

namespace AdaMec.Core.Deployments;

/// <summary>One atom as a deployment sees it: what planning needs, and the hash that names its weights.</summary>
public sealed record DeploymentAtom(
    string Id,
    double Flops,
    double WeightBytes,
    double MemoryBytes,
    double OutputBytes,
    double PredictedMs,
    string Sha256);

/// <summary>
/// The deployed model: its atoms in chain order and the SHA-256 of the manifest they came from.
/// A different manifest hash means different atoms (new weights): the deployment starts again
/// from the initiator.
/// </summary>
public sealed record DeploymentModel(string ManifestSha256, double InputBytes, IReadOnlyList<DeploymentAtom> Atoms)
{
    /// <summary>The planning view of a validated manifest.</summary>
    public static DeploymentModel FromManifest(AtomManifest manifest, string manifestSha256)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new DeploymentModel(
            manifestSha256,
            manifest.Atoms[0].InputBytes,
            manifest.Atoms.Select(a => new DeploymentAtom(a.Id, a.Flops, a.WeightBytes, a.MemoryBytes, a.OutputBytes, a.PredictedMs, a.Sha256)).ToArray());
    }
}

/// <summary>What the initiator says about itself when it deploys. Absent budgets are unlimited.</summary>
public sealed record DeploymentInitiator(string DeviceId, double SpeedFactor, double? MemoryBudgetBytes, double? ComputeBudgetFlops);

/// <summary>What kind of context moved (a context grain's typed signal; its text is never parsed).</summary>
public enum ContextKind
{
    /// <summary>Declared budgets: no hysteresis, and atoms blocked on that device may be tried again.</summary>
    Budgets = 0,
    /// <summary>Measured link bandwidth or latency.</summary>
    Link = 1,
    /// <summary>Measured available memory.</summary>
    Memory = 2,
    /// <summary>Measured CPU quota, load or speed.</summary>
    Compute = 3,
}

/// <summary>
/// One device's context as its device grain reports it. <c>SpeedFactor</c>: how many times slower
/// than the manifest's predictions its atoms run (measured by the device). <c>AvailableMemoryBytes</c>:
/// memory it can still give atoms, -1 when unknown. <c>OwnResidentAtoms</c>: indices of this
/// deployment's atoms resident there, the only memory a re-plan may count as reclaimable.
/// </summary>
public sealed record DeviceContext(
    string DeviceId,
    double SpeedFactor,
    double? MemoryBudgetBytes,
    double? ComputeBudgetFlops,
    long AvailableMemoryBytes,
    IReadOnlyList<int> OwnResidentAtoms)
{
    /// <summary>
    /// The device's own predicted ms per atom (chain order) under its memory and speed now (formula 6
    /// when the manifest carries f_mem); the planner uses these instead of predictedMs × <see cref="SpeedFactor"/>.
    /// Null, or a list of the wrong length or with a value that is not a finite number &gt;= 0: not used.
    /// </summary>
    public IReadOnlyList<double>? AtomMs { get; init; }
}

/// <summary>One directed link's estimate.</summary>
public sealed record LinkContext(string From, string To, double Mbps, double LatencyMs);

/// <summary>The context a re-plan uses: the devices that answered and the links between them and the initiator.</summary>
public sealed record ContextSnapshot(IReadOnlyList<DeviceContext> Devices, IReadOnlyList<LinkContext> Links);
