using System.ComponentModel.DataAnnotations;

namespace AdaMec.Grains.Security;

/// <summary>Who may call this silo and which atoms it accepts. Section "Security". Everything is off by default.</summary>
public sealed class SecurityOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Security";

    /// <summary>
    /// The cluster key file (`adamec keygen cluster --out FILE`). Set: every grain call must carry a
    /// credential derived from this key, in a role allowed to make it; this silo signs its own calls
    /// with it. A file path, never the key itself, so the key stays out of command lines and process lists.
    /// </summary>
    /// <value>The default value is null (no authentication: a development cluster on a trusted network).</value>
    public string? ClusterKeyFile { get; set; }

    /// <summary>
    /// How far a call's signature time may be from this silo's clock, seconds (1 to 86,400): the window
    /// in which a captured signature can be replayed against the same grain and method. Boards need a
    /// synchronised clock (NTP) for a small window.
    /// </summary>
    /// <value>The default value is 300 seconds.</value>
    [Range(1, 86_400)]
    public int MaxClockSkewSeconds { get; set; } = 300;

    /// <summary>
    /// Public keys (`adamec keygen signing`, NAME.pub files) whose manifest signatures this silo
    /// accepts. Non-empty: atoms of a manifest not signed by one of them are refused.
    /// </summary>
    /// <value>The default value is empty (atoms are checked against their SHA-256 only).</value>
    public IList<string> TrustedKeys { get; } = [];
}
