using AdaMec.Core.Context;
using AdaMec.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AdaMec.Grains.Operations;

/// <summary>
/// Publishes this silo's device readings (available memory, CPU load) as observable gauges, read from
/// the same probe the device grain uses whenever a metrics reader collects: no grain call, no timer.
/// </summary>
internal sealed class DeviceGauges(IOptions<DeviceOptions> device, AdaMecMetrics metrics) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var options = device.Value;
        var probe = options.ProbeRoot == "/" ? ResourceProbe.System : new ResourceProbe(options.ProbeRoot);
        metrics.ObserveDevice(options.Id, probe.AvailableMemoryBytes, probe.CpuLoad);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
