using AdaMec.Interfaces;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace AdaMec.Grains;

/// <summary>Places a grain on the silo of the device its key names (text after the last '@', or the whole key).</summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("AdaMec.DevicePlacement")]
public sealed class DevicePlacement : PlacementStrategy
{
    internal static readonly DevicePlacement Instance = new();
}

/// <summary>Pins a grain class to the device named by its key.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class DevicePlacementAttribute : PlacementAttribute
{
    public DevicePlacementAttribute() : base(DevicePlacement.Instance) { }
}

/// <summary>Finds the silo whose name is the device id; fails clearly when no such silo is active.</summary>
internal sealed class DevicePlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var device = GrainKeys.DeviceOf(target.GrainIdentity.Key.ToString()!);
        var compatible = context.GetCompatibleSilos(target);
        var silo = SiloOf(membership, device, compatible);
        if (silo is null)
        {
            var known = string.Join(", ", DevicesOf(membership, compatible));
            throw new AdaMecException(AdaMecErrorCode.UnknownDevice, $"no active silo serves device '{device}' (active devices: {(known.Length == 0 ? "none" : known)})");
        }
        return Task.FromResult(silo);
    }

    internal static SiloAddress? SiloOf(IClusterMembershipService membership, string device, IEnumerable<SiloAddress> candidates)
    {
        var members = membership.CurrentSnapshot.Members;
        foreach (var silo in candidates)
        {
            if (members.TryGetValue(silo, out var member) && member.Status == SiloStatus.Active && member.Name == device) return silo;
        }
        return null;
    }

    internal static IEnumerable<string> DevicesOf(IClusterMembershipService membership, IEnumerable<SiloAddress> candidates)
    {
        var members = membership.CurrentSnapshot.Members;
        return candidates.Where(s => members.TryGetValue(s, out var m) && m.Status == SiloStatus.Active).Select(s => members[s].Name).Order(StringComparer.Ordinal);
    }
}
