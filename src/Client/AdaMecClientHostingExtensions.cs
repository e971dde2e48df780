using System.Net;
using AdaMec.Interfaces;
using AdaMec.Interfaces.Security;
using AdaMec.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace AdaMec.Client;

/// <summary>An app's own host as an AdaMec initiator: <c>builder.AddAdaMecClient()</c>, then resolve <see cref="AdaMecClient"/>.</summary>
public static class AdaMecClientHostingExtensions
{
    /// <summary>
    /// Binds <see cref="AdaMecClientOptions"/> from the section "AdaMecClient" (then <paramref name="configure"/>),
    /// validated when the host starts; connects the host's Orleans client through the gateways or the
    /// PostgreSQL membership table, and registers an <see cref="AdaMecClient"/> on it.
    /// </summary>
    /// <param name="builder">The app's host being built.</param>
    /// <param name="configure">Settings in code, applied after the configuration section.</param>
    /// <exception cref="OptionsValidationException">Neither gateways nor a connection string: the clustering provider is chosen now.</exception>
    public static IHostApplicationBuilder AddAdaMecClient(this IHostApplicationBuilder builder, Action<AdaMecClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(AdaMecClientOptions.SectionName);
        builder.Services.AddOptions<AdaMecClientOptions>().Bind(section).Configure(o => configure?.Invoke(o)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AdaMecClientOptions>, ClientOptionsValidator>();

        // The clustering provider (gateways or PostgreSQL) is chosen while the host is built: read the section now too.
        var snapshot = new AdaMecClientOptions();
        section.Bind(snapshot);
        configure?.Invoke(snapshot);
        if (snapshot.PostgresConnection is null && snapshot.Gateways.Count == 0)
            throw new OptionsValidationException(AdaMecClientOptions.SectionName, typeof(AdaMecClientOptions), ["give at least one gateway (AdaMecClient:Gateways, HOST:PORT) or a PostgreSQL connection string (AdaMecClient:PostgresConnection)"]);
        var gateways = snapshot.Gateways.Select(g => AdaMecClient.ParseEndpointAsync(g, CancellationToken.None).GetAwaiter().GetResult()).ToList();
        AddOrleansClient(builder, snapshot, gateways);
        builder.Services.AddSingleton(services => new AdaMecClient(null, services.GetRequiredService<IClusterClient>(),
            services.GetRequiredService<IOptions<AdaMecClientOptions>>().Value,
            services.GetRequiredService<IOptions<ClientMessagingOptions>>().Value.MaxMessageBodySize,
            services.GetRequiredService<ILoggerFactory>()));
        return builder;
    }

    /// <summary>The Orleans client for <paramref name="options"/>: cluster ids, response timeout, gateways or PostgreSQL membership, telemetry.</summary>
    internal static void AddOrleansClient(IHostApplicationBuilder builder, AdaMecClientOptions options, IReadOnlyList<IPEndPoint> gateways)
    {
        var credential = LoadCredential(options);
        // Metrics and (when exported) traces of this initiator; its requests' traces continue on every silo they touch.
        builder.AddAdaMecTelemetry(AdaMecTelemetry.ClientService, options.DeviceId);
        builder.UseOrleansClient(client =>
        {
            client.AddActivityPropagation();
            if (credential is not null) client.AddOutgoingGrainCallFilter(new SigningCallFilter(credential));
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = options.ResponseTimeout);
            // A silo declared dead leaves the gateway list only when the client reads it again: a frozen
            // gateway keeps its socket open and silently swallows every call routed through it until then.
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = options.GatewayListRefreshPeriod);
            if (options.PostgresConnection is { } connection)
            {
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = connection;
                });
            }
            else
            {
                client.UseStaticClustering([.. gateways]);
            }
        });
    }

    /// <summary>The credential of <see cref="AdaMecClientOptions.ClusterKeyFile"/>, checked against the device id; null without one.</summary>
    /// <exception cref="InvalidDataException">The file is not a credential.</exception>
    /// <exception cref="ArgumentException">An initiator credential for another device.</exception>
    internal static ClusterCredential? LoadCredential(AdaMecClientOptions options)
    {
        if (options.ClusterKeyFile is not { } path) return null;
        var credential = ClusterCredential.Load(path);
        if (credential.Role == ClusterRole.Initiator && credential.Name != options.DeviceId)
            throw new ArgumentException($"AdaMecClient:DeviceId '{options.DeviceId}' is not the device the initiator credential '{path}' names ('{credential.Name}'): set DeviceId to '{credential.Name}'");
        return credential;
    }

    private sealed class ClientOptionsValidator : IValidateOptions<AdaMecClientOptions>
    {
        public ValidateOptionsResult Validate(string? name, AdaMecClientOptions options)
        {
            var failures = options.Failures(connecting: true);
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures.Select(f => $"{AdaMecClientOptions.SectionName}: {f}"));
        }
    }
}
