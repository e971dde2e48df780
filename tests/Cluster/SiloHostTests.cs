using System.Globalization;
using AdaMec.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace AdaMec.Cluster.Tests;

/// <summary>A device silo as `adamec-silo` builds it, on localhost clustering.</summary>
public sealed class SiloHostTests
{
    private static IHost Build(string device, string inferenceThreads) =>
        AdaMecSiloHost.Build(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Device:Id"] = device,
            ["Device:InferenceThreads"] = inferenceThreads,
            ["Device:CacheDirectory"] = Path.Combine(Path.GetTempPath(), "adamec-silohost-tests", device),
            ["Silo:SiloPort"] = LoopbackPorts.Free().ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = LoopbackPorts.Free().ToString(CultureInfo.InvariantCulture),
            ["Silo:ClusterId"] = "silohost-" + Guid.NewGuid().ToString("N")[..8],
        }).Build(), l => l.SetMinimumLevel(LogLevel.Warning));

    [Fact]
    public async Task InferenceThreads_Set_AtomsRunWithThatManyLibtorchThreadsOnceTheSiloStarts()
    {
        var before = torch.get_num_threads();
        var wanted = before == 1 ? 2 : 1;
        using var host = Build("threads-edge", wanted.ToString(CultureInfo.InvariantCulture));
        try
        {
            await host.StartAsync();

            Assert.Equal(wanted, torch.get_num_threads());
        }
        finally
        {
            await host.StopAsync();
            torch.set_num_threads(before);
        }
    }

    [Fact]
    public async Task InferenceThreads_Zero_SiloRefusesToStartNamingTheSetting()
    {
        var before = torch.get_num_threads();
        using var host = Build("threads-bad", "0");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("InferenceThreads", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, torch.get_num_threads());
    }
}
