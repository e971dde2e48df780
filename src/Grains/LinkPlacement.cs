using AdaMec.Interfaces;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace AdaMec.Grains;

/// <summary>
/// Places a link's grain on the silo of one of the two devices it joins (the receiving one first).
/// Anywhere else, the estimate, an operator's declared bandwidth and the planners subscribed to it
/// would vanish when that unrelated silo left; here they last as long as a device they describe.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("AdaMec.LinkPlacement")]
public sealed class LinkPlacement : PlacementStrategy
{
    internal static readonly LinkPlacement Instance = new();
}

/// <summary>Places a link grain class with <see cref="LinkPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class LinkPlacementAttribute : PlacementAttribute
{
    public LinkPlacementAttribute() : base(LinkPlacement.Instance) { }
}

internal sealed class LinkPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var (from, to) = GrainKeys.ParseLink(target.GrainIdentity.Key.ToString()!);
        var compatible = context.GetCompatibleSilos(target);
        var silo = DevicePlacementDirector.SiloOf(membership, to, compatible)
            ?? DevicePlacementDirector.SiloOf(membership, from, compatible)
            // Neither device has a silo (both left, or two initiators): any silo will do.
            ?? compatible[Random.Shared.Next(compatible.Length)];
        return Task.FromResult(silo);
    }
}
