namespace AdaMec.Testbed;

/// <summary>
/// The testbed's unshaped management network: a bridge in the host's namespace and a veth from it into each
/// device's namespace. Only what is not device-to-device traffic uses it (the membership database); devices
/// reach each other at their own addresses, over their shaped links.
/// </summary>
public static class ManagementNetwork
{
    /// <summary>The veth end inside each device's namespace.</summary>
    public const string DeviceInterface = "mgmt0";

    /// <summary>A /24 in 10.78.0.0/16 that no address or route of the host is in: the first three octets.</summary>
    public static string FreeSubnet() => NetworkFabric.FreeSubnet("10.78", 0, "a testbed's management network");

    /// <summary>Makes the bridge <paramref name="bridge"/> with address <paramref name="subnet"/>.1.</summary>
    public static void AddBridge(string bridge, string subnet)
    {
        HostCommand.Run("ip", "link", "add", bridge, "type", "bridge");
        HostCommand.Run("ip", "addr", "add", subnet + ".1/24", "dev", bridge);
        HostCommand.Run("ip", "link", "set", bridge, "up");
    }

    /// <summary>Joins a device's namespace to the bridge: host end <paramref name="hostVeth"/>, address <paramref name="address"/> inside.</summary>
    public static void AddDevice(string bridge, string hostVeth, string netns, string address)
    {
        HostCommand.Run("ip", "link", "add", hostVeth, "type", "veth", "peer", "name", DeviceInterface, "netns", netns);
        HostCommand.Run("ip", "link", "set", hostVeth, "master", bridge, "up");
        HostCommand.Run("ip", "-n", netns, "addr", "add", address + "/24", "dev", DeviceInterface);
        HostCommand.Run("ip", "-n", netns, "link", "set", DeviceInterface, "up");
    }

    /// <summary>The host end of device <paramref name="index"/>'s veth to the bridge of testbed <paramref name="tag"/>.</summary>
    public static string HostVeth(string tag, int index) => $"am{tag}m{index}";

    /// <summary>
    /// Deletes a device's veth from its host end, which takes the namespace end with it; no error when it is gone.
    /// Not left to the namespace's deletion: the kernel frees a namespace only once its last process has exited
    /// and then in the background, so a veth of a device whose silo was just killed outlived `down`.
    /// </summary>
    public static void RemoveDevice(string hostVeth)
    {
        if (Exists(hostVeth) && !HostCommand.TryRun("ip", ["link", "del", hostVeth], out _, out var error) && Exists(hostVeth))
            throw new TestbedException($"cannot delete veth {hostVeth}: {error}");
    }

    /// <summary>True when the bridge (or any interface of that name) exists in the host's namespace.</summary>
    public static bool Exists(string bridge) => Directory.Exists(Path.Combine("/sys/class/net", bridge));

    /// <summary>Deletes the bridge; no error when it is gone.</summary>
    public static void Remove(string bridge)
    {
        if (Exists(bridge) && !HostCommand.TryRun("ip", ["link", "del", bridge], out _, out var error) && Exists(bridge))
            throw new TestbedException($"cannot delete bridge {bridge}: {error}");
    }
}
