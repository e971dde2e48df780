using System.Diagnostics.Metrics;
using System.Net;
using AdaMec.Core.Context;
using AdaMec.Interfaces;
using AdaMec.Runtime.Execution;
using AdaMec.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace AdaMec.Client;

/// <summary>
/// The app's handle on an AdaMec cluster: connect through gateways or PostgreSQL, then deploy models
/// from atoms folders. The app is the initiator: it holds every atom and runs its share in-process.
/// </summary>
public sealed class AdaMecClient : IAsyncDisposable
{
    private readonly IHost? _host;
    private readonly List<Deployment> _deployments = [];

    internal AdaMecClient(IHost? host, IClusterClient cluster, AdaMecClientOptions options, int maxMessageBodySize, ILoggerFactory loggers)
    {
        _host = host;
        Cluster = cluster;
        Options = options;
        MaxMessageBodySize = maxMessageBodySize;
        Loggers = loggers;
        // The host's instruments (AddAdaMecTelemetry registers them); an attached client uses its cluster client's meter factory.
        Metrics = cluster.ServiceProvider.GetService<AdaMecMetrics>() ?? new AdaMecMetrics(cluster.ServiceProvider.GetRequiredService<IMeterFactory>());
        Backend = ExecutionBackends.Create(options.Backend, options.InferenceThreads); // thread settings apply before any local atom runs
        Self = new InitiatorSelf(options, ResourceProbe.System);
    }

    /// <summary>What runs this app's own atoms ("torch" or "onnx").</summary>
    public IExecutionBackend Backend { get; }

    /// <summary>The Orleans client underneath.</summary>
    public IClusterClient Cluster { get; }

    /// <summary>The options in force.</summary>
    public AdaMecClientOptions Options { get; }

    /// <summary>The message size limit tensors are checked against before sending.</summary>
    public int MaxMessageBodySize { get; }

    internal ILoggerFactory Loggers { get; }

    internal AdaMecMetrics Metrics { get; }

    /// <summary>This device's own speed and memory, measured as a silo measures itself.</summary>
    internal InitiatorSelf Self { get; }

    /// <summary>Connects to the cluster (gateways or PostgreSQL membership).</summary>
    public static async Task<AdaMecClient> ConnectAsync(AdaMecClientOptions options, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(connecting: true);
        var gateways = new List<IPEndPoint>();
        foreach (var gateway in options.Gateways) gateways.Add(await ParseEndpointAsync(gateway, cancellationToken));

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        AdaMecClientHostingExtensions.AddOrleansClient(builder, options, gateways);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        var limit = host.Services.GetRequiredService<IOptions<ClientMessagingOptions>>().Value.MaxMessageBodySize;
        return new AdaMecClient(host, host.Services.GetRequiredService<IClusterClient>(), options, limit, host.Services.GetRequiredService<ILoggerFactory>());
    }

    /// <summary>Wraps a client the app already runs (its own host, or a test cluster's client).</summary>
    public static AdaMecClient Attach(IClusterClient cluster, AdaMecClientOptions options, int maxMessageBodySize = 100 * 1024 * 1024, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new AdaMecClient(null, cluster, options, maxMessageBodySize, loggers ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
    }

    /// <summary>
    /// Deploys the model in <paramref name="atomsDirectory"/> (written by `adamec partition`): loads
    /// every atom here, registers this app as the initiator and asks the cluster to plan. Atoms start on
    /// this device and move out as they become resident on their planned devices.
    /// </summary>
    public async Task<Deployment> DeployAsync(string atomsDirectory, double latencyRequirementMs, string? deploymentId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(atomsDirectory);
        var deployment = Deployment.Open(this, atomsDirectory, deploymentId ?? $"{Options.DeviceId}/{Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(atomsDirectory)))}", latencyRequirementMs);
        try
        {
            await deployment.RegisterAsync(cancellationToken);
        }
        catch
        {
            deployment.Dispose();
            throw;
        }
        lock (_deployments) _deployments.Add(deployment);
        return deployment;
    }

    /// <summary>Disconnects and frees local atoms.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_deployments)
        {
            foreach (var deployment in _deployments) deployment.Dispose();
            _deployments.Clear();
        }
        if (_host is not null)
        {
            try { await _host.StopAsync(); }
            catch (OperationCanceledException) { }
            _host.Dispose();
        }
    }

    internal static async Task<IPEndPoint> ParseEndpointAsync(string text, CancellationToken cancellationToken)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new ArgumentException($"gateway '{text}' is not HOST:PORT");
        var host = text[..colon].Trim('[', ']');
        if (IPAddress.TryParse(host, out var address)) return new IPEndPoint(address, port);
        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ArgumentException($"gateway host '{host}' does not resolve");
        return new IPEndPoint(chosen, port);
    }
}
