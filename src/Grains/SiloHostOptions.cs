using System.ComponentModel.DataAnnotations;

namespace AdaMec.Grains;

/// <summary>How a device's silo joins the cluster. Section "Silo".</summary>
public sealed class SiloHostOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Silo";

    /// <summary>The <see cref="Clustering"/> value for development: a primary silo on loopback, memory grain storage.</summary>
    public const string Localhost = "localhost";

    /// <summary>The <see cref="Clustering"/> value for many boards: AdoNet membership and ADO.NET grain storage on PostgreSQL.</summary>
    public const string Postgres = "postgres";

    /// <summary>"localhost" (development: a primary silo, loopback; the default) or "postgres" (AdoNet membership table and grain storage).</summary>
    [Required, RegularExpression("^(localhost|postgres)$", ErrorMessage = "Silo:Clustering must be 'localhost' or 'postgres'")]
    public string Clustering { get; set; } = "localhost";

    /// <summary>Silo-to-silo port (1 to 65535).</summary>
    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port (1 to 65535).</summary>
    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>localhost clustering across processes: the primary silo's HOST:PORT (silo port). Absent: this silo is the primary.</summary>
    public string? Primary { get; set; }

    /// <summary>PostgreSQL connection string (postgres clustering; required there). Membership and grain storage share it.</summary>
    public string? Connection { get; set; }

    /// <summary>The address other silos and clients reach this one at (postgres clustering).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Orleans cluster id.</summary>
    [Required]
    public string ClusterId { get; set; } = "adamec";

    /// <summary>Orleans service id.</summary>
    [Required]
    public string ServiceId { get; set; } = "adamec";

    /// <summary>Notice dead silos in about a second instead of the defaults' several (more probe traffic).</summary>
    public bool FastFailureDetection { get; set; } = true;
}
