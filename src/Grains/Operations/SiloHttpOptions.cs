using System.ComponentModel.DataAnnotations;

namespace AdaMec.Grains.Operations;

/// <summary>HTTP on a silo: operator page, Orleans dashboard, Prometheus metrics, health. Section "Http"; off unless a port is given.</summary>
public sealed class SiloHttpOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Http";

    /// <summary>The port to serve on (1 to 65535; `--http-port`).</summary>
    /// <value>The default value is null: no HTTP at all.</value>
    [Range(1, 65535)]
    public int? Port { get; set; }

    /// <summary>The address to bind (`--http-address`): loopback unless an operator opens it, e.g. 0.0.0.0 in a container.</summary>
    /// <value>The default value is 127.0.0.1.</value>
    [Required]
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>
    /// Whether this silo joins the Orleans dashboard (`--dashboard`): it collects grain statistics for
    /// it and, with a port, serves it at /dashboard. Every silo of the cluster must join for the
    /// dashboard to show all of them.
    /// </summary>
    /// <value>The default value is null: on exactly when <see cref="Port"/> is set.</value>
    public bool? Dashboard { get; set; }
}
