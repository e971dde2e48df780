using System.Globalization;

namespace AdaMec.Testbed;

/// <summary>
/// Network namespaces joined by veth pairs, each end shaped with an htb class (rate) and, where the kernel has
/// netem, a delay. Drives <c>ip</c> and <c>tc</c>; needs root.
/// </summary>
public static class NetworkFabric
{
    /// <summary>Null when namespaces and veth pairs can be made here; else why not.</summary>
    public static string? WhyNot()
    {
        if (!OperatingSystem.IsLinux()) return "network namespaces need Linux";
        if (Environment.UserName != "root") return "making network namespaces needs root";
        var probe = "adamec-probe-" + TestbedLayout.NewTag();
        if (!HostCommand.TryRun("ip", ["netns", "add", probe], out _, out var error)) return $"'ip netns add' failed: {error}";
        try
        {
            return HostCommand.TryRun("ip", ["-n", probe, "link", "add", "amprobe0", "type", "veth", "peer", "name", "amprobe1"], out _, out error)
                ? null
                : $"cannot make a veth pair: {error}";
        }
        finally
        {
            HostCommand.TryRun("ip", ["netns", "del", probe], out _, out _);
        }
    }

    /// <summary>
    /// A /24 in 10.77.0.0/16 for a testbed's device addresses (the first three octets) that no address or
    /// route of the host's namespace is in: device addresses are routed from the host (<see
    /// cref="Testbed.RouteDevicesFromHost"/>), so two testbeds up at once need subnets of their own. The
    /// search starts at a random place, so two testbeds coming up together rarely try the same one.
    /// </summary>
    public static string FreeDeviceSubnet() => FreeSubnet("10.77", Random.Shared.Next(256), "a testbed's device addresses");

    /// <summary>
    /// The first /24 in <paramref name="prefix"/>.0.0/16, from <paramref name="start"/> on (wrapping), that no
    /// address or route of the host's namespace is in: its first three octets.
    /// </summary>
    internal static string FreeSubnet(string prefix, int start, string purpose)
    {
        var used = HostCommand.Run("ip", "-4", "-o", "addr", "show") + "\n" + HostCommand.Run("ip", "-4", "route", "show");
        for (var i = 0; i < 256; i++)
        {
            var subnet = string.Create(CultureInfo.InvariantCulture, $"{prefix}.{(start + i) % 256}");
            if (!used.Contains(subnet + ".", StringComparison.Ordinal)) return subnet;
        }

        throw new TestbedException($"no free /24 left in {prefix}.0.0/16 for {purpose}");
    }

    /// <summary>True when this kernel has netem (link delay); probed in a namespace of its own, removed at once.</summary>
    public static bool HasNetem()
    {
        var probe = "adamec-probe-" + TestbedLayout.NewTag();
        if (!HostCommand.TryRun("ip", ["netns", "add", probe], out _, out _)) return false;
        try
        {
            return HostCommand.TryRun("tc", ["-n", probe, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"], out _, out _);
        }
        finally
        {
            HostCommand.TryRun("ip", ["netns", "del", probe], out _, out _);
        }
    }

    /// <summary>Makes the device's namespace with its address on loopback.</summary>
    public static void AddDevice(DevicePlace device)
    {
        HostCommand.Run("ip", "netns", "add", device.Namespace);
        HostCommand.Run("ip", "-n", device.Namespace, "link", "set", "lo", "up");
        HostCommand.Run("ip", "-n", device.Namespace, "addr", "add", device.Address + "/32", "dev", "lo");
    }

    /// <summary>Joins two devices' namespaces with a veth pair and routes each one's address over it.</summary>
    public static void AddLink(LinkPlace link, DevicePlace a, DevicePlace b)
    {
        HostCommand.Run("ip", "link", "add", link.VethA, "netns", a.Namespace, "type", "veth", "peer", "name", link.VethB, "netns", b.Namespace);
        HostCommand.Run("ip", "-n", a.Namespace, "link", "set", link.VethA, "up");
        HostCommand.Run("ip", "-n", b.Namespace, "link", "set", link.VethB, "up");
        HostCommand.Run("ip", "-n", a.Namespace, "route", "add", b.Address + "/32", "dev", link.VethA, "src", a.Address);
        HostCommand.Run("ip", "-n", b.Namespace, "route", "add", a.Address + "/32", "dev", link.VethB, "src", b.Address);
    }

    /// <summary>
    /// Shapes the veth end <paramref name="veth"/> in <paramref name="netns"/> (its egress: one direction of the link)
    /// to <paramref name="mbps"/>, and delays it by <paramref name="delayMs"/> where netem exists.
    /// </summary>
    /// <returns>False when a delay was asked for and the kernel has no netem (the rate is applied).</returns>
    public static bool Shape(string netns, string veth, double mbps, double delayMs)
    {
        var rate = string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (long)Math.Round(mbps * 1000))}kbit");
        // A bucket of 10 ms of traffic (at least 16 KB): htb's default is sized for a timer that fires on time,
        // and on a loaded machine it then under-delivers.
        var burst = string.Create(CultureInfo.InvariantCulture, $"{Math.Max(16_000, (long)(mbps * 1e6 / 8 * 0.010))}b");
        // htb cannot change its own root parameters: add it once, then only its class changes rate.
        if (!HostCommand.Run("tc", "-n", netns, "qdisc", "show", "dev", veth).Contains("htb 1:", StringComparison.Ordinal))
            HostCommand.Run("tc", "-n", netns, "qdisc", "add", "dev", veth, "root", "handle", "1:", "htb", "default", "10");
        HostCommand.Run("tc", "-n", netns, "class", "replace", "dev", veth, "parent", "1:", "classid", "1:10", "htb", "rate", rate, "ceil", rate, "burst", burst, "cburst", burst);
        if (delayMs <= 0)
        {
            HostCommand.TryRun("tc", ["-n", netns, "qdisc", "del", "dev", veth, "parent", "1:10", "handle", "10:"], out _, out _);
            return true;
        }

        var delay = string.Create(CultureInfo.InvariantCulture, $"{delayMs}ms");
        return HostCommand.TryRun("tc", ["-n", netns, "qdisc", "replace", "dev", veth, "parent", "1:10", "handle", "10:", "netem", "delay", delay], out _, out _);
    }

    /// <summary>The rate the htb class of <paramref name="veth"/> holds now, Mbps; null when it is not shaped.</summary>
    public static double? ShapedMbps(string netns, string veth)
    {
        if (!HostCommand.TryRun("tc", ["-n", netns, "class", "show", "dev", veth], out var output, out _)) return null;
        var words = output.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var at = Array.IndexOf(words, "rate");
        return at < 0 || at + 1 >= words.Length ? null : ParseRate(words[at + 1]);
    }

    /// <summary>Bytes sent so far out of <paramref name="veth"/> in <paramref name="netns"/> (its egress: one direction of the link).</summary>
    public static long SentBytes(string netns, string veth)
    {
        var json = HostCommand.Run("ip", "-j", "-s", "-n", netns, "link", "show", "dev", veth);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var link = document.RootElement[0];
        var stats = link.TryGetProperty("stats64", out var s64) ? s64 : link.GetProperty("stats");
        return stats.GetProperty("tx").GetProperty("bytes").GetInt64();
    }

    /// <summary>tc's rate notation (e.g. 33800Kbit, 5Mbit, 100bit) in Mbps.</summary>
    internal static double ParseRate(string rate)
    {
        var digits = rate.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').Count();
        var value = double.Parse(rate[..digits], CultureInfo.InvariantCulture);
        return rate[digits..].ToUpperInvariant() switch
        {
            "BIT" => value / 1e6,
            "KBIT" => value / 1e3,
            "MBIT" => value,
            "GBIT" => value * 1e3,
            var unit => throw new TestbedException($"unknown tc rate unit '{unit}' in '{rate}'"),
        };
    }

    /// <summary>True when the namespace exists.</summary>
    public static bool Exists(string netns) => File.Exists(Path.Combine("/var/run/netns", netns)) || File.Exists(Path.Combine("/run/netns", netns));

    /// <summary>Deletes the namespace (and with it its veth ends and their peers); no error when it is gone.</summary>
    public static void RemoveDevice(string netns)
    {
        if (!Exists(netns)) return;
        if (!HostCommand.TryRun("ip", ["netns", "del", netns], out _, out var error) && Exists(netns))
            throw new TestbedException($"cannot delete network namespace {netns}: {error}");
    }
}
