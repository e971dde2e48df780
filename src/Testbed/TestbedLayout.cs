using System.Globalization;
using AdaMec.Core.Scenarios;

namespace AdaMec.Testbed;

/// <summary>
/// Where each device and link of a trace lives on the host: the names of its network namespace, veth ends
/// and cgroup, and its address. Every name carries the testbed's tag, so several testbeds (and tests) run
/// side by side and <c>down</c> finds exactly what one of them made.
/// </summary>
/// <remarks>
/// Each device has one address, on the loopback of its own namespace, and reaches every other device over
/// the veth pair of their link (a host route per peer), so all traffic between two devices crosses that
/// link's shaping. Interface names stay within Linux's 15 characters.
/// </remarks>
public sealed class TestbedLayout
{
    /// <param name="tag">The testbed's tag, in every name it makes.</param>
    /// <param name="trace">The devices and links to place.</param>
    /// <param name="deviceSubnet">The first three octets of the device addresses (see <see cref="NetworkFabric.FreeDeviceSubnet"/>).</param>
    public TestbedLayout(string tag, ScenarioTrace trace, string deviceSubnet = "10.77.0")
    {
        ArgumentNullException.ThrowIfNull(trace);
        if (tag.Length is < 1 or > 6 || !tag.All(char.IsAsciiLetterOrDigit))
            throw new ArgumentException($"a testbed tag is 1 to 6 letters or digits, got '{tag}'", nameof(tag));
        if (trace.Devices.Count > 250) throw new TestbedException($"a testbed holds at most 250 devices, the trace has {trace.Devices.Count}");
        if (trace.Links.Count > 999) throw new TestbedException($"a testbed holds at most 999 links, the trace has {trace.Links.Count}");
        Tag = tag;
        Devices = trace.Devices.Select((d, i) => new DevicePlace(
            d.Id,
            $"adamec-{tag}-{d.Id}",
            string.Create(CultureInfo.InvariantCulture, $"{deviceSubnet}.{i + 1}"),
            $"adamec-testbed-{tag}/{d.Id}")).ToList();
        Links = trace.Links.Select((l, i) => new LinkPlace(
            l.A,
            l.B,
            string.Create(CultureInfo.InvariantCulture, $"am{tag}l{i}a"),
            string.Create(CultureInfo.InvariantCulture, $"am{tag}l{i}b"))).ToList();
    }

    public string Tag { get; }

    public IReadOnlyList<DevicePlace> Devices { get; }

    public IReadOnlyList<LinkPlace> Links { get; }

    /// <summary>The cgroup folder (relative to a controller's root) that holds every device's cgroup.</summary>
    public string CgroupRoot => $"adamec-testbed-{Tag}";

    public DevicePlace Device(string id) =>
        Devices.SingleOrDefault(d => d.Id == id) ?? throw new TestbedException($"unknown device '{id}'; devices: {string.Join(", ", Devices.Select(d => d.Id))}");

    public LinkPlace Link(string a, string b) =>
        Links.SingleOrDefault(l => (l.A == a && l.B == b) || (l.A == b && l.B == a)) ?? throw new TestbedException($"no link joins {a} and {b}");

    /// <summary>A new random tag.</summary>
    public static string NewTag() => Guid.NewGuid().ToString("N")[..4];
}

/// <summary>A device on the host: its namespace, its address there and its cgroup (relative to a controller's root).</summary>
public sealed record DevicePlace(string Id, string Namespace, string Address, string Cgroup);

/// <summary>A link on the host: the veth end in A's namespace and the one in B's.</summary>
public sealed record LinkPlace(string A, string B, string VethA, string VethB);
