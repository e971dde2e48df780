using Microsoft.Extensions.Configuration;

namespace AdaMec.Grains;

/// <summary>
/// Binds a silo's option sections (Device, Emulation, Planner, Link, Silo, Security, Limits) with the
/// configuration binder and checks each with the validator the silo registers for it, as a starting
/// silo does (<see cref="AdaMecHostingExtensions.AddAdaMecSilo"/>): a value of the wrong type or out of
/// range is reported naming its key. Used by the configuration fuzz target and by tools that check a
/// configuration file before a board is started with it.
/// </summary>
public static class SiloConfiguration
{
    /// <summary>Null when every section binds and validates; else the problems, each naming the key.</summary>
    public static string? Validate(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var failures = new List<string>();
        Check<DeviceOptions>(configuration, DeviceOptions.SectionName, failures);
        Check<BackendOptions>(configuration, DeviceOptions.SectionName, failures);
        Check<EmulationOptions>(configuration, EmulationOptions.SectionName, failures);
        Check<PlannerOptions>(configuration, PlannerOptions.SectionName, failures);
        Check<LinkOptions>(configuration, LinkOptions.SectionName, failures);
        Check<SiloHostOptions>(configuration, SiloHostOptions.SectionName, failures);
        Check<Security.SecurityOptions>(configuration, Security.SecurityOptions.SectionName, failures);
        Check<LimitsOptions>(configuration, LimitsOptions.SectionName, failures);
        return failures.Count == 0 ? null : string.Join("; ", failures);
    }

    private static void Check<T>(IConfiguration configuration, string section, List<string> failures) where T : class, new()
    {
        T options;
        try
        {
            options = configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException e)
        {
            // The binder's message names the key and the type it wanted ("... at 'Limits:MaxRank' to type 'System.Int32'").
            failures.Add(e.Message);
            return;
        }
        var result = new AnnotatedOptionsValidator<T>().Validate(null, options);
        if (result.Failed) failures.AddRange(result.Failures);
    }
}
