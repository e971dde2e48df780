using System.Globalization;

namespace AdaMec.Interfaces;

/// <summary>How grain keys name deployments, atoms, devices and links.</summary>
public static class GrainKeys
{
    /// <summary>The key of the one deployment directory grain.</summary>
    public const string Directory = "deployments";

    /// <summary>The key of atom <paramref name="index"/> of <paramref name="deployment"/> on <paramref name="device"/>.</summary>
    public static string Atom(string deployment, int index, string device) =>
        string.Create(CultureInfo.InvariantCulture, $"{deployment}/{index}@{device}");

    /// <summary>The device a key is pinned to: the part after the last '@', or the whole key (device grains).</summary>
    public static string DeviceOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var at = key.LastIndexOf('@');
        return at < 0 ? key : key[(at + 1)..];
    }

    /// <summary>Splits an atom key into deployment, atom index and device.</summary>
    public static (string Deployment, int Index, string Device) ParseAtom(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var at = key.LastIndexOf('@');
        var slash = key.LastIndexOf('/', at < 0 ? key.Length - 1 : at);
        if (at < 0 || slash < 0 || !int.TryParse(key.AsSpan(slash + 1, at - slash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            throw new ArgumentException($"'{key}' is not an atom key (deployment/index@device)", nameof(key));
        return (key[..slash], index, key[(at + 1)..]);
    }

    /// <summary>The key of the directed link from one device to another.</summary>
    public static string Link(string from, string to) => $"{from}->{to}";

    /// <summary>Splits a link key.</summary>
    public static (string From, string To) ParseLink(string key) =>
        TryParseLink(key, out var from, out var to) ? (from, to) : throw new ArgumentException($"'{key}' is not a link key (from->to)", nameof(key));

    /// <summary>Splits <paramref name="key"/> if it is a link key (from->to).</summary>
    public static bool TryParseLink(string key, out string from, out string to)
    {
        ArgumentNullException.ThrowIfNull(key);
        var arrow = key.IndexOf("->", StringComparison.Ordinal);
        var isLink = arrow > 0 && arrow + 2 < key.Length;
        from = isLink ? key[..arrow] : "";
        to = isLink ? key[(arrow + 2)..] : "";
        return isLink;
    }
}
