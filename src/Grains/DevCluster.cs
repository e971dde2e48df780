using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.Runtime;

namespace AdaMec.Grains;

/// <summary>
/// One silo of a <see cref="DevCluster"/>: its device id, further configuration keys (Device:SpeedFactor,
/// Emulation:Enabled, ...) and an optional hook run on the silo builder after AdaMec's own setup (tests use
/// it for knobs configuration keys do not reach, such as short grain collection ages).
/// </summary>
public sealed record DevSilo(string Device, IReadOnlyDictionary<string, string?>? Settings = null, Action<ISiloBuilder>? Configure = null);

/// <summary>
/// A development cluster: silos in this process on loopback, one per device, each built exactly as
/// `adamec-silo` builds its host (<see cref="AdaMecHostingExtensions.AddAdaMecSilo"/>, localhost
/// clustering, memory grain storage). The first silo is the primary. For the demo, benchmarks and tests.
/// </summary>
public sealed class DevCluster : IAsyncDisposable
{
    private readonly List<(string Device, IHost Host)> _silos;
    private readonly List<string> _gateways;
    private readonly string _cacheRoot;
    private readonly int _primary;
    private readonly Action<ILoggingBuilder>? _logging;

    private DevCluster(string clusterId, List<(string, IHost)> silos, List<string> gateways, string cacheRoot, int primary, Action<ILoggingBuilder>? logging)
    {
        ClusterId = clusterId;
        _silos = silos;
        _gateways = gateways;
        _cacheRoot = cacheRoot;
        _primary = primary;
        _logging = logging;
    }

    /// <summary>The Orleans cluster id the silos share (the service id is the default).</summary>
    public string ClusterId { get; }

    /// <summary>Each silo's gateway as 127.0.0.1:PORT, in the order the silos were given (joined ones last).</summary>
    public IReadOnlyList<string> Gateways
    {
        get
        {
            lock (_silos) return [.. _gateways];
        }
    }

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
                var (host, siloPort, gatewayPort) = await StartSiloAsync(silo, cacheRoot, clusterId, primary, logging, cancellationToken);
                started.Add((silo.Device, host));
                primary ??= siloPort;
                gateways.Add($"127.0.0.1:{gatewayPort}");
            }
            await WaitUntilAllActiveAsync(started, cancellationToken);
        }
        catch
        {
            await StopAllAsync(started, CancellationToken.None); // a cancelled start still stops what it started
            throw;
        }
        return new DevCluster(clusterId, started, gateways, cacheRoot, primary!.Value, logging);
    }

    /// <summary>Starts one more device's silo, joining through the first one (the cluster sees the device join); returns once every silo sees it active.</summary>
    public async Task JoinAsync(DevSilo silo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var (host, _, gatewayPort) = await StartSiloAsync(silo, _cacheRoot, ClusterId, _primary, _logging, cancellationToken);
        List<(string, IHost)> all;
        lock (_silos)
        {
            _silos.Add((silo.Device, host));
            _gateways.Add($"127.0.0.1:{gatewayPort}");
            all = [.. _silos];
        }
        await WaitUntilAllActiveAsync(all, cancellationToken);
    }

    private static async Task<(IHost Host, int SiloPort, int GatewayPort)> StartSiloAsync(DevSilo silo, string cacheRoot, string clusterId, int? primary,
        Action<ILoggingBuilder>? logging, CancellationToken cancellationToken)
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
        var host = AdaMecSiloHost.Build(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), logging ?? (l => l.SetMinimumLevel(LogLevel.None)), silo.Configure);
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return (host, siloPort, gatewayPort);
    }

    /// <summary>
    /// Waits until every silo's membership view shows every silo active: until then device placement on a
    /// silo that has not yet seen a device's silo join falls back to any silo, so a caller starting right
    /// away would see grains land off their device.
    /// </summary>
    private static async Task WaitUntilAllActiveAsync(List<(string Device, IHost Host)> silos, CancellationToken cancellationToken)
    {
        var addresses = silos.Select(s => s.Host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress).ToArray();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        foreach (var (_, host) in silos)
        {
            var membership = host.Services.GetRequiredService<IClusterMembershipService>();
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(timeout.Token))
            {
                if (addresses.All(a => snapshot.GetSiloStatus(a) == SiloStatus.Active)) break;
            }
        }
    }

    /// <summary>Shuts one device's silo down cleanly (the cluster sees the device leave).</summary>
    public Task StopSiloAsync(string device, CancellationToken cancellationToken = default) =>
        StopAllAsync([Take(device)], cancellationToken);

    /// <summary>
    /// Kills one device's silo without a goodbye: its host is stopped with an already-cancelled token and
    /// disposed, so it neither deactivates its grains nor tells the membership table it left; the others
    /// find out by failed probes, as when a board loses power.
    /// </summary>
    public async Task KillSiloAsync(string device)
    {
        var (_, host) = Take(device);
        try { await host.StopAsync(new CancellationToken(canceled: true)); }
        catch (OperationCanceledException) { }
        host.Dispose();
    }

    /// <summary>The services of one running device's silo (its grain factory, options, local silo details).</summary>
    public IServiceProvider Services(string device)
    {
        lock (_silos) return Find(device).Host.Services;
    }

    private (string Device, IHost Host) Take(string device)
    {
        lock (_silos)
        {
            var silo = Find(device);
            _silos.Remove(silo);
            return silo;
        }
    }

    private (string Device, IHost Host) Find(string device)
    {
        var index = _silos.FindIndex(s => s.Device == device);
        if (index < 0) throw new ArgumentException($"no running silo for device '{device}'", nameof(device));
        return _silos[index];
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
