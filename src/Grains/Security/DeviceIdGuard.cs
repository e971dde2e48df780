using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace AdaMec.Grains.Security;

/// <summary>
/// A device id names one board: once this silo has joined, it checks the membership for another
/// active silo of the same name (device id) and stops the start with a clear error if there is one.
/// Without it, device placement would silently pick the first match and the two boards would share
/// one device's grains. A silo restarted on the same endpoint is not a duplicate: its older
/// generation is superseded by Orleans itself.
/// </summary>
internal sealed partial class DeviceIdGuard(
    IClusterMembershipService membership,
    ILocalSiloDetails local,
    IOptions<DeviceOptions> device,
    ILogger<DeviceIdGuard> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(DeviceIdGuard), ServiceLifecycleStage.Active, CheckAsync);
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        await membership.Refresh(cancellationToken: cancellationToken);
        var id = device.Value.Id;
        var me = local.SiloAddress;
        var other = membership.CurrentSnapshot.Members.Values.FirstOrDefault(m =>
            m.Status == SiloStatus.Active && m.Name == id && !m.SiloAddress.Endpoint.Equals(me.Endpoint));
        if (other is null) return;
        LogDuplicate(logger, id, other.SiloAddress.ToString());
        throw new InvalidOperationException(
            $"device id '{id}' is already served by the active silo {other.SiloAddress}: a device id names one board. Start this silo with another --device, or stop that one first.");
    }

    [LoggerMessage(1, LogLevel.Error, "Device id {Device} is already served by the active silo {Other}: refusing to start")]
    private static partial void LogDuplicate(ILogger logger, string device, string other);
}
