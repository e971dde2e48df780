using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Execution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AdaMec.Grains;

/// <summary>What atom grains run on: the device's inference executor and its weight file cache.</summary>
internal static class AtomRuntimeServices
{
    /// <summary>Configuration section of <see cref="InferenceExecutorOptions"/> (queue capacity, workers).</summary>
    public const string ExecutorSection = "InferenceExecutor";

    /// <summary>
    /// Registers the inference executor (a hosted service) with its libtorch threads taken from
    /// <see cref="DeviceOptions.InferenceThreads"/>, which is validated with the device's options.
    /// </summary>
    public static ISiloBuilder AddAtomRuntime(this ISiloBuilder builder)
    {
        builder.Services.Configure<InferenceExecutorOptions>(builder.Configuration.GetSection(ExecutorSection));
        builder.Services.AddOptions<InferenceExecutorOptions>()
            .Configure<IOptions<DeviceOptions>>((executor, device) => executor.TorchThreads = device.Value.InferenceThreads);
        builder.Services.AddSingleton<InferenceExecutor>();
        builder.Services.AddHostedService(services => services.GetRequiredService<InferenceExecutor>());
        builder.Services.AddSingleton(services =>
        {
            var device = services.GetRequiredService<IOptions<DeviceOptions>>().Value;
            return new WeightFileCache(device.ResolvedCacheDirectory, (long)(device.CacheLimitMb * 1024 * 1024));
        });
        return builder;
    }
}
