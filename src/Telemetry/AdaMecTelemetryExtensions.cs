using AdaMec.Interfaces;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AdaMec.Telemetry;

/// <summary>What <see cref="AdaMecTelemetryExtensions.AddAdaMecTelemetry"/> adds beyond its defaults (exporters of tests and hosts).</summary>
public sealed class AdaMecTelemetryOptions
{
    /// <summary>
    /// Records traces even without an OTLP endpoint (a test's in-memory exporter, say). Traces are
    /// otherwise off unless <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set: with no listener, AdaMec and
    /// Orleans start no activities at all and pay nothing for them.
    /// </summary>
    /// <value>The default value is false.</value>
    public bool Tracing { get; set; }

    /// <summary>Further tracer configuration (exporters, processors), applied after AdaMec's sources.</summary>
    public Action<TracerProviderBuilder>? ConfigureTracing { get; set; }

    /// <summary>Further meter configuration (the silo's Prometheus exporter, a test's reader).</summary>
    public Action<MeterProviderBuilder>? ConfigureMetrics { get; set; }
}

/// <summary>OpenTelemetry for AdaMec hosts: <c>builder.AddAdaMecTelemetry(AdaMecTelemetry.SiloService, deviceId)</c>.</summary>
public static class AdaMecTelemetryExtensions
{
    /// <summary>The standard variable naming the OTLP collector; OTLP export is on whenever it is set.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The standard variable choosing the OTLP protocol: <c>grpc</c> (the default) or <c>http/protobuf</c>.</summary>
    public const string OtlpProtocolVariable = "OTEL_EXPORTER_OTLP_PROTOCOL";

    /// <summary>Orleans' meter (silo and client runtime counters).</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>Activity sources AdaMec traces: its own and Orleans' grain-call sources (application, runtime, lifecycle, storage).</summary>
    public static IReadOnlyList<string> TraceSources { get; } =
        [AdaMecTelemetry.Name, "Microsoft.Orleans.Application", "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Lifecycle", "Microsoft.Orleans.Storage"];

    /// <summary>
    /// Registers <see cref="AdaMecMetrics"/> (meter "AdaMec" from the host's <c>IMeterFactory</c>) and
    /// OpenTelemetry with the resource <c>service.name</c> = <paramref name="serviceName"/>,
    /// <c>service.instance.id</c> = <paramref name="deviceId"/>; metrics of the AdaMec and Orleans meters;
    /// traces of AdaMec and Orleans when an exporter is configured. OTLP export of both is on whenever
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (in the host's configuration or the environment),
    /// with <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> <c>grpc</c> or <c>http/protobuf</c>. Idempotent for the metrics class.
    /// Orleans only propagates trace context across grain calls when its activity propagation is added
    /// (silo and client builders: <c>AddActivityPropagation()</c>) and some tracer listens.
    /// </summary>
    /// <exception cref="ArgumentException">The protocol is neither grpc nor http/protobuf, or the endpoint is not an absolute URI.</exception>
    public static IHostApplicationBuilder AddAdaMecTelemetry(this IHostApplicationBuilder builder, string serviceName, string deviceId, Action<AdaMecTelemetryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        var options = new AdaMecTelemetryOptions();
        configure?.Invoke(options);
        var otlp = Otlp(builder.Configuration);

        builder.Services.AddMetrics();
        builder.Services.TryAddSingleton<AdaMecMetrics>();
        // The sources are configured even when tracing stays off here, so a host that turns tracing on
        // later (AddOpenTelemetry().WithTracing(...) in a test) records AdaMec and Orleans spans too.
        builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddSource([.. TraceSources]));
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r
                .AddService(serviceName, serviceInstanceId: deviceId, autoGenerateServiceInstanceId: false)
                .AddAttributes([new(AdaMecTelemetry.Tags.Device, deviceId)]))
            .WithMetrics(m =>
            {
                m.AddMeter(AdaMecTelemetry.Name, OrleansMeter);
                options.ConfigureMetrics?.Invoke(m);
            });
        if (otlp is not null || options.Tracing || options.ConfigureTracing is not null)
        {
            telemetry.WithTracing(t => options.ConfigureTracing?.Invoke(t));
        }
        if (otlp is { } o) telemetry.UseOtlpExporter(o.Protocol, o.Endpoint);
        return builder;
    }

    /// <summary>The OTLP endpoint and protocol from <paramref name="configuration"/> or else the environment; null when no endpoint is set.</summary>
    public static (OtlpExportProtocol Protocol, Uri Endpoint)? Otlp(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var endpoint = Read(configuration, OtlpEndpointVariable);
        if (string.IsNullOrWhiteSpace(endpoint)) return null;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
            throw new ArgumentException($"{OtlpEndpointVariable} '{endpoint}' is not an absolute URI (http://collector:4317)");
        var protocol = Read(configuration, OtlpProtocolVariable)?.Trim().ToLowerInvariant() switch
        {
            null or "" or "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            var other => throw new ArgumentException($"{OtlpProtocolVariable} '{other}' is not supported: use grpc or http/protobuf"),
        };
        return (protocol, uri);
    }

    private static string? Read(IConfiguration configuration, string variable) =>
        configuration[variable] is { Length: > 0 } value ? value : Environment.GetEnvironmentVariable(variable);
}
