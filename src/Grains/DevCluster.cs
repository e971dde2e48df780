using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AdaMec.Grains;

/// <summary>One silo of a <see cref="DevCluster"/>: its device id and further configuration keys (Device:SpeedFactor, Emulation:Enabled, ...).</summary>
public sealed record DevSilo(string Device, IReadOnlyDictionary<string, string?>? Settings = null);

/// <summary>
/// A development cluster: silos in this process on loopback, one per device, each built exactly as
/// `adamec-silo` builds its host (<see cref="AdaMecHostingExtensions.AddAdaMecSilo"/>, localhost
/// clustering, memory grain storage). The first silo is the primary. For the demo, benchmarks and tests.
/// </summary>
public sealed class DevCluster : IAsyncDisposable
{
    private readonly List<(string Device, IHost Host)> _silos;

    private DevCluster(string clusterId, List<(string, IHost)> silos, IReadOnlyList<string> gateways)
    {
        ClusterId = clusterId;
        _silos = silos;
        Gateways = gateways;
    }

    /// <summary>The Orleans cluster id the silos share (the service id is the default).</summary>
    public string ClusterId { get; }

    /// <summary>Each silo's gateway as 127.0.0.1:PORT, in the order the silos were given.</summary>
    public IReadOnlyList<string> Gateways { get; }

    /// <summary>Device ids of the silos still running.</summary>
    public IReadOnlyList<string> Devices
    {
        get
        {
            lock (_silos) return _silos.Select(s => s.Device).ToArray();
        }
    }

    /// <summary>
    /// Starts the silos one after another on free loopback ports, atom caches under
    /// <paramref name="cacheRoot"/>/DEVICE. Silo logs go nowhere unless <paramref name="logging"/> adds a provider.
    /// </summary>
    public static async Task<DevCluster> StartAsync(IReadOnlyList<DevSilo> silos, string cacheRoot, string clusterId = "adamec-dev",
        Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(silos);
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheRoot);
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        if (silos.Count == 0) throw new ArgumentException("a cluster needs at least one silo", nameof(silos));
        var started = new List<(string, IHost)>();
        var gateways = new List<string>();
        int? primary = null;
        try
        {
            foreach (var silo in silos)
            {
                var (siloPort, gatewayPort) = (LoopbackPorts.Free(), LoopbackPorts.Free());
                var settings = new Dictionary<string, string?>
                {
                    ["Device:Id"] = silo.Device,
                    ["Device:CacheDirectory"] = Path.Combine(cacheRoot, silo.Device),
                    ["Silo:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
                    ["Silo:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
                    ["Silo:Primary"] = primary is { } p ? $"127.0.0.1:{p}" : null,
                    ["Silo:ClusterId"] = clusterId,
                };
                foreach (var (key, value) in silo.Settings ?? new Dictionary<string, string?>()) settings[key] = value;
                var host = AdaMecSiloHost.Build(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), logging ?? (l => l.SetMinimumLevel(LogLevel.None)));
                try
                {
                    await host.StartAsync(cancellationToken);
                }
                catch
                {
                    host.Dispose();
                    throw;
                }
                started.Add((silo.Device, host));
                primary ??= siloPort;
                gateways.Add($"127.0.0.1:{gatewayPort}");
            }
        }
        catch
        {
            await StopAllAsync(started, CancellationToken.None); // a cancelled start still stops what it started
            throw;
        }
        return new DevCluster(clusterId, started, gateways);
    }

    /// <summary>Shuts one device's silo down cleanly (the cluster sees the device leave).</summary>
    public async Task StopSiloAsync(string device, CancellationToken cancellationToken = default)
    {
        (string Device, IHost Host) silo;
        lock (_silos)
        {
            var index = _silos.FindIndex(s => s.Device == device);
            if (index < 0) throw new ArgumentException($"no running silo for device '{device}'", nameof(device));
            silo = _silos[index];
            _silos.RemoveAt(index);
        }
        await StopAllAsync([silo], cancellationToken);
    }

    /// <summary>Stops every silo still running, the last started first.</summary>
    public async ValueTask DisposeAsync()
    {
        List<(string, IHost)> silos;
        lock (_silos)
        {
            silos = [.. _silos];
            _silos.Clear();
        }
        await StopAllAsync(silos);
    }

    private static async Task StopAllAsync(List<(string Device, IHost Host)> silos, CancellationToken cancellationToken = default)
    {
        foreach (var (_, host) in Enumerable.Reverse(silos))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try { await host.StopAsync(timeout.Token); }
            catch (OperationCanceledException) { }
            host.Dispose();
        }
    }
}
