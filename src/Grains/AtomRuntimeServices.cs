using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Execution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdaMec.Grains;

/// <summary>What atom grains run on: the device's execution backend, its inference executor and its weight file cache.</summary>
internal static class AtomRuntimeServices
{
    /// <summary>Configuration section of <see cref="InferenceExecutorOptions"/> (queue capacity, workers).</summary>
    public const string ExecutorSection = "InferenceExecutor";

    /// <summary>
    /// Registers the execution backend (<see cref="BackendOptions"/>, Device:Backend) with its
    /// threads taken from <see cref="DeviceOptions.InferenceThreads"/>, and the inference executor
    /// (a hosted service) that runs its work; creating the executor creates the backend, so thread
    /// settings apply before any atom runs.
    /// </summary>
    public static ISiloBuilder AddAtomRuntime(this ISiloBuilder builder)
    {
        builder.Services.AddOptions<BackendOptions>().Bind(builder.Configuration.GetSection(DeviceOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<BackendOptions>, AnnotatedOptionsValidator<BackendOptions>>();
        builder.Services.AddSingleton<IExecutionBackend>(services =>
        {
            var threads = services.GetRequiredService<IOptions<DeviceOptions>>().Value.InferenceThreads;
            return ExecutionBackends.Create(services.GetRequiredService<IOptions<BackendOptions>>().Value.Backend, threads);
        });
        builder.Services.Configure<InferenceExecutorOptions>(builder.Configuration.GetSection(ExecutorSection));
        builder.Services.AddSingleton(services => new InferenceExecutor(
            services.GetRequiredService<IOptions<InferenceExecutorOptions>>(),
            services.GetRequiredService<ILogger<InferenceExecutor>>(),
            services.GetRequiredService<IExecutionBackend>()));
        builder.Services.AddHostedService(services => services.GetRequiredService<InferenceExecutor>());
        builder.Services.AddSingleton(services =>
        {
            var device = services.GetRequiredService<IOptions<DeviceOptions>>().Value;
            return new WeightFileCache(device.ResolvedCacheDirectory, (long)(device.CacheLimitMb * 1024 * 1024));
        });
        return builder;
    }
}
