using System.Diagnostics;
using System.Globalization;

namespace AdaMec.Bench.Context;

/// <summary>
/// A network namespace of its own whose loopback shapes the traffic between two silo ports with htb
/// (this kernel has htb, tbf and u32, not netem): one class per direction, so the acknowledgements
/// of one direction never queue behind the other's data. Everything else on its loopback (the
/// gateways a client uses) is not shaped. Its loopback segments at 1500 bytes (MTU and GSO), as an
/// Ethernet link does: htb charges a 64 KiB loopback super-packet all at once, which would let a
/// small transfer through unshaped and bill the next one. A namespace of its own leaves the host's
/// loopback, and other runs on it, alone. Dispose deletes the namespace, and the qdisc with it.
/// </summary>
public sealed class ShapedNamespace : IDisposable
{
    private bool _disposed;

    private ShapedNamespace(string name) => Name = name;

    /// <summary>The namespace's name (ip netns).</summary>
    public string Name { get; }

    /// <summary>The rate both directions between the two ports are shaped to now.</summary>
    public double Mbps { get; private set; }

    /// <summary>Why shaping is impossible here, or null when it is possible (checked by making and deleting a shaped namespace).</summary>
    public static string? WhyNot()
    {
        if (!OperatingSystem.IsLinux()) return "link shaping needs Linux (ip netns, tc)";
        if (Environment.UserName != "root" && Tool.Run("id", "-u").Out.Trim() != "0") return "link shaping needs root (ip netns, tc); run as root to measure estimates on shaped links";
        if (!Tool.OnPath("tc")) return "link shaping needs the tc tool (iproute2), not found";
        if (!Tool.OnPath("ip")) return "link shaping needs the ip tool (iproute2), not found";
        try
        {
            using var probe = Create("adamec-shapecheck-" + Guid.NewGuid().ToString("N")[..6], 1, 2, 10);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return "link shaping is not possible here: " + e.Message;
        }
    }

    /// <summary>Makes the namespace and shapes traffic between <paramref name="portA"/> and <paramref name="portB"/> to <paramref name="mbps"/> in each direction.</summary>
    public static ShapedNamespace Create(string name, int portA, int portB, double mbps)
    {
        Tool.Check("ip", "netns", "add", name);
        var shaped = new ShapedNamespace(name);
        try
        {
            shaped.In("ip", "link", "set", "dev", "lo", "mtu", "1500");
            shaped.In("ip", "link", "set", "dev", "lo", "gso_max_size", "16384");
            shaped.In("ip", "link", "set", "lo", "up");
            shaped.In("tc", "qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10");
            shaped.In("tc", "class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit");
            foreach (var id in new[] { "1:20", "1:30" }) shaped.In(["tc", "class", "add", "dev", "lo", "parent", "1:", "classid", id, "htb", .. Shape(mbps)]);
            // A to B: to B's port, or from A's port (a connection B opened); B to A the other way round.
            shaped.Filter("dport", portB, "1:20");
            shaped.Filter("sport", portA, "1:20");
            shaped.Filter("dport", portA, "1:30");
            shaped.Filter("sport", portB, "1:30");
            shaped.Mbps = mbps;
            return shaped;
        }
        catch
        {
            shaped.Dispose();
            throw;
        }
    }

    /// <summary>Shapes both directions to <paramref name="mbps"/> from now on.</summary>
    public void SetRate(double mbps)
    {
        foreach (var id in new[] { "1:20", "1:30" }) In(["tc", "class", "change", "dev", "lo", "parent", "1:", "classid", id, "htb", .. Shape(mbps)]);
        Mbps = mbps;
    }

    /// <summary>Starts <paramref name="file"/> inside the namespace.</summary>
    public ProcessStartInfo StartInfo(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "netns", "exec", Name, file }.Concat(args)) start.ArgumentList.Add(arg);
        return start;
    }

    /// <summary>Deletes the namespace (its loopback, qdisc and classes go with it). Stop what runs inside first.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Tool.Run("ip", "netns", "del", Name);
    }

    private void Filter(string which, int port, string flow) =>
        In("tc", "filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip", which, port.ToString(CultureInfo.InvariantCulture), "0xffff", "flowid", flow);

    private void In(params string[] command) => Tool.Check("ip", ["netns", "exec", Name, .. command]);

    /// <summary>
    /// Rate, ceiling and a bucket of 2 ms at the rate (at least one packet): htb's default bucket of
    /// one packet cannot keep up once it must release a packet every few dozen microseconds on a
    /// loaded machine, and a bucket smaller than the small probe payload favours neither payload.
    /// </summary>
    private static string[] Shape(double mbps)
    {
        var rate = (mbps * 1000).ToString("0", CultureInfo.InvariantCulture) + "kbit";
        var burst = Math.Max(1600, (int)(mbps * 1_000_000 / 8 * 0.002)).ToString(CultureInfo.InvariantCulture);
        return ["rate", rate, "ceil", rate, "burst", burst, "cburst", burst];
    }
}
