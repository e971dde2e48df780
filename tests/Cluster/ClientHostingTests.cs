using AdaMec.Client;
using AdaMec.Grains;
using AdaMec.Interfaces;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AdaMec.Cluster.Tests;

/// <summary>An app's own host as the initiator: builder.AddAdaMecClient() with options from configuration.</summary>
public sealed class ClientHostingTests
{
    [Fact]
    public async Task AddAdaMecClient_GatewaysFromConfiguration_ClientReachesTheDevice()
    {
        var cache = Directory.CreateTempSubdirectory("adamec-clienthost-").FullName;
        try
        {
            await using var cluster = await DevCluster.StartAsync([new DevSilo("host-edge")], cache, "clienthost-" + Guid.NewGuid().ToString("N")[..8]);
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AdaMecClient:Gateways:0"] = cluster.Gateways[0],
                ["AdaMecClient:ClusterId"] = cluster.ClusterId,
                ["AdaMecClient:DeviceId"] = "host-phone",
            });
            builder.AddAdaMecClient(o => o.SpeedFactor = 3);
            using var host = builder.Build();
            await host.StartAsync();
            try
            {
                var client = host.Services.GetRequiredService<AdaMecClient>();

                Assert.Equal("host-phone", client.Options.DeviceId);
                Assert.Equal(3, client.Options.SpeedFactor);
                Assert.Equal("host-edge", (await client.Cluster.GetGrain<IDeviceGrain>("host-edge").GetStatusAsync()).DeviceId);
            }
            finally
            {
                await host.StopAsync();
            }
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task AddAdaMecClient_SpeedFactorZero_HostRefusesToStartNamingTheSetting()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AdaMecClient:Gateways:0"] = "127.0.0.1:1",
            ["AdaMecClient:SpeedFactor"] = "0",
        });
        builder.AddAdaMecClient();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("SpeedFactor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddAdaMecClient_NoWayToTheCluster_RefusedWhileBuilding()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });

        var error = Assert.Throws<OptionsValidationException>(() => builder.AddAdaMecClient());

        Assert.Contains("gateway", error.Message, StringComparison.Ordinal);
    }
}
