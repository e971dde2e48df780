using System.Net;
using System.Net.Sockets;

namespace AdaMec.Grains;

/// <summary>Free TCP ports on loopback for silos hosted in one process (the demo, the cluster benchmark, tests).</summary>
public static class LoopbackPorts
{
    /// <summary>A loopback port that was free a moment ago (the OS picks it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
