using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace AdaMec.Grains;

/// <summary>Applies <see cref="DeviceOptions.InferenceThreads"/> when the silo starts, before any atom runs.</summary>
internal sealed class InferenceThreads(IOptions<DeviceOptions> device, ILogger<InferenceThreads> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (device.Value.InferenceThreads is { } threads) torch.set_num_threads(threads);
        Log.InferenceThreads(logger, device.Value.Id, torch.get_num_threads(), device.Value.InferenceThreads is null ? "libtorch's default" : "Device:InferenceThreads");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
