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
        if (silo is null && IsLeavingHome(membership, device, context.LocalSilo))
        {
            // A stopping silo asks where its device's grains should migrate: nowhere, a device's grains live on its
            // own board. Answering with this silo makes Orleans keep them here until they deactivate with it,
            // instead of logging a failed migration for every pinned grain on every graceful shutdown.
            return Task.FromResult(context.LocalSilo);
        }
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

    /// <summary>This silo serves <paramref name="device"/> and is on its way out of the cluster.</summary>
    internal static bool IsLeavingHome(IClusterMembershipService membership, string device, SiloAddress local) =>
        membership.CurrentSnapshot.Members.TryGetValue(local, out var member) && member.Name == device
        && member.Status is SiloStatus.ShuttingDown or SiloStatus.Stopping;

    internal static IEnumerable<string> DevicesOf(IClusterMembershipService membership, IEnumerable<SiloAddress> candidates)
    {
        var members = membership.CurrentSnapshot.Members;
        return candidates.Where(s => members.TryGetValue(s, out var m) && m.Status == SiloStatus.Active).Select(s => members[s].Name).Order(StringComparer.Ordinal);
    }
}
