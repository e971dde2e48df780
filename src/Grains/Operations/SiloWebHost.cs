using System.Reflection;
using AdaMec.Interfaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Orleans.Dashboard;
using Orleans.Hosting;
using Orleans.Runtime;

namespace AdaMec.Grains.Operations;

/// <summary>
/// A silo with HTTP (<c>--http-port P</c>): the same silo as <see cref="AdaMecHostingExtensions.AddAdaMecSilo"/>
/// builds, hosted in ASP.NET Core, serving <c>/</c> (the operator page), <c>/api/status</c> (its JSON),
/// <c>/dashboard</c> (the Orleans dashboard), <c>/metrics</c> (Prometheus) and <c>/healthz</c>.
/// </summary>
public static class SiloWebHost
{
    /// <summary>The Http section of <paramref name="configuration"/>, validated.</summary>
    /// <exception cref="OptionsValidationException">A port or address that cannot be used.</exception>
    public static SiloHttpOptions Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var http = configuration.GetSection(SiloHttpOptions.SectionName).Get<SiloHttpOptions>() ?? new SiloHttpOptions();
        var check = new AnnotatedOptionsValidator<SiloHttpOptions>().Validate(null, http);
        if (check.Failed) throw new OptionsValidationException(SiloHttpOptions.SectionName, typeof(SiloHttpOptions), check.Failures);
        return http;
    }

    /// <summary>Whether the silo joins the Orleans dashboard (explicitly, or because it serves HTTP).</summary>
    public static bool DashboardEnabled(SiloHttpOptions http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Dashboard ?? http.Port is not null;
    }

    /// <summary>Builds (does not start) the silo host with HTTP on <see cref="SiloHttpOptions.Port"/>; logging as <see cref="AdaMecSiloHost.CreateBuilder"/> sets it.</summary>
    public static IHost Build(IConfiguration configuration, Action<ILoggingBuilder>? logging = null, Action<ISiloBuilder>? configure = null)
    {
        var http = Read(configuration);
        if (http.Port is not { } port) throw new ArgumentException("Http:Port (--http-port) is not set");
        var address = AdaMecSiloHost.ResolveAddress(http.Address);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear(); // only the silo's own sources (AddAdaMecSiloSources), as without HTTP
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders();
        if (logging is null) builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        else logging(builder.Logging);
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, port));
        builder.AddAdaMecSilo(configure);
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddPrometheusExporter());
        var app = builder.Build();
        app.MapAdaMecOperations(DashboardEnabled(http));
        return app;
    }

    /// <summary>Maps the operator page, its JSON, /metrics, /healthz and (when joined) /dashboard.</summary>
    public static IEndpointRouteBuilder MapAdaMecOperations(this WebApplication app, bool dashboard)
    {
        ArgumentNullException.ThrowIfNull(app);
        var page = ReadPage();
        app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        app.MapGet("/api/status", async (IGrainFactory grains, ILocalSiloDetails silo, CancellationToken cancellationToken) =>
            Results.Json(await OperatorStatus.ReadAsync(grains, silo, cancellationToken)));
        app.MapGet("/healthz", (IClusterMembershipService membership, ILocalSiloDetails silo, IOptions<DeviceOptions> device) =>
        {
            var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
            var body = new { status = status.ToString().ToLowerInvariant(), device = device.Value.Id, silo = silo.SiloAddress.ToString() };
            return status == SiloStatus.Active ? Results.Json(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
        if (dashboard) app.MapOrleansDashboard("/dashboard");
        return app;
    }

    private static string ReadPage()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("AdaMec.operator.html")
            ?? throw new InvalidOperationException("the operator page is not embedded in AdaMec.Grains");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("{{TITLE}}", AdaMecTelemetry.SiloService, StringComparison.Ordinal);
    }
}
