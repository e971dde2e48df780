using System.Net;
using System.Net.Sockets;

namespace AdaMec.Cli.Commands;

/// <summary>Free TCP ports on loopback for the in-process silos of the demo and the cluster benchmark.</summary>
internal static class LoopbackPorts
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
