using AdaMec.Client;
using AdaMec.Grains;

namespace AdaMec.Cluster.Tests;

/// <summary>How the cluster fixtures connect their initiator: through every gateway, so a test may stop any silo.</summary>
internal static class DevClusterClients
{
    /// <summary>Connects an initiator named <paramref name="deviceId"/> to <paramref name="cluster"/>; <paramref name="configure"/> sets further options.</summary>
    public static Task<AdaMecClient> ConnectClientAsync(this DevCluster cluster, string deviceId, Action<AdaMecClientOptions>? configure = null)
    {
        var options = new AdaMecClientOptions { DeviceId = deviceId, ClusterId = cluster.ClusterId };
        foreach (var gateway in cluster.Gateways) options.Gateways.Add(gateway);
        configure?.Invoke(options);
        return AdaMecClient.ConnectAsync(options);
    }
}
