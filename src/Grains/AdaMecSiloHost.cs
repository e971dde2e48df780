using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;

namespace AdaMec.Grains;

/// <summary>Builds the host of one device's silo from configuration (sections Silo, Device, Emulation, Planner).</summary>
public static class AdaMecSiloHost
{
    /// <summary>Command-line switches and the configuration keys they set.</summary>
    public static IReadOnlyDictionary<string, string> Switches { get; } = new Dictionary<string, string>
    {
        ["--device"] = "Device:Id",
        ["--memory-budget-mb"] = "Device:MemoryBudgetMb",
        ["--compute-budget-mflops"] = "Device:ComputeBudgetMflops",
        ["--speed-factor"] = "Device:SpeedFactor",
        ["--cache"] = "Device:CacheDirectory",
        ["--inference-threads"] = "Device:InferenceThreads",
        ["--backend"] = "Device:Backend",
        ["--silo-port"] = "Silo:SiloPort",
        ["--gateway-port"] = "Silo:GatewayPort",
        ["--clustering"] = "Silo:Clustering",
        ["--primary"] = "Silo:Primary",
        ["--connection"] = "Silo:Connection",
        ["--advertise"] = "Silo:AdvertisedAddress",
        ["--cluster-id"] = "Silo:ClusterId",
        ["--service-id"] = "Silo:ServiceId",
        ["--emulate"] = "Emulation:Enabled",
        ["--emulate-link-mbps"] = "Emulation:LinkMbps",
        ["--emulate-link-latency-ms"] = "Emulation:LinkLatencyMs",
        ["--strategy"] = "Planner:Strategy",
        ["--cluster-key-file"] = "Security:ClusterKeyFile",
        ["--http-port"] = "Http:Port",
        ["--http-address"] = "Http:Address",
        ["--dashboard"] = "Http:Dashboard",
        [Security.SecurityArguments.TrustedKeys] = "Security:TrustedKeys (one or more NAME.pub files)",
    };

    /// <summary>
    /// The configuration sources of `adamec-silo`, lowest to highest precedence: appsettings.json (next
    /// to the program, then in the working folder), ADAMEC_ environment variables
    /// (ADAMEC_Device__Id=edge1), the command line (<see cref="Switches"/>).
    /// </summary>
    public static IConfigurationBuilder AddAdaMecSiloSources(this IConfigurationBuilder configuration, string[] args)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(args);
        return configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables("ADAMEC_")
            .AddCommandLine(Security.SecurityArguments.Expand(args), Switches.Where(s => s.Key != Security.SecurityArguments.TrustedKeys).ToDictionary());
    }

    /// <summary>
    /// A host builder for a silo on <paramref name="configuration"/> with <see cref="AdaMecHostingExtensions.AddAdaMecSilo"/>
    /// applied; single-line console logs unless <paramref name="logging"/> says otherwise, levels from the Logging section.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(IConfiguration configuration, Action<ILoggingBuilder>? logging = null, Action<ISiloBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders();
        if (logging is null) builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        else logging(builder.Logging);
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        builder.AddAdaMecSilo(configure);
        return builder;
    }

    /// <summary>Builds (does not start) the silo host. Throws <see cref="OptionsValidationException"/> for an unusable Silo section; other sections are checked when it starts.</summary>
    public static IHost Build(IConfiguration configuration, Action<ILoggingBuilder>? logging = null, Action<ISiloBuilder>? configure = null) =>
        Operations.SiloWebHost.Read(configuration).Port is not null
            ? Operations.SiloWebHost.Build(configuration, logging, configure) // --http-port: the same silo inside ASP.NET Core
            : CreateBuilder(configuration, logging, configure).Build();

    /// <summary>Faster detection of dead silos (measured here: ~1 s for a killed silo).</summary>
    public static void Tune(ClusterMembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ProbeTimeout = TimeSpan.FromSeconds(1);
        options.NumMissedProbesLimit = 2;
        options.NumVotesForDeathDeclaration = 1;
        options.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
    }

    /// <summary>Parses HOST:PORT (IPv4, [IPv6] or a host name resolved now).</summary>
    public static IPEndPoint ParseEndpoint(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new ArgumentException($"'{text}' is not HOST:PORT");
        return new IPEndPoint(ResolveAddress(text[..colon].Trim('[', ']')), port);
    }

    /// <summary>An IP address as given, or a host name resolved now (IPv4 preferred).</summary>
    public static IPAddress ResolveAddress(string host)
    {
        if (IPAddress.TryParse(host, out var address)) return address;
        var addresses = Dns.GetHostAddresses(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ArgumentException($"host '{host}' does not resolve");
    }
}
