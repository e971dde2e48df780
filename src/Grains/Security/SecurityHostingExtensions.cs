using AdaMec.Interfaces.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace AdaMec.Grains.Security;

/// <summary>Turns authentication on for a silo: <c>siloBuilder.AddAdaMecSecurity(options)</c>.</summary>
public static class SecurityHostingExtensions
{
    /// <summary>
    /// With <see cref="SecurityOptions.TrustedKeys"/>: atoms load only when signed by one of them.
    /// With <see cref="SecurityOptions.ClusterKeyFile"/> set: loads the cluster key now (a silo must not
    /// start open by mistake), refuses unsigned or out-of-role calls and signs this silo's own calls.
    /// Without it: nothing (a development cluster).
    /// </summary>
    /// <exception cref="OptionsValidationException">The key file is missing, unreadable or not a cluster key.</exception>
    public static ISiloBuilder AddAdaMecSecurity(this ISiloBuilder builder, SecurityOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (options.TrustedKeys.Count > 0)
        {
            try
            {
                builder.Services.AddSingleton(new AtomTrust(options.TrustedKeys));
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                throw new OptionsValidationException(SecurityOptions.SectionName, typeof(SecurityOptions), [$"Security:TrustedKeys: {e.Message}"]);
            }
        }
        if (options.ClusterKeyFile is not { } path) return builder;
        ClusterCredential key;
        try
        {
            key = ClusterCredential.Load(path);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new OptionsValidationException(SecurityOptions.SectionName, typeof(SecurityOptions), [$"Security:ClusterKeyFile: {e.Message}"]);
        }
        if (key.Role != ClusterRole.Silo)
            throw new OptionsValidationException(SecurityOptions.SectionName, typeof(SecurityOptions),
                [$"Security:ClusterKeyFile: '{path}' holds a credential of role {ClusterCredential.Lower(key.Role)}; a silo needs the cluster key (adamec keygen cluster)"]);
        var skew = TimeSpan.FromSeconds(options.MaxClockSkewSeconds);
        builder.Services.AddSingleton<IIncomingGrainCallFilter>(services =>
            new AuthenticatingCallFilter(key, skew, TimeProvider.System, services.GetRequiredService<AdaMec.Telemetry.AdaMecMetrics>(), services.GetRequiredService<ILogger<AuthenticatingCallFilter>>()));
        builder.AddOutgoingGrainCallFilter(new SigningCallFilter(key));
        return builder;
    }
}
