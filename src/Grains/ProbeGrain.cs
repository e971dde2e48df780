using AdaMec.Interfaces;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace AdaMec.Grains;

/// <summary>Relays a payload from device to device: the per-boundary overhead benchmark's probe.</summary>
[DevicePlacement]
internal sealed class ProbeGrain(IOptions<SiloMessagingOptions> messaging) : Grain, IProbeGrain
{
    public Task<int> RelayAsync(byte[] payload, IReadOnlyList<string> route)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(route);
        if (route.Count == 0) return Task.FromResult(payload.Length);
        TensorSizeGuard.Check(payload.Length, messaging.Value.MaxMessageBodySize, "probe payload");
        return GrainFactory.GetGrain<IProbeGrain>(route[0]).RelayAsync(payload, route.Skip(1).ToArray());
    }
}
