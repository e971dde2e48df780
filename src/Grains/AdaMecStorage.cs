namespace AdaMec.Grains;

/// <summary>The grain storage provider AdaMec's durable grains (planner, device, link context, directory) use.</summary>
public static class AdaMecStorage
{
    /// <summary>Provider name: ADO.NET on PostgreSQL when the cluster uses PostgreSQL, memory storage otherwise.</summary>
    public const string Name = "adamec";

    /// <summary>The ADO.NET invariant of PostgreSQL (Npgsql), for clustering and storage alike.</summary>
    public const string PostgresInvariant = "Npgsql";
}
