using AdaMec.Interfaces;
using AdaMec.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using AdaMec.Grains.Security;
using Orleans.Dashboard;
using Orleans.Hosting;

namespace AdaMec.Grains;

/// <summary>Hosting of one device's silo, the way a .NET host composes components: <c>builder.AddAdaMecSilo()</c>.</summary>
public static class AdaMecHostingExtensions
{
    /// <summary>
    /// Makes this host the silo of one device. Binds and validates (at start) the sections Device,
    /// Emulation, Planner, Link, Security, Limits and Silo; joins the cluster the Silo section names (localhost: a primary
    /// silo on loopback; postgres: the AdoNet membership table) and persists durable grains to
    /// <see cref="AdaMecStorage.Name"/> (ADO.NET on the same PostgreSQL, or memory for localhost).
    /// </summary>
    /// <param name="builder">The host being built.</param>
    /// <param name="configure">Further silo configuration (tests, tuning), applied last.</param>
    /// <exception cref="OptionsValidationException">The Silo section is unusable: it decides the providers, so it is checked now.</exception>
    public static IHostApplicationBuilder AddAdaMecSilo(this IHostApplicationBuilder builder, Action<ISiloBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        Bind<DeviceOptions>(builder.Services, DeviceOptions.SectionName);
        Bind<EmulationOptions>(builder.Services, EmulationOptions.SectionName);
        Bind<PlannerOptions>(builder.Services, PlannerOptions.SectionName);
        Bind<LinkOptions>(builder.Services, LinkOptions.SectionName);
        Bind<SiloHostOptions>(builder.Services, SiloHostOptions.SectionName);
        Bind<SecurityOptions>(builder.Services, SecurityOptions.SectionName);
        Bind<LimitsOptions>(builder.Services, LimitsOptions.SectionName);

        // Clustering and storage providers are chosen while the host is built, so the Silo section is read now.
        var silo = builder.Configuration.GetSection(SiloHostOptions.SectionName).Get<SiloHostOptions>() ?? new SiloHostOptions();
        var check = new AnnotatedOptionsValidator<SiloHostOptions>().Validate(null, silo);
        if (check.Failed) throw new OptionsValidationException(SiloHostOptions.SectionName, typeof(SiloHostOptions), check.Failures);
        // So are the security settings: a silo configured with a key must never start without it.
        var security = builder.Configuration.GetSection(SecurityOptions.SectionName).Get<SecurityOptions>() ?? new SecurityOptions();

        // Metrics and (when exported) traces of this device's silo; Orleans carries the trace context across grain calls.
        builder.AddAdaMecTelemetry(AdaMecTelemetry.SiloService, builder.Configuration[$"{DeviceOptions.SectionName}:Id"] is { Length: > 0 } id ? id : "unnamed");
        builder.Services.AddHostedService<Operations.DeviceGauges>();

        // Resident atoms release themselves and planners persist on the way down: give them time.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        // The silo's name is its device id: placement finds a device's silo by it.
        builder.Services.AddOptions<SiloOptions>().Configure<IOptions<DeviceOptions>>((o, device) => o.SiloName = device.Value.Id);
        builder.UseOrleans(orleans =>
        {
            orleans.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = silo.ClusterId;
                o.ServiceId = silo.ServiceId;
            });
            var postgres = silo.Clustering == SiloHostOptions.Postgres ? silo.Connection : null;
            if (postgres is not null)
            {
                orleans.UseAdoNetClustering(o =>
                {
                    o.Invariant = AdaMecStorage.PostgresInvariant;
                    o.ConnectionString = postgres;
                });
                orleans.ConfigureEndpoints(AdaMecSiloHost.ResolveAddress(silo.AdvertisedAddress), silo.SiloPort, silo.GatewayPort, listenOnAnyHostAddress: true);
            }
            else
            {
                orleans.UseLocalhostClustering(silo.SiloPort, silo.GatewayPort, silo.Primary is { } primary ? AdaMecSiloHost.ParseEndpoint(primary) : null, silo.ServiceId, silo.ClusterId);
            }
            if (silo.FastFailureDetection) orleans.Configure<ClusterMembershipOptions>(AdaMecSiloHost.Tune);
            orleans.AddActivityPropagation();
            if (Operations.SiloWebHost.DashboardEnabled(Operations.SiloWebHost.Read(builder.Configuration))) orleans.AddDashboard();
            orleans.AddAdaMec().AddAdaMecStorage(postgres).AddAdaMecSecurity(security);
            configure?.Invoke(orleans);
        });
        return builder;
    }

    private static void Bind<T>(IServiceCollection services, string section) where T : class
    {
        services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>, AnnotatedOptionsValidator<T>>();
    }
}
