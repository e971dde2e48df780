using AdaMec.Core.Context;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace AdaMec.Grains;

/// <summary>Registers AdaMec's grains' services and grain storage on a silo.</summary>
public static class AdaMecSiloBuilderExtensions
{
    /// <summary>
    /// Device and link placement, validated options and the inference executor. Grain storage is a
    /// separate choice (<see cref="AddAdaMecStorage"/>); <see cref="AdaMecHostingExtensions.AddAdaMecSilo"/>
    /// makes both. Bind <see cref="DeviceOptions"/> (Device:Id is required) before starting.
    /// </summary>
    public static ISiloBuilder AddAdaMec(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPlacementDirector<DevicePlacement, DevicePlacementDirector>();
        builder.Services.AddPlacementDirector<LinkPlacement, LinkPlacementDirector>();
        builder.Services.AddOptions<DeviceOptions>().ValidateOnStart();
        builder.Services.AddOptions<EmulationOptions>().ValidateOnStart();
        builder.Services.AddOptions<PlannerOptions>().ValidateOnStart();
        builder.Services.AddOptions<LimitsOptions>().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DeviceOptions>, AnnotatedOptionsValidator<DeviceOptions>>();
        builder.Services.AddSingleton<IValidateOptions<EmulationOptions>, AnnotatedOptionsValidator<EmulationOptions>>();
        builder.Services.AddSingleton<IValidateOptions<PlannerOptions>, AnnotatedOptionsValidator<PlannerOptions>>();
        builder.Services.AddSingleton<IValidateOptions<LimitsOptions>, AnnotatedOptionsValidator<LimitsOptions>>();
        builder.AddAtomRuntime();
        builder.Services.AddSingleton<DeviceSpeedMeter>(); // one per silo: the device's measured speed
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, Security.DeviceIdGuard>(); // one board per device id
        return builder;
    }

    /// <summary>
    /// The grain storage <see cref="AdaMecStorage.Name"/> durable grains persist to: ADO.NET on
    /// PostgreSQL (tables from docker/postgres/adamec-persistence.sql) when
    /// <paramref name="postgresConnection"/> is given, memory storage (lost with the silo) otherwise.
    /// </summary>
    public static ISiloBuilder AddAdaMecStorage(this ISiloBuilder builder, string? postgresConnection = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (postgresConnection is null) return builder.AddMemoryGrainStorage(AdaMecStorage.Name);
        ArgumentException.ThrowIfNullOrWhiteSpace(postgresConnection);
        return builder.AddAdoNetGrainStorage(AdaMecStorage.Name, o =>
        {
            o.Invariant = AdaMecStorage.PostgresInvariant;
            o.ConnectionString = postgresConnection;
        });
    }
}

/// <summary>Validates an options class against its data annotations (and the planner strategy name).</summary>
internal sealed class AnnotatedOptionsValidator<T> : IValidateOptions<T> where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var results = new List<ValidationResult>();
        // Property by property rather than TryValidateObject: a [Range] with int bounds on a double
        // property converts the value to Int32 and throws OverflowException for 1e308; that must be an
        // error naming the setting, not a silo that dies on start with an overflow.
        foreach (var property in typeof(T).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
        {
            if (!property.CanRead || property.GetIndexParameters().Length > 0) continue;
            var value = property.GetValue(options);
            try
            {
                Validator.TryValidateProperty(value, new ValidationContext(options) { MemberName = property.Name }, results);
            }
            catch (OverflowException)
            {
                results.Add(new ValidationResult($"The field {property.Name} is out of range (got {value}).", [property.Name]));
            }
        }
        if (results.Count == 0 && options is IValidatableObject validatable) results.AddRange(validatable.Validate(new ValidationContext(options)));
        var failures = results.Select(r => $"{typeof(T).Name}: {r.ErrorMessage}").ToList();
        if (options is PlannerOptions planner && !Core.Planning.PlanningStrategies.Names.Contains(planner.Strategy))
            failures.Add($"Planner:Strategy must be one of {string.Join(", ", Core.Planning.PlanningStrategies.Names)}, not '{planner.Strategy}'");
        if (options is SiloHostOptions { Clustering: "postgres", Connection: var connection } && string.IsNullOrWhiteSpace(connection))
            failures.Add("postgres clustering needs Silo:Connection (--connection \"Host=...;Username=...;Password=...;Database=...\")");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
