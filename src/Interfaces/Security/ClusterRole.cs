namespace AdaMec.Interfaces.Security;

/// <summary>What a cluster credential allows (docs/security.md has the full table).</summary>
public enum ClusterRole
{
    /// <summary>A silo (the cluster key itself): every call.</summary>
    Silo = 0,
    /// <summary>An operator: pins, budgets, link declarations and reading the cluster; no inference.</summary>
    Operator = 1,
    /// <summary>A phone (the initiator): deploys and infers, its own deployments only.</summary>
    Initiator = 2,
}
