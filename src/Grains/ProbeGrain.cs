using System.Diagnostics;
using AdaMec.Interfaces;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace AdaMec.Grains;

/// <summary>
/// Relays a payload from device to device (the per-boundary overhead benchmark's probe) and measures
/// links actively: pinned to its device, it sends real bytes over the real transport to another
/// device's probe grain and times each call.
/// </summary>
[DevicePlacement]
internal sealed class ProbeGrain(IOptions<SiloMessagingOptions> messaging) : Grain, IProbeGrain
{
    /// <summary>At most this many payloads per measurement: a probe is small by design.</summary>
    private const int MaxPayloads = 16;

    public Task<int> RelayAsync(byte[] payload, IReadOnlyList<string> route)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(route);
        if (route.Count == 0) return Task.FromResult(payload.Length);
        TensorSizeGuard.Check(payload.Length, messaging.Value.MaxMessageBodySize, "probe payload");
        return GrainFactory.GetGrain<IProbeGrain>(route[0]).RelayAsync(payload, route.Skip(1).ToArray());
    }

    public async Task<double[]> MeasureAsync(string receiver, int[] sizes)
    {
        ArgumentException.ThrowIfNullOrEmpty(receiver);
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length is 0 or > MaxPayloads)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"a link probe sends 1 to {MaxPayloads} payloads, got {sizes.Length}");
        foreach (var size in sizes)
        {
            if (size <= 0) throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"probe payload sizes must be > 0 bytes, got {size}");
            TensorSizeGuard.Check(size, messaging.Value.MaxMessageBodySize, "probe payload");
        }
        var target = GrainFactory.GetGrain<IProbeGrain>(receiver);
        // Unmeasured warm-up: the first call may activate the target and open a connection.
        await target.RelayAsync(new byte[Math.Min(1024, sizes.Min())], []);
        var times = new double[sizes.Length];
        for (var i = 0; i < sizes.Length; i++)
        {
            // Random bytes: nothing on the way can make a payload of zeros cheaper than a tensor.
            var payload = new byte[sizes[i]];
            Random.Shared.NextBytes(payload);
            var started = Stopwatch.GetTimestamp();
            await target.RelayAsync(payload, []);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        return times;
    }

    public Task<byte[]> PayloadAsync(int bytes)
    {
        if (bytes <= 0) throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"probe payload size must be > 0 bytes, got {bytes}");
        TensorSizeGuard.Check(bytes, messaging.Value.MaxMessageBodySize, "probe payload");
        var payload = new byte[bytes];
        Random.Shared.NextBytes(payload);
        return Task.FromResult(payload);
    }
}
